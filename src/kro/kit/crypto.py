"""Secrets at rest: AES-256-GCM with a key id stored beside the ciphertext (DESIGN.md §2, §6).

A :class:`SecretBox` holds a keyring ``{key_id: 32-byte key}`` and one *current* key id.
:meth:`SecretBox.seal` always encrypts with the current key and returns
``"<key_id>:<base64url(nonce ‖ ciphertext ‖ tag)>"``; :meth:`SecretBox.open` reads the key id
and decrypts with that key, so old rows stay readable after a rotation until they are sealed
again. ``associated_data`` binds a ciphertext to its row (e.g. the provider configuration's
id): moved to another row, it no longer opens.

Keys are written in settings as ``"<key_id>:<base64 of 32 bytes>"``, comma-separated.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class SecretBoxError(ValueError):
    """A keyring that cannot be read, an unknown key id, or a ciphertext that does not open."""


def parse_keyring(spec: str) -> dict[str, bytes]:
    """``"k1:<b64>,k2:<b64>"`` → ``{"k1": key, "k2": key}``; each key must be 32 bytes."""
    keyring: dict[str, bytes] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        key_id, _, encoded = item.partition(":")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise SecretBoxError(f"Key {key_id!r} is not base64") from None
        if not key_id or len(key) != 32:
            raise SecretBoxError(f"Key {key_id!r} must be 32 bytes of base64")
        keyring[key_id] = key
    if not keyring:
        raise SecretBoxError("The keyring is empty")
    return keyring


class SecretBox:
    """Seal and open secrets with the keyring; ``current`` names the key new seals use."""

    def __init__(self, keyring: dict[str, bytes], current: str) -> None:
        if current not in keyring:
            raise SecretBoxError(f"Current key {current!r} is not in the keyring")
        self._keys = {key_id: AESGCM(key) for key_id, key in keyring.items()}
        self.current = current

    @classmethod
    def from_spec(cls, spec: str, current: str | None = None) -> SecretBox:
        """From the settings form; ``current`` defaults to the first key listed."""
        keyring = parse_keyring(spec)
        return cls(keyring, current or next(iter(keyring)))

    def seal(self, plaintext: str, associated_data: str = "") -> str:
        """Encrypt ``plaintext`` with the current key; a fresh random nonce every time."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._keys[self.current].encrypt(
            nonce, plaintext.encode(), associated_data.encode()
        )
        return f"{self.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def open(self, token: str, associated_data: str = "") -> str:
        """Decrypt a :meth:`seal` result; raises SecretBoxError if it does not open."""
        key_id, _, encoded = token.partition(":")
        aead = self._keys.get(key_id)
        if aead is None:
            raise SecretBoxError(f"Unknown key id {key_id!r}")
        try:
            raw = base64.urlsafe_b64decode(encoded)
            plaintext = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data.encode())
        except (binascii.Error, InvalidTag, ValueError):
            raise SecretBoxError("The secret does not open with its key") from None
        return plaintext.decode()

    @staticmethod
    def key_id_of(token: str) -> str:
        """The key id a sealed secret names (for re-sealing after a rotation)."""
        return token.partition(":")[0]
