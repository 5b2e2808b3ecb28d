"""The providers' records against ours: re-verification of open payments, the sweep, daily reports."""
