"""Recurring collections (monthly gifts): :mod:`kro.payments.subscriptions.service`."""
