"""Tables of ``kro.giving`` (imported by ``kro.registry``, so ``Base.metadata`` has them)."""
