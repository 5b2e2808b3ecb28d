"""The Remita simulator as an ASGI app (mounted at ``/sandbox/remita`` by the embedded
default; :class:`RemitaSandbox`'s ``running()`` opens its database).

Paths, as Remita serves them under its host:

- ``POST /remita/exapp/api/v1/send/api/echannelsvc/merchant/api/paymentinit``
- ``GET  /remita/exapp/api/v1/send/api/echannelsvc/{merchantId}/{rrr}/{hash}/status.reg``
- ``GET  …/echannelsvc/{merchantId}/{orderId}/{hash}/orderstatus.reg`` [U]
- ``GET  /remita/ecomm/finalize.reg?rrr=…&merchantId=…&hash=…&responseurl=…`` the hosted page;
  its *Pay* and *Decline* buttons post to ``…/finalize.reg/pay`` and ``…/decline``.
- ``POST /_sandbox/rrr/{rrr}/pay`` a payment at a bank branch (control, for tests and demos).

A paid RRR is notified to ``notification_url`` (unsigned, retried:
:mod:`kro.sandbox.remita.notifications`).
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.http import make_client
from kro.sandbox.common.lifecycle import background_loop, open_database
from kro.sandbox.remita.models import RemitaPayment
from kro.sandbox.remita.notifications import NotificationSender, add_notification

API = "/remita/exapp/api/v1/send/api/echannelsvc"


@dataclass(frozen=True)
class RemitaSandboxConfig:
    """Merchants the simulator accepts: ``merchantId → apiKey`` (with their service types)."""

    database_url: str
    merchants: dict[str, str] = field(default_factory=dict)
    service_types: dict[str, str] = field(default_factory=dict)
    # Where paid RRRs are notified (the merchant's notification URL; empty: nowhere).
    notification_url: str = ""
    notification_retry_schedule: tuple[float, ...] = (30, 120, 600, 3600)
    notification_timeout: float = 10.0
    poll_interval: float = 0.5
    startup_delay: float = 1.0


def _sha512(text: str) -> str:
    return hashlib.sha512(text.encode()).hexdigest()


def _jsonp(payload: dict[str, Any], status: int = 200) -> Response:
    """Remita wraps even JSON answers: ``jsonp ({…})``."""
    return Response(f"jsonp ({json.dumps(payload)})", status, media_type="application/json")


def _naira(kobo: int) -> str:
    return f"{Decimal(kobo) / 100:.2f}"


def _now() -> datetime:
    return datetime.now(UTC)


class RemitaSandbox:
    """A Remita look-alike; ``.app`` to mount, ``running()`` to open its database."""

    path = "/sandbox/remita"

    def __init__(self, config: RemitaSandboxConfig) -> None:
        self.config = config
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self.app = FastAPI(title="Remita sandbox", version="1")
        self.app.include_router(self._router())

    @asynccontextmanager
    async def running(self) -> AsyncIterator[RemitaSandbox]:
        """Open the database and send due notifications in the background until exit."""
        config = self.config
        async with (
            open_database(config.database_url, "remita_") as sessions,
            make_client(timeout=config.notification_timeout) as http,
        ):
            self._sessions = sessions
            sender = NotificationSender(
                sessions,
                http,
                config.notification_url,
                config.notification_retry_schedule,
                config.notification_timeout,
            )
            try:
                async with background_loop(
                    sender.deliver_due,
                    provider="remita",
                    startup_delay=config.startup_delay,
                    poll_interval=config.poll_interval,
                ):
                    yield self
            finally:
                self._sessions = None

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        if self._sessions is None:
            raise RuntimeError("RemitaSandbox is not running")
        return self._sessions

    def _consumer(self, request: Request) -> tuple[str, str] | None:
        """``Authorization: remitaConsumerKey=<merchantId>,remitaConsumerToken=<apiHash>``."""
        header = request.headers.get("authorization", "")
        parts = dict(p.strip().split("=", 1) for p in header.split(",") if "=" in p)
        merchant, token = parts.get("remitaConsumerKey"), parts.get("remitaConsumerToken")
        if not merchant or not token or merchant not in self.config.merchants:
            return None
        return merchant, token

    def _router(self) -> APIRouter:
        router = APIRouter()

        @router.post(f"{API}/merchant/api/paymentinit")
        async def paymentinit(request: Request) -> Response:
            consumer = self._consumer(request)
            try:
                body = json.loads(await request.body(), parse_float=Decimal)
                amount_text = str(body["amount"])
                kobo = Decimal(amount_text.replace(",", "")) * 100
                order_id, service = str(body["orderId"]), str(body["serviceTypeId"])
            except (ValueError, KeyError, InvalidOperation, TypeError):
                return _jsonp({"statuscode": "020", "status": "Invalid request"}, 400)
            if consumer is None:
                return _jsonp({"statuscode": "012", "status": "Invalid merchant"}, 401)
            merchant, token = consumer
            key = self.config.merchants[merchant]
            expected = _sha512(f"{merchant}{service}{order_id}{amount_text}{key}")
            if not hmac.compare_digest(expected, token):
                return _jsonp({"statuscode": "016", "status": "Invalid hash"}, 401)
            if kobo <= 0 or kobo != kobo.to_integral_value():
                return _jsonp({"statuscode": "020", "status": "Invalid amount"}, 400)
            async with self.sessions() as session, session.begin():
                taken = await session.scalar(
                    select(RemitaPayment).where(
                        RemitaPayment.merchant_id == merchant, RemitaPayment.order_id == order_id
                    )
                )
                if taken is not None:
                    return _jsonp({"statuscode": "028", "status": "Duplicate order reference"})
                rrr = "".join(secrets.choice("0123456789") for _ in range(12))
                session.add(
                    RemitaPayment(
                        merchant_id=merchant,
                        service_type_id=service,
                        rrr=rrr,
                        order_id=order_id,
                        amount=int(kobo),
                        payer_name=str(body.get("payerName") or ""),
                        payer_email=str(body.get("payerEmail") or ""),
                        payer_phone=str(body.get("payerPhone") or ""),
                        description=str(body.get("description") or "")[:200],
                        created_at=_now(),
                    )
                )
            return _jsonp(
                {
                    "statuscode": "025",
                    "RRR": rrr,
                    "status": "Payment Reference generated",
                    "orderID": order_id,
                }
            )

        async def _status(merchant: str, key_value: str, token: str, by: str) -> Response:
            key = self.config.merchants.get(merchant)
            if key is None or not hmac.compare_digest(
                _sha512(f"{key_value}{key}{merchant}"), token
            ):
                return Response(
                    json.dumps({"status": "016", "message": "Invalid hash"}),
                    401,
                    media_type="application/json",
                )
            column = RemitaPayment.rrr if by == "rrr" else RemitaPayment.order_id
            async with self.sessions() as session:
                found = await session.scalar(
                    select(RemitaPayment).where(
                        RemitaPayment.merchant_id == merchant, column == key_value
                    )
                )
            if found is None:
                missing = {"status": "404", "message": "Transaction not found"}
                return Response(json.dumps(missing), 404, media_type="application/json")
            messages = {"00": "Successful", "025": "Payment Reference generated", "02": "Failed"}
            body: dict[str, str | None] = {
                "status": found.status,
                "message": messages.get(found.status, "Transaction Pending"),
                "amount": _naira(found.amount),
                "RRR": found.rrr,
                "orderId": found.order_id,
                "transactiontime": found.created_at.strftime("%Y-%m-%dT%H:%M:%S"),
                "paymentDate": found.paid_at.strftime("%Y-%m-%dT%H:%M:%S")
                if found.paid_at
                else None,
            }
            return Response(json.dumps(body), media_type="application/json")

        @router.get(API + "/{merchant}/{rrr}/{token}/status.reg")
        async def status(merchant: str, rrr: str, token: str) -> Response:
            return await _status(merchant, rrr, token, "rrr")

        @router.get(API + "/{merchant}/{order_id}/{token}/orderstatus.reg")
        async def order_status(merchant: str, order_id: str, token: str) -> Response:
            return await _status(merchant, order_id, token, "order")

        @router.get("/remita/ecomm/finalize.reg", response_class=HTMLResponse)
        async def page(
            rrr: str, merchantId: str, hash: str = "", responseurl: str = ""
        ) -> HTMLResponse:
            return await self._page(rrr, merchantId, hash, responseurl)

        @router.post("/remita/ecomm/finalize.reg", response_class=HTMLResponse)
        async def page_posted(request: Request) -> HTMLResponse:
            """Integrations post ``merchantId, hash, rrr, responseurl`` as a form [S]."""
            form = await request.form()
            fields = {
                k: str(form.get(k) or "") for k in ("rrr", "merchantId", "hash", "responseurl")
            }
            return await self._page(
                fields["rrr"], fields["merchantId"], fields["hash"], fields["responseurl"]
            )

        @router.post("/remita/ecomm/finalize.reg/{outcome}")
        async def finish(outcome: str, rrr: str, responseurl: str = "") -> Response:
            if outcome not in ("pay", "decline"):
                return HTMLResponse("Not found", 404)
            found = await self._settle(rrr, "00" if outcome == "pay" else "02", "CARD")
            if found is None:
                return HTMLResponse("<h1>Unknown RRR</h1>", 404)
            if responseurl:
                sep = "&" if "?" in responseurl else "?"
                target = f"{responseurl}{sep}{urlencode({'RRR': rrr, 'orderID': found.order_id})}"
                return RedirectResponse(target, 303)
            return HTMLResponse(f"<h1>{'Paid' if found.status == '00' else 'Declined'}</h1>")

        @router.post("/_sandbox/rrr/{rrr}/pay")
        async def pay_at_bank(rrr: str) -> Response:
            """A payment of the RRR at a bank branch (control route, not Remita's)."""
            found = await self._settle(rrr, "00", "BRANCH")
            if found is None:
                return Response('{"message": "Unknown RRR"}', 404, media_type="application/json")
            body = {"rrr": rrr, "status": found.status, "amount": _naira(found.amount)}
            return Response(json.dumps(body), media_type="application/json")

        return router

    async def _page(self, rrr: str, merchant_id: str, token: str, responseurl: str) -> HTMLResponse:
        """The hosted page of an RRR; the hash must be SHA-512 of ``merchantId + rrr + apiKey``."""
        found = await self._find(rrr)
        key = self.config.merchants.get(merchant_id)
        if found is None or found.merchant_id != merchant_id or key is None:
            return HTMLResponse("<h1>Unknown RRR</h1>", 404)
        if not hmac.compare_digest(_sha512(f"{merchant_id}{rrr}{key}"), token):
            return HTMLResponse("<h1>Invalid hash</h1>", 400)
        query = urlencode({"rrr": rrr, "responseurl": responseurl})
        state = {"00": "Paid", "02": "Declined"}.get(found.status, "Awaiting payment")
        buttons = (
            f'<form method="post" action="finalize.reg/pay?{html.escape(query)}">'
            '<button type="submit" id="remita-pay">Pay now</button></form>'
            f'<form method="post" action="finalize.reg/decline?{html.escape(query)}">'
            '<button type="submit" id="remita-decline">Decline</button></form>'
            if found.status == "025"
            else ""
        )
        return HTMLResponse(
            "<!doctype html><html><head><title>Remita (sandbox)</title></head><body>"
            "<h1>Remita sandbox — pay an RRR</h1>"
            f"<p>RRR <strong id='rrr'>{html.escape(found.rrr)}</strong></p>"
            f"<p>{html.escape(found.description)}</p>"
            f"<p>Amount ₦<strong id='amount'>{_naira(found.amount)}</strong></p>"
            f"<p>Status: <span id='status'>{state}</span></p>{buttons}"
            "<p>Or pay this RRR at any bank branch or in internet banking.</p>"
            "</body></html>"
        )

    async def _find(self, rrr: str) -> RemitaPayment | None:
        async with self.sessions() as session:
            found: RemitaPayment | None = await session.scalar(
                select(RemitaPayment).where(RemitaPayment.rrr == rrr)
            )
            return found

    async def _settle(self, rrr: str, status: str, channel: str) -> RemitaPayment | None:
        """Pay (``00``) or decline (``02``) an RRR still ``025``; paying twice changes nothing."""
        async with self.sessions() as session, session.begin():
            found = await session.scalar(select(RemitaPayment).where(RemitaPayment.rrr == rrr))
            if found is None:
                return None
            if found.status == "025":
                found.status, found.channel = status, channel
                found.paid_at = _now() if status == "00" else None
                if status == "00":
                    await add_notification(session, found)
            await session.flush()
            session.expunge(found)
            return found
