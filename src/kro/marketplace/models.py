"""Tables of ``kro.marketplace`` (imported by ``kro.registry``, so ``Base.metadata`` has them)."""
