"""``kro demo marketplace``: every scenario succeeds against a running platform (HTTP only)."""

from __future__ import annotations

import asyncio

from kro.demo import marketplace as demo
from tests.support.platform import Platform


async def test_every_scenario(platform: Platform) -> None:
    settings = platform.settings
    for scenario in demo.SCENARIOS:
        code = await asyncio.to_thread(
            demo.run, platform.base_url, settings.admin_email, settings.admin_password, scenario
        )
        assert code == 0, scenario
