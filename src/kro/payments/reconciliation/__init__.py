"""The providers' records against ours: re-verification of open payments, the sweep of
them, and the daily reports."""
