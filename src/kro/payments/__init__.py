"""Payments: collecting money through a provider's checkout, and the inbox of provider
webhooks. Products name a *purpose* and the ledger account to credit; this module moves the
money into the ledger once the provider confirms it (verify before value), then tells the
product through a job named ``"{purpose}.payment_completed"``."""
