"""The giving admin pages: a page with several items waiting repeats no HTML id, and a form's
error shows beside the item whose form was sent."""

from __future__ import annotations

import httpx

from tests.giving.conftest import Giving
from tests.giving.console import console, post_form, repeated_ids
from tests.support.platform import Platform


async def test_the_queue_page_with_two_campaigns_waiting_repeats_no_id(
    giving: Giving, http: httpx.AsyncClient, platform: Platform
) -> None:
    await giving.create(title="Surgery for Ada")
    await giving.act("submit")
    first = giving.id
    await giving.create(title="School fees for Tobi")
    await giving.act("submit")
    second = giving.id
    async with console(platform.base_url, giving.admin) as admin:
        page = await admin.get("/admin/giving")
        assert page.status_code == 200
        assert first in page.text and second in page.text
        assert f'id="f-reason-{first}"' in page.text
        assert repeated_ids(page.text) == []
        # Rejecting the second without a reason: the error is beside its field only.
        r = await post_form(
            admin, "/admin/giving", f"/admin/giving/campaigns/{second}/review", {"action": "reject"}
        )
        assert r.status_code == 422
        assert f'id="e-reason-{second}"' in r.text and f'id="e-reason-{first}"' not in r.text
        assert 'data-code="reason_required"' in r.text
        assert repeated_ids(r.text) == []
