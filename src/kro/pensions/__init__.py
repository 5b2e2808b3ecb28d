"""Pencom pension compliance (seeds 000, 002): employers, employees with RSA PINs, monthly
contribution schedules per PFA, remittance through Remita, penalties, Group Life Insurance and
the compliance certificate. A product: it takes money only through ``kro.payments``."""
