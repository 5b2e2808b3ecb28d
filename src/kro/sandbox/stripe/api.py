"""Stripe's API paths served by the simulator (relative to the mount; the SDK's api base is
the mount itself, e.g. ``http://127.0.0.1:8000/sandbox/stripe``).

Authentication: ``Authorization: Bearer sk_test_…`` or Basic with the key as user name; a
missing or unknown key is Stripe's 401. Bodies are form encoded with bracket syntax; answers
are Stripe objects (:mod:`kro.sandbox.stripe.shapes`); errors
``{"error": {"type", "code", "message", "param"}}`` (:mod:`kro.sandbox.stripe.errors`).
Every POST honours ``Idempotency-Key`` (:mod:`kro.sandbox.stripe.idempotency`).

- ``POST /v1/payment_intents`` · ``GET /v1/payment_intents`` (list: ``created[gte|gt|lte|lt]``,
  ``limit`` ≤ 100, ``starting_after`` / ``ending_before``, ``expand[]=data.latest_charge…``) ·
  ``GET /v1/payment_intents/search``
  (``query`` of ``metadata['k']:'v'`` / ``status:'s'`` clauses joined by ``AND``) ·
  ``GET /v1/payment_intents/:id`` (``expand[]=latest_charge`` or
  ``latest_charge.balance_transaction``) · ``POST …/:id/confirm`` · ``…/:id/capture``
  (``amount_to_capture``) · ``…/:id/cancel`` (``cancellation_reason``).
- ``POST /v1/refunds`` (``payment_intent`` or ``charge``, ``amount``, ``reason``,
  ``metadata``) · ``GET /v1/refunds/:id``.
- ``GET /v1/charges/:id`` · ``GET /v1/balance_transactions/:id`` · ``GET /v1/events/:id``.
"""

import hmac
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.sandbox.common.service import session_dependency
from kro.sandbox.stripe import forms, idempotency, intents, refunds, shapes
from kro.sandbox.stripe.config import StripeAccount
from kro.sandbox.stripe.errors import invalid, invalid_key, missing, no_such, unauthorized
from kro.sandbox.stripe.idempotency import stripe_json
from kro.sandbox.stripe.models import Event, PaymentIntent

if TYPE_CHECKING:
    from kro.sandbox.stripe.app import StripeSandbox

CAPTURE_METHODS = ("automatic", "automatic_async", "manual")
# Smallest chargeable amounts in minor units (docs.stripe.com/currencies, "Minimum and maximum
# charge amounts").
MINIMUM_AMOUNT = {"usd": 50, "eur": 50, "gbp": 30, "cad": 50, "aud": 50}
_CLAUSE = re.compile(r"^\s*(?:metadata\['([^']+)'\]|(status|currency)):'([^']*)'\s*$")

Params = dict[str, Any]
PostWork = Callable[[AsyncSession, Params], Awaitable[tuple[int, dict[str, Any]]]]


def account_of(sandbox: "StripeSandbox", authorization: str | None) -> StripeAccount:
    """The account whose secret key the request carries; Stripe's 401 otherwise."""
    key = forms.api_key(authorization)
    if not key:
        raise unauthorized()
    for account in sandbox.config.accounts:
        if hmac.compare_digest(account.secret_key.encode(), key.encode()):
            return account
    raise invalid_key(key)


def parse_new_intent(params: Params) -> intents.NewIntent:
    """Validate a ``POST /v1/payment_intents`` body."""
    amount = forms.integer(params, "amount", required=True)
    currency = (forms.text(params, "currency") or "").lower()
    if not currency:
        raise missing("currency")
    if not re.fullmatch(r"[a-z]{3}", currency):
        raise invalid(f"Invalid currency: {currency}.", param="currency")
    assert amount is not None
    if amount < MINIMUM_AMOUNT.get(currency, 1):
        raise invalid(
            f"Amount must be at least {MINIMUM_AMOUNT.get(currency, 1)} {currency}",
            param="amount", code="amount_too_small",
        )  # fmt: skip
    confirm = forms.boolean(params, "confirm")
    return_url = forms.text(params, "return_url", max_length=2000)
    if return_url and not confirm:
        raise invalid("You can only pass return_url if confirm is true.", param="return_url")
    method = forms.choice(params, "capture_method", CAPTURE_METHODS, "automatic")
    return intents.NewIntent(
        amount=amount,
        currency=currency,
        capture_method="manual" if method == "manual" else "automatic",
        confirm=confirm,
        payment_method=forms.text(params, "payment_method", max_length=64),
        receipt_email=forms.text(params, "receipt_email", max_length=320),
        description=forms.text(params, "description", max_length=1000),
        metadata=forms.metadata(params),
        return_url=return_url,
    )


def _created_filter(params: Params) -> list[Any]:
    """``created`` (exact second) or ``created[gte|gt|lte|lt]`` (unix seconds) as SQL bounds.
    Rows keep sub-second times, so a bound on second ``s`` covers all of ``s``."""
    value = params.get("created")
    if value is None:
        return []
    if isinstance(value, str):
        value = {"gte": value, "lte": value}
    if not isinstance(value, dict):
        raise invalid("Invalid created", param="created")
    column, clauses = PaymentIntent.created, []
    for op, raw in value.items():
        seconds = forms.integer({op: raw}, op)
        if op not in ("gte", "gt", "lte", "lt") or seconds is None:
            raise invalid(f"Invalid created[{op}]", param=f"created[{op}]")
        if op in ("gte", "gt"):
            clauses.append(column >= forms.from_unix(seconds + (op == "gt")))
        else:
            clauses.append(column < forms.from_unix(seconds + (op == "lte")))
    return clauses


async def list_intents(session: AsyncSession, account_id: str, params: Params) -> dict[str, Any]:
    """Newest first, as Stripe lists; ``starting_after`` pages towards older objects."""
    limit = forms.integer(params, "limit") or 10
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100", param="limit")
    query = select(PaymentIntent).where(
        PaymentIntent.account_id == account_id, *_created_filter(params)
    )
    after, before = forms.text(params, "starting_after"), forms.text(params, "ending_before")
    order = (PaymentIntent.created.desc(), PaymentIntent.id.desc())
    if after or before:
        cursor = await intents.find(session, account_id, after or before or "")
        c, i = PaymentIntent.created, PaymentIntent.id
        if after:
            query = query.where(or_(c < cursor.created, and_(c == cursor.created, i < cursor.id)))
        else:
            query = query.where(or_(c > cursor.created, and_(c == cursor.created, i > cursor.id)))
            order = (PaymentIntent.created.asc(), PaymentIntent.id.asc())
    rows = list((await session.scalars(query.order_by(*order).limit(limit + 1))).all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    if before:
        rows.reverse()
    return {"rows": rows, "has_more": has_more}


def parse_search(query: str | None) -> list[tuple[str, str, str]]:
    """``metadata['reference']:'r1' AND status:'succeeded'`` → ``[(field, key, value)]``."""
    if not query:
        raise missing("query")
    clauses = []
    for part in re.split(r"\s+AND\s+", query.strip()):
        match = _CLAUSE.match(part)
        if not match:
            raise invalid(f"Invalid search query: {part}", param="query")
        meta_key, field, value = match.groups()
        clauses.append(("metadata", meta_key, value) if meta_key else (field, "", value))
    return clauses


def _matches(pi: PaymentIntent, clauses: list[tuple[str, str, str]]) -> bool:
    for field, key, value in clauses:
        actual = (pi.meta or {}).get(key) if field == "metadata" else getattr(pi, field)
        if actual != value:
            return False
    return True


def build_api_router(sandbox: "StripeSandbox") -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["stripe"])
    config = sandbox.config
    book = sandbox.intents

    def account(authorization: Annotated[str | None, Header()] = None) -> StripeAccount:
        return account_of(sandbox, authorization)

    Account = Annotated[StripeAccount, Depends(account)]
    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    def query_params(request: Request) -> Params:
        return forms.nest(request.query_params.multi_items())

    async def post(request: Request, acct: StripeAccount, work: PostWork) -> Response:
        raw = await request.body()
        params = forms.parse_form(raw)
        return await idempotency.run(
            sandbox.sessions,
            account_id=acct.account_id,
            key=request.headers.get("idempotency-key"),
            print_=idempotency.fingerprint("POST", request.url.path, raw),
            ttl=config.idempotency_ttl,
            work=lambda session: work(session, params),
        )

    @router.post("/payment_intents")
    async def create_intent(request: Request, acct: Account) -> Response:
        async def work(session: AsyncSession, params: Params) -> tuple[int, dict[str, Any]]:
            pi = await book.create(session, acct.account_id, parse_new_intent(params))
            return 200, book.shape(pi, forms.expansions(params))

        return await post(request, acct, work)

    @router.get("/payment_intents")
    async def list_payment_intents(request: Request, acct: Account, session: Db) -> Response:
        params = query_params(request)
        page = await list_intents(session, acct.account_id, params)
        expand = {e[5:] for e in forms.expansions(params) if e.startswith("data.")}
        data = [book.shape(pi, expand) for pi in page["rows"]]
        return stripe_json(shapes.list_object(data, "/v1/payment_intents", page["has_more"]))

    @router.get("/payment_intents/search")
    async def search_intents(request: Request, acct: Account, session: Db) -> Response:
        params = query_params(request)
        clauses = parse_search(forms.text(params, "query"))
        limit = forms.integer(params, "limit") or 10
        rows = (
            await session.scalars(
                select(PaymentIntent)
                .where(PaymentIntent.account_id == acct.account_id)
                .order_by(PaymentIntent.created.desc(), PaymentIntent.id.desc())
            )
        ).all()
        found = [book.shape(pi) for pi in rows if _matches(pi, clauses)]
        return stripe_json({"object": "search_result", "data": found[:limit],
                            "has_more": len(found) > limit, "next_page": None,
                            "url": "/v1/payment_intents/search"})  # fmt: skip

    @router.get("/payment_intents/{intent}")
    async def retrieve_intent(
        intent: str, request: Request, acct: Account, session: Db
    ) -> Response:
        pi = await intents.find(session, acct.account_id, intent)
        return stripe_json(book.shape(pi, forms.expansions(query_params(request))))

    @router.post("/payment_intents/{intent}/confirm")
    async def confirm_intent(intent: str, request: Request, acct: Account) -> Response:
        async def work(session: AsyncSession, params: Params) -> tuple[int, dict[str, Any]]:
            pi = await intents.find(session, acct.account_id, intent, for_update=True)
            method = forms.text(params, "payment_method", max_length=64)
            return_url = forms.text(params, "return_url", max_length=2000)
            await book.confirm(session, pi, method, return_url)
            return 200, book.shape(pi, forms.expansions(params))

        return await post(request, acct, work)

    @router.post("/payment_intents/{intent}/capture")
    async def capture_intent(intent: str, request: Request, acct: Account) -> Response:
        async def work(session: AsyncSession, params: Params) -> tuple[int, dict[str, Any]]:
            pi = await intents.find(session, acct.account_id, intent, for_update=True)
            await book.capture(session, pi, forms.integer(params, "amount_to_capture"))
            return 200, book.shape(pi, forms.expansions(params))

        return await post(request, acct, work)

    @router.post("/payment_intents/{intent}/cancel")
    async def cancel_intent(intent: str, request: Request, acct: Account) -> Response:
        async def work(session: AsyncSession, params: Params) -> tuple[int, dict[str, Any]]:
            reason = forms.text(params, "cancellation_reason")
            if reason is not None and reason not in intents.CANCELLATION_REASONS:
                raise invalid("Invalid cancellation_reason", param="cancellation_reason")
            pi = await intents.find(session, acct.account_id, intent, for_update=True)
            await book.cancel(session, pi, reason)
            return 200, book.shape(pi, forms.expansions(params))

        return await post(request, acct, work)

    @router.post("/refunds")
    async def create_refund(request: Request, acct: Account) -> Response:
        async def work(session: AsyncSession, params: Params) -> tuple[int, dict[str, Any]]:
            pi_id, charge_id = forms.text(params, "payment_intent"), forms.text(params, "charge")
            if not pi_id and not charge_id:
                raise invalid("One of `charge` or `payment_intent` is required.")
            reason = forms.text(params, "reason")
            if reason is not None and reason not in refunds.REASONS:
                raise invalid(f"Invalid reason: must be one of {', '.join(refunds.REASONS)}",
                              param="reason")  # fmt: skip
            new = refunds.NewRefund(
                amount=forms.integer(params, "amount"), reason=reason,
                metadata=forms.metadata(params),
            )  # fmt: skip
            if pi_id:
                pi = await intents.find(session, acct.account_id, pi_id, for_update=True)
            else:
                pi = await intents.by_charge(session, acct.account_id, charge_id or "")
            refund = await refunds.create(session, config, pi, new)
            return 200, shapes.refund(refund)

        return await post(request, acct, work)

    @router.get("/refunds/{refund_id}")
    async def retrieve_refund(refund_id: str, acct: Account, session: Db) -> Response:
        return stripe_json(shapes.refund(await refunds.find(session, acct.account_id, refund_id)))

    @router.get("/charges/{charge_id}")
    async def retrieve_charge(
        charge_id: str, request: Request, acct: Account, session: Db
    ) -> Response:
        pi = await intents.by_charge(session, acct.account_id, charge_id)
        return stripe_json(shapes.charge(pi, forms.expansions(query_params(request))))

    @router.get("/balance_transactions/{txn}")
    async def retrieve_balance_transaction(txn: str, acct: Account, session: Db) -> Response:
        pi = await session.scalar(
            select(PaymentIntent).where(
                PaymentIntent.balance_transaction_id == txn,
                PaymentIntent.account_id == acct.account_id,
            )
        )
        if pi is not None:
            return stripe_json(shapes.charge_balance_transaction(pi))
        refund = await refunds.by_balance_transaction(session, acct.account_id, txn)
        if refund is None:
            raise no_such("balance transaction", txn)
        return stripe_json(shapes.refund_balance_transaction(refund))

    @router.get("/events/{event_id}")
    async def retrieve_event(event_id: str, acct: Account, session: Db) -> Response:
        event = await session.scalar(
            select(Event).where(Event.id == event_id, Event.account_id == acct.account_id)
        )
        if event is None:
            raise no_such("event", event_id)
        return Response(event.body, media_type="application/json")

    return router
