"""Tenants (seed 003): businesses, their team with roles, and their secret API keys."""
