"""KRO: a payments core and the products built on it (escrow, marketplace, giving, pensions)."""

__version__ = "0.1.0"
