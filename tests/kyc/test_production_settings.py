"""Production refuses to start with the Dojah simulator's secret key (as it refuses the
other development defaults): identities would be "verified" by a simulator."""

from __future__ import annotations

import base64

import pytest
from pydantic import ValidationError

from kro.settings import DEV_DOJAH_SECRET_KEY, Settings

KEYRING = "k1:" + base64.b64encode(b"k" * 32).decode()
PRODUCTION = {
    "env": "production",
    "jwt_secret": "j" * 40,
    "admin_jwt_secret": "a" * 40,
    "admin_password": "p" * 20,
    "secrets_keyring": KEYRING,
    "web_secret": "w" * 40,
}


def test_production_refuses_the_simulators_dojah_key() -> None:
    with pytest.raises(ValidationError, match="KRO_DOJAH_SECRET_KEY must be set in production"):
        Settings(_env_file=None, **PRODUCTION)  # type: ignore[arg-type]
    ok = Settings(_env_file=None, **PRODUCTION, dojah_secret_key="sk_live_real")  # type: ignore[arg-type]
    assert ok.dojah_secret_key == "sk_live_real"


def test_development_keeps_the_simulators_key() -> None:
    assert Settings(_env_file=None).dojah_secret_key == DEV_DOJAH_SECRET_KEY  # type: ignore[call-arg]
