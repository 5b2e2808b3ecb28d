"""Tables of ``kro.kyc`` (imported by ``kro.registry``, so ``Base.metadata`` has them)."""
