"""Refunds: one module for every provider and every purpose."""
