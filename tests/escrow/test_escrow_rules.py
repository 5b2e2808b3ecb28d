"""Who may do what to an order, in which state, with which input."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.escrow.conftest import Deal, assert_ledger_ok
from tests.support.api import data, error, register_and_login


async def test_only_the_parties_see_an_order(deal: Deal, http: httpx.AsyncClient) -> None:
    await deal.create()
    stranger = await register_and_login(http, "stranger@example.com")
    error(await http.get(f"/v1/escrow/orders/{deal.id}", headers=stranger), 404, "order_not_found")
    for action in ("accept", "decline", "cancel", "start", "complete", "pay"):
        error(
            await http.post(f"/v1/escrow/orders/{deal.id}/{action}", headers=stranger),
            404,
            "order_not_found",
        )
    assert data(await http.get("/v1/escrow/orders", headers=stranger)) == []
    listed = data(await http.get("/v1/escrow/orders", headers=deal.seller))
    assert [(o["id"], o["role"]) for o in listed] == [(deal.id, "seller")]
    error(await http.get(f"/v1/escrow/orders/{deal.id}"), 401)


async def test_each_action_by_its_party_only(deal: Deal, http: httpx.AsyncClient) -> None:
    await deal.create()
    error(
        await http.post(f"/v1/escrow/orders/{deal.id}/accept", headers=deal.buyer),
        403,
        "not_allowed_for_party",
    )
    error(
        await http.post(f"/v1/escrow/orders/{deal.id}/cancel", headers=deal.seller),
        403,
        "not_allowed_for_party",
    )
    error(
        await http.post(f"/v1/escrow/orders/{deal.id}/pay", headers=deal.seller),
        403,
        "not_allowed_for_party",
    )
    cond = deal.order["conditions"][0]["id"]
    error(
        await http.post(
            f"/v1/escrow/orders/{deal.id}/conditions/{cond}/fulfil", headers=deal.seller
        ),
        403,
        "not_allowed_for_party",
    )


async def test_actions_out_of_state_are_409(
    deal: Deal, http: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await deal.create()
    err = error(
        await http.post(f"/v1/escrow/orders/{deal.id}/start", headers=deal.seller),
        409,
        "invalid_state_transition",
    )
    assert err["details"]["state"] == "created"
    error(
        await http.post(f"/v1/escrow/orders/{deal.id}/pay", headers=deal.buyer),
        409,
        "invalid_state_transition",
    )
    await deal.act("decline", "seller")
    error(await http.post(f"/v1/escrow/orders/{deal.id}/accept", headers=deal.seller), 409)
    error(await http.post(f"/v1/escrow/orders/{deal.id}/cancel", headers=deal.buyer), 409)
    await assert_ledger_ok(sessions)


async def test_conditions_only_after_completion_and_no_cancel_once_started(
    deal: Deal, http: httpx.AsyncClient
) -> None:
    await deal.create()
    await deal.fund()
    cond = deal.order["conditions"][0]["id"]
    error(
        await http.post(
            f"/v1/escrow/orders/{deal.id}/conditions/{cond}/fulfil", headers=deal.buyer
        ),
        409,
        "order_not_completed",
    )
    await deal.act("start", "seller")
    error(await http.post(f"/v1/escrow/orders/{deal.id}/cancel", headers=deal.buyer), 409)
    error(
        await http.post(
            f"/v1/escrow/orders/{deal.id}/conditions/cnd_nope/fulfil", headers=deal.buyer
        ),
        404,
        "condition_not_found",
    )


async def test_bad_input_names_the_field(deal: Deal, http: httpx.AsyncClient) -> None:
    body = {
        "seller_email": deal.seller_email,
        "title": "x",
        "amount": 10.5,
        "currency": "NGN",
        "conditions": [],
    }
    err = error(
        await http.post("/v1/escrow/orders", json=body, headers=deal.buyer), 422, "validation_error"
    )
    assert {d["field"] for d in err["details"]} == {"amount", "conditions"}
    body = {
        **body,
        "amount": 1000,
        "conditions": [{"description": "c"}],
        "seller_email": "ghost@example.com",
    }
    error(
        await http.post("/v1/escrow/orders", json=body, headers=deal.buyer), 422, "seller_not_found"
    )
    body["currency"] = "USD"
    error(
        await http.post("/v1/escrow/orders", json=body, headers=deal.buyer),
        422,
        "currency_not_supported",
    )
    me = data(await http.get("/v1/me", headers=deal.buyer))
    body = {**body, "currency": "NGN", "seller_email": me["email"]}
    error(
        await http.post("/v1/escrow/orders", json=body, headers=deal.buyer), 422, "buyer_is_seller"
    )
    assert data(await http.get("/v1/escrow/orders", headers=deal.buyer)) == []


async def test_cancel_before_funding(deal: Deal) -> None:
    await deal.create()
    await deal.act("accept", "seller")
    order = await deal.act("cancel", "buyer")
    assert order["status"] == "cancelled"
    assert order["transitions"][-1]["actor_role"] == "buyer"


async def test_unfunded_orders_expire(
    deal: Deal, sessions: async_sessionmaker[AsyncSession]
) -> None:
    from datetime import timedelta

    from kro.escrow.models import EscrowOrder
    from kro.kit.clock import clock
    from tests.support.platform import eventually

    await deal.create()
    await deal.act("accept", "seller")
    clock.advance(timedelta(days=8))  # the server's worker shares this clock

    async def expired() -> bool:
        async with sessions() as s:
            order = await s.get(EscrowOrder, deal.id)
            return order is not None and order.status == "expired"

    await eventually(expired, within=90)


async def test_order_creation_honours_idempotency_keys(deal: Deal, http: httpx.AsyncClient) -> None:
    body = {
        "seller_email": deal.seller_email,
        "title": "Once only",
        "amount": 1_000_000,
        "currency": "NGN",
        "conditions": [{"description": "done"}],
    }
    headers = {**deal.buyer, "Idempotency-Key": "order-once-1"}
    first = await http.post("/v1/escrow/orders", json=body, headers=headers)
    again = await http.post("/v1/escrow/orders", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content and again.headers["idempotent-replayed"] == "true"
    error(
        await http.post("/v1/escrow/orders", json={**body, "amount": 2}, headers=headers),
        422,
        "idempotency_key_reused",
    )
    assert len(data(await http.get("/v1/escrow/orders", headers=deal.buyer))) == 1
