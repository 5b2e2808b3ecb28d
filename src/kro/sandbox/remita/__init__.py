"""A local simulator of Remita's eCollections API (RRR generation, status by RRR or orderId,
the hosted payment page ``finalize.reg``), following shared/reference/providers.md §4.

What could not be confirmed is marked ``[U]`` in the code: the hash of the hosted page's URL,
the ``orderstatus.reg`` variant and the exact fields of a status answer. Remita's payment
notification is unsigned; this simulator does not send one (the platform checks status).
"""

from kro.sandbox.remita.app import RemitaSandbox, RemitaSandboxConfig

__all__ = ["RemitaSandbox", "RemitaSandboxConfig"]
