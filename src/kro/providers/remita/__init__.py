"""The Remita adapter (SystemSpecs eCollections: RRR generation and status by RRR).

Only the base URL and the merchant id, service type id and API key tell the real Remita from
``kro.sandbox.remita``. Amounts cross this boundary as ``int`` kobo; Remita's naira strings are
converted here with ``Decimal``. Sources: shared/reference/providers.md §4.
"""

from kro.providers.remita.client import PROVIDER, RemitaClient, RemitaStatus, init_hash, status_hash

__all__ = ["PROVIDER", "RemitaClient", "RemitaStatus", "init_hash", "status_hash"]
