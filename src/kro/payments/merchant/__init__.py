"""The merchant API (seed 003): a tenant's payments through its own provider configurations."""
