"""One adapter per external provider (``paystack/``, later ``flutterwave/``, ``stripe/`` …).

Adapters speak the provider's HTTP API and nothing else: they do not touch our tables. They
raise only :mod:`kro.providers.errors`, whose classes say whether a failed call is safe to fail
over (``ProviderUnavailable``), has an unknown outcome (``ProviderTimeout``) or was refused
(``ProviderRejected``). Amounts cross the boundary as ``int`` minor units.
"""
