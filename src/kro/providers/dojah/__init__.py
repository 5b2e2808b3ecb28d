"""Dojah (dojah.io), an identity-verification provider used in Nigeria: BVN and NIN
lookups for KYC. See :mod:`.client`."""
