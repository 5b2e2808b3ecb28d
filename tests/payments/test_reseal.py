"""Rotating the key that seals provider credentials: after a new key becomes current,
``reseal_credentials`` moves every stored credential to it; nothing else changes."""

from __future__ import annotations

import base64
import json

from sqlalchemy.ext.asyncio import AsyncSession

from kro.payments.models import ProviderConfig
from kro.payments.provider_configs import reseal_credentials, secret_box
from kro.settings import Settings

OLD = "k1:" + base64.b64encode(b"1" * 32).decode()
NEW = "k2:" + base64.b64encode(b"2" * 32).decode()


async def test_credentials_move_to_the_current_key(session: AsyncSession) -> None:
    before = Settings(secrets_keyring=OLD, secrets_current_key="k1")
    config = ProviderConfig(tenant_id="ten_1", mode="live", provider="paystack", currencies=["NGN"])
    session.add(config)
    await session.flush()
    secret = json.dumps({"secret_key": "sk_live_x"})
    config.credentials = secret_box(before).seal(secret, config.id)
    config.key_id = "k1"
    plain = ProviderConfig(tenant_id="ten_1", mode="test", provider="paystack", currencies=["NGN"])
    session.add(plain)
    await session.flush()

    after = Settings(secrets_keyring=f"{OLD},{NEW}", secrets_current_key="k2")
    assert await reseal_credentials(session, after) == 1
    assert config.key_id == "k2" and config.credentials.startswith("k2:")
    only_new = Settings(secrets_keyring=NEW, secrets_current_key="k2")
    assert secret_box(only_new).open(config.credentials, config.id) == secret
    assert plain.credentials is None  # test mode on the sandbox keys: nothing to seal
    assert await reseal_credentials(session, after) == 0
