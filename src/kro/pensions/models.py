"""Tables of ``kro.pensions`` (imported by ``kro.registry``, so ``Base.metadata`` has them)."""
