"""How products take money: one call through the provider registry."""
