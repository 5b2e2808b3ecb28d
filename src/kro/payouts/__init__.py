"""Payouts: wallets as seen by their owner, bank accounts (with name enquiry), and transfers
out through the provider, held in the ledger until the provider settles them."""
