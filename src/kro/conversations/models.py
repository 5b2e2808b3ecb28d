"""Tables of ``kro.conversations`` (imported by ``kro.registry``, so ``Base.metadata`` has them)."""
