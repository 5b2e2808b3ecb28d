"""Secrets at rest: AES-256-GCM with a key id beside the ciphertext."""

from __future__ import annotations

import base64

import pytest

from kro.kit.crypto import SecretBox, SecretBoxError, parse_keyring

K1 = base64.b64encode(b"1" * 32).decode()
K2 = base64.b64encode(b"2" * 32).decode()


def test_seal_and_open_with_rotation() -> None:
    old = SecretBox.from_spec(f"k1:{K1}")
    sealed = old.seal("sk_live_secret", "pcf_1")
    assert sealed.startswith("k1:") and "sk_live_secret" not in sealed
    assert old.seal("sk_live_secret", "pcf_1") != sealed  # a fresh nonce every time

    rotated = SecretBox.from_spec(f"k2:{K2},k1:{K1}")
    assert rotated.current == "k2"
    assert rotated.open(sealed, "pcf_1") == "sk_live_secret"  # old rows still open
    resealed = rotated.seal("sk_live_secret", "pcf_1")
    assert SecretBox.key_id_of(resealed) == "k2"


def test_tampering_another_row_or_an_unknown_key_do_not_open() -> None:
    box = SecretBox.from_spec(f"k1:{K1}")
    sealed = box.seal("secret", "pcf_1")
    with pytest.raises(SecretBoxError):
        box.open(sealed, "pcf_2")  # moved to another row
    raw = bytearray(base64.urlsafe_b64decode(sealed.split(":", 1)[1]))
    raw[-1] ^= 1
    with pytest.raises(SecretBoxError):
        box.open("k1:" + base64.urlsafe_b64encode(bytes(raw)).decode(), "pcf_1")
    with pytest.raises(SecretBoxError):
        SecretBox.from_spec(f"k2:{K2}").open(sealed, "pcf_1")


@pytest.mark.parametrize("spec", ["", "k1:notbase64!", f"k1:{base64.b64encode(b'short').decode()}"])
def test_bad_keyrings_are_refused(spec: str) -> None:
    with pytest.raises(SecretBoxError):
        parse_keyring(spec)
