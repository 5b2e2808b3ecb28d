"""A local simulator of Dojah's identity lookups (BVN, NIN) for KYC; see :mod:`.app` for
what it follows and what could not be confirmed (``[U]``)."""

from kro.sandbox.kyc.app import DojahSandbox, DojahSandboxConfig

__all__ = ["DojahSandbox", "DojahSandboxConfig"]
