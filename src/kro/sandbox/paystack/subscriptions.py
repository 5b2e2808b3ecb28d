"""Paystack plans, subscriptions and invoices, as the simulator serves them.

Paths (Paystack's, ``Authorization: Bearer <secret key>``):

- ``POST /plan`` (``name``, ``amount`` kobo, ``interval``, ``description``, ``currency``,
  ``invoice_limit``, ``send_invoices``, ``send_sms``) → ``Plan created``, with ``plan_code``
  ``PLN_…``; ``GET /plan`` (list), ``GET /plan/{id_or_code}``, ``PUT /plan/{id_or_code}``
  (``Plan updated. 1 subscription(s) affected`` is not simulated: ``Plan updated``).
- ``POST /transaction/initialize`` with ``plan``: the plan's amount replaces ``amount``;
  paying it creates a subscription (``subscription.create`` after ``charge.success``).
- ``POST /subscription`` (``customer`` email or code, ``plan``, optional ``authorization``,
  ``start_date``) for a customer with a saved card; ``GET /subscription``,
  ``GET /subscription/{id_or_code}``; ``POST /subscription/disable`` and
  ``POST /subscription/enable`` (``code``, ``token`` = the subscription's ``email_token``).
- Control: ``POST /_sandbox/subscriptions/{code}/renew`` charges the next period now:
  ``invoice.create``, then ``charge.success`` (the transaction carries ``plan``), then
  ``invoice.update`` (``paid: true``); a disabled subscription is not charged.

Shapes follow Paystack's documented objects (docs.paystack.co/api/plan, /api/subscription and
the ``subscription.create`` / ``invoice.*`` webhook samples). **Not confirmed**: the exact
``invoice.*`` field set (we send ``domain``, ``invoice_code``, ``amount``, ``period_start``,
``period_end``, ``status``, ``paid``, ``paid_at``, ``description``, ``authorization``,
``subscription``, ``customer``, ``transaction``, ``created_at``), the ``cron_expression`` of
intervals other than monthly, ``subscription.disable``'s payload (we send the subscription
object) and renewal timing (Paystack sends ``invoice.create`` about 3 days before the charge;
here everything happens at once when renewal is triggered).
"""

# No ``from __future__ import annotations``: FastAPI must resolve the local Annotated
# dependencies of the routes below (as in api.py).
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import clock
from kro.sandbox.common.service import session_dependency
from kro.sandbox.paystack import balances, inputs, webhooks
from kro.sandbox.paystack.config import PaystackSandboxConfig
from kro.sandbox.paystack.errors import PaystackApiError
from kro.sandbox.paystack.fees import transaction_fee
from kro.sandbox.paystack.models import (
    Customer,
    Invoice,
    Plan,
    PlanCheckout,
    Subscription,
    Transaction,
)
from kro.sandbox.paystack.shapes import customer_data, transaction_data
from kro.sandbox.paystack.util import iso, new_access_code, new_reference, random_code

if TYPE_CHECKING:
    from kro.sandbox.paystack.app import PaystackSandbox

INTERVALS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "monthly": timedelta(days=30),
    "quarterly": timedelta(days=91),
    "biannually": timedelta(days=182),
    "annually": timedelta(days=365),
}


def _plan_not_found() -> PaystackApiError:
    return PaystackApiError("Plan not found", http_status=404, code="not_found")


def _subscription_not_found() -> PaystackApiError:
    return PaystackApiError("Subscription not found", http_status=404, code="not_found")


def plan_data(plan: Plan, *, domain: str) -> dict[str, Any]:
    return {
        "id": plan.id,
        "domain": domain,
        "name": plan.name,
        "plan_code": plan.plan_code,
        "description": plan.description,
        "amount": plan.amount,
        "interval": plan.interval,
        "invoice_limit": plan.invoice_limit,
        "send_invoices": plan.send_invoices,
        "send_sms": plan.send_sms,
        "hosted_page": False,
        "hosted_page_url": None,
        "hosted_page_summary": None,
        "currency": plan.currency,
        "migrate": False,
        "is_deleted": False,
        "is_archived": False,
        "integration": plan.integration,
        "createdAt": iso(plan.created_at),
        "updatedAt": iso(plan.updated_at),
    }


def _cron(interval: str, start: datetime) -> str:
    # Paystack shows a cron expression of the billing day; only monthly is confirmed.
    if interval == "monthly":
        return f"0 0 {start.day} * *"
    if interval == "weekly":
        return f"0 0 * * {start.isoweekday() % 7}"
    return "0 0 * * *"


async def subscription_data(
    session: AsyncSession, sub: Subscription, *, domain: str
) -> dict[str, Any]:
    plan = await session.get(Plan, sub.plan_id)
    customer = await session.get(Customer, sub.customer_id)
    assert plan is not None and customer is not None
    return {
        "id": sub.id,
        "domain": domain,
        "status": sub.status,
        "subscription_code": sub.subscription_code,
        "email_token": sub.email_token,
        "amount": sub.amount,
        "cron_expression": _cron(plan.interval, sub.created_at),
        "next_payment_date": iso(sub.next_payment_date),
        "open_invoice": None,
        "invoice_limit": sub.invoice_limit,
        "payments_count": sub.payments_count,
        "integration": sub.integration,
        "plan": plan_data(plan, domain=domain),
        "authorization": sub.authorization or {},
        "customer": customer_data(customer),
        "createdAt": iso(sub.created_at),
        "created_at": iso(sub.created_at),
    }


async def create_plan(
    session: AsyncSession, integration: int, body: dict[str, Any], config: PaystackSandboxConfig
) -> Plan:
    name = inputs.required_str(body, "name", "Name is required")
    if body.get("amount") in (None, ""):
        raise PaystackApiError("Amount is required", code="missing_params")
    interval = str(body.get("interval") or "")
    if interval not in INTERVALS:
        raise PaystackApiError("Interval is invalid", code="invalid_params")
    now = clock.now()
    plan = Plan(
        integration=integration,
        plan_code="PLN_" + random_code(15),
        name=name,
        description=inputs.optional_str(body, "description"),
        amount=inputs.amount(body.get("amount")),
        interval=interval,
        currency=inputs.currency(body.get("currency"), config),
        invoice_limit=int(body.get("invoice_limit") or 0),
        send_invoices=body.get("send_invoices", True) not in (False, "false"),
        send_sms=body.get("send_sms", True) not in (False, "false"),
        created_at=now,
        updated_at=now,
    )
    session.add(plan)
    await session.flush()
    return plan


async def find_plan(session: AsyncSession, integration: int, id_or_code: str) -> Plan:
    stmt = select(Plan).where(Plan.integration == integration)
    if id_or_code.isdigit():
        stmt = stmt.where(Plan.id == int(id_or_code))
    else:
        stmt = stmt.where(Plan.plan_code == id_or_code)
    plan = await session.scalar(stmt)
    if plan is None:
        raise _plan_not_found()
    return plan


async def find_subscription(
    session: AsyncSession, integration: int, id_or_code: str
) -> Subscription:
    stmt = select(Subscription).where(Subscription.integration == integration)
    if id_or_code.isdigit():
        stmt = stmt.where(Subscription.id == int(id_or_code))
    else:
        stmt = stmt.where(Subscription.subscription_code == id_or_code)
    sub = await session.scalar(stmt)
    if sub is None:
        raise _subscription_not_found()
    return sub


async def link_checkout(session: AsyncSession, tx: Transaction, plan: Plan) -> None:
    """``/transaction/initialize`` with ``plan``: paying ``tx`` subscribes its customer."""
    tx.amount = plan.amount
    session.add(PlanCheckout(transaction_id=tx.id, plan_id=plan.id))
    await session.flush()


async def subscribe(
    session: AsyncSession,
    config: PaystackSandboxConfig,
    integration: int,
    plan: Plan,
    customer: Customer,
    authorization: dict[str, Any],
    *,
    first_paid: bool,
    start: datetime | None = None,
) -> Subscription:
    """A new ``active`` subscription and its ``subscription.create`` webhook; its first
    charge at ``start`` (``POST /subscription``'s ``start_date``) or now."""
    now = clock.now()
    sub = Subscription(
        integration=integration,
        subscription_code="SUB_" + random_code(15),
        email_token=random_code(15),
        plan_id=plan.id,
        customer_id=customer.id,
        amount=plan.amount,
        status="active",
        authorization=authorization,
        invoice_limit=plan.invoice_limit,
        payments_count=1 if first_paid else 0,
        next_payment_date=now + INTERVALS[plan.interval] if first_paid else (start or now),
        created_at=now,
    )
    session.add(sub)
    await session.flush()
    await webhooks.enqueue(
        session,
        integration=integration,
        event="subscription.create",
        data=await subscription_data(session, sub, domain=config.domain),
        reference=sub.subscription_code,
    )
    return sub


async def on_paid(session: AsyncSession, config: PaystackSandboxConfig, tx: Transaction) -> None:
    """After ``charge.success`` of a plan checkout: subscribe the customer (once)."""
    link = await session.get(PlanCheckout, tx.id)
    if link is None:
        return
    plan = await session.get(Plan, link.plan_id)
    customer = await session.get(Customer, tx.customer_id)
    assert plan is not None and customer is not None
    await session.delete(link)
    await subscribe(
        session, config, tx.integration, plan, customer, tx.authorization or {}, first_paid=True
    )


def _invoice_data(
    invoice: Invoice, sub_data: dict[str, Any], tx: dict[str, Any] | None, *, domain: str
) -> dict[str, Any]:
    return {
        "domain": domain,
        "invoice_code": invoice.invoice_code,
        "amount": invoice.amount,
        "period_start": iso(invoice.period_start),
        "period_end": iso(invoice.period_end),
        "status": invoice.status,
        "paid": invoice.paid,
        "paid_at": iso(invoice.paid_at),
        "description": None,
        "authorization": sub_data["authorization"],
        "subscription": {
            k: sub_data[k]
            for k in (
                "status",
                "subscription_code",
                "email_token",
                "amount",
                "cron_expression",
                "next_payment_date",
                "open_invoice",
            )
        },
        "customer": sub_data["customer"],
        "transaction": {k: tx[k] for k in ("reference", "status", "amount", "currency")}
        if tx
        else {},
        "created_at": iso(invoice.created_at),
    }


async def renew(
    session: AsyncSession, config: PaystackSandboxConfig, sub: Subscription
) -> Transaction | None:
    """Charge the next period now: ``invoice.create``, ``charge.success`` of a new
    transaction carrying ``plan``, ``invoice.update``. Nothing for a subscription that is not
    ``active``; ``completed`` once ``invoice_limit`` payments were taken."""
    if sub.status != "active":
        return None
    plan = await session.get(Plan, sub.plan_id)
    customer = await session.get(Customer, sub.customer_id)
    assert plan is not None and customer is not None
    now = clock.now()
    invoice = Invoice(
        integration=sub.integration,
        invoice_code="INV_" + random_code(15),
        subscription_id=sub.id,
        amount=sub.amount,
        status="pending",
        period_start=now,
        period_end=now + INTERVALS[plan.interval],
        created_at=now,
    )
    session.add(invoice)
    await session.flush()
    sub_data = await subscription_data(session, sub, domain=config.domain)
    await webhooks.enqueue(
        session,
        integration=sub.integration,
        event="invoice.create",
        data=_invoice_data(invoice, sub_data, None, domain=config.domain),
        reference=invoice.invoice_code,
    )
    tx = Transaction(
        integration=sub.integration,
        reference=new_reference(),
        access_code=new_access_code(),
        amount=sub.amount,
        currency=plan.currency,
        customer_id=customer.id,
        status="success",
        gateway_response="Approved",
        channel="card",
        authorization=sub.authorization,
        fees=transaction_fee(
            sub.amount,
            percent_bps=config.percent_bps,
            flat=config.flat,
            flat_waived_below=config.flat_waived_below,
            cap=config.cap,
        ),
        metadata_=None,
        attempted_at=now,
        paid_at=now,
        created_at=now,
    )
    session.add(tx)
    await session.flush()
    assert tx.fees is not None
    await balances.credit(session, config, tx.integration, tx.currency, tx.amount - tx.fees)
    charge = transaction_data(tx, customer, domain=config.domain, camel=False)
    charge["plan"] = plan_data(plan, domain=config.domain)
    charge["subscription_code"] = sub.subscription_code  # not confirmed on Paystack's payload
    await webhooks.enqueue(
        session,
        integration=sub.integration,
        event="charge.success",
        data=charge,
        reference=tx.reference,
    )
    invoice.transaction_id, invoice.status, invoice.paid, invoice.paid_at = (
        tx.id,
        "success",
        True,
        now,
    )
    sub.payments_count += 1
    sub.next_payment_date = now + INTERVALS[plan.interval]
    if sub.invoice_limit and sub.payments_count >= sub.invoice_limit:
        sub.status = "completed"
    sub_data = await subscription_data(session, sub, domain=config.domain)
    await webhooks.enqueue(
        session,
        integration=sub.integration,
        event="invoice.update",
        data=_invoice_data(invoice, sub_data, charge, domain=config.domain),
        reference=invoice.invoice_code,
    )
    await session.flush()
    return tx


def _ok(message: str, data: Any, *, meta: Any = None) -> JSONResponse:
    body: dict[str, Any] = {"status": True, "message": message, "data": data}
    if meta is not None:
        body["meta"] = meta
    return JSONResponse(body)


def _meta(total: int) -> dict[str, int]:
    return {"total": total, "skipped": 0, "perPage": 50, "page": 1, "pageCount": 1}


def build_subscriptions_router(sandbox: "PaystackSandbox") -> APIRouter:
    """``/plan``, ``/subscription`` and the control path that renews a subscription."""
    from kro.sandbox.paystack.api import integration_of

    router = APIRouter(tags=["paystack"])
    config = sandbox.config

    def integration(authorization: Annotated[str | None, Header()] = None) -> int:
        return integration_of(sandbox, authorization)

    Integration = Annotated[int, Depends(integration)]
    Db = Annotated[AsyncSession, Depends(session_dependency(sandbox), scope="function")]

    @router.post("/plan")
    async def new_plan(request: Request, integration: Integration, session: Db) -> JSONResponse:
        plan = await create_plan(session, integration, await inputs.read_body(request), config)
        return JSONResponse(
            {
                "status": True,
                "message": "Plan created",
                "data": plan_data(plan, domain=config.domain),
            },
            status_code=201,
        )

    @router.get("/plan")
    async def plans(integration: Integration, session: Db) -> JSONResponse:
        stmt = select(Plan).where(Plan.integration == integration).order_by(Plan.id.desc())
        rows = [plan_data(p, domain=config.domain) for p in (await session.scalars(stmt))]
        return _ok("Plans retrieved", rows, meta=_meta(len(rows)))

    @router.get("/plan/{id_or_code}")
    async def fetch_plan(id_or_code: str, integration: Integration, session: Db) -> JSONResponse:
        plan = await find_plan(session, integration, id_or_code)
        return _ok("Plan retrieved", plan_data(plan, domain=config.domain))

    @router.put("/plan/{id_or_code}")
    async def update_plan(
        id_or_code: str, request: Request, integration: Integration, session: Db
    ) -> JSONResponse:
        plan = await find_plan(session, integration, id_or_code)
        body = await inputs.read_body(request)
        if "name" in body:
            plan.name = inputs.required_str(body, "name", "Name is required")
        if "amount" in body:
            plan.amount = inputs.amount(body.get("amount"))
        if "interval" in body:
            if body["interval"] not in INTERVALS:
                raise PaystackApiError("Interval is invalid", code="invalid_params")
            plan.interval = str(body["interval"])
        if "description" in body:
            plan.description = inputs.optional_str(body, "description")
        plan.updated_at = clock.now()
        return _ok("Plan updated. 0 subscription(s) affected", None)

    @router.post("/subscription")
    async def new_subscription(
        request: Request, integration: Integration, session: Db
    ) -> JSONResponse:
        body = await inputs.read_body(request)
        who = inputs.required_str(body, "customer", "Customer is required")
        plan = await find_plan(
            session, integration, inputs.required_str(body, "plan", "Plan is required")
        )
        column = Customer.customer_code if who.startswith("CUS_") else Customer.email
        customer = await session.scalar(
            select(Customer).where(
                Customer.integration == integration,
                column == who.lower() if column is Customer.email else column == who,
            )
        )
        last = None
        if customer is not None:
            last = await session.scalar(
                select(Transaction)
                .where(Transaction.customer_id == customer.id, Transaction.status == "success")
                .order_by(Transaction.id.desc())
                .limit(1)
            )
        if customer is None or last is None or not last.authorization:
            raise PaystackApiError("Customer has no authorization", code="invalid_params")
        start = None
        if body.get("start_date"):
            try:
                start = datetime.fromisoformat(str(body["start_date"]).replace("Z", "+00:00"))
            except ValueError:
                raise PaystackApiError("Invalid start date", code="invalid_params") from None
        sub = await subscribe(
            session,
            config,
            integration,
            plan,
            customer,
            last.authorization,
            first_paid=False,
            start=start,
        )
        return _ok(
            "Subscription successfully created",
            await subscription_data(session, sub, domain=config.domain),
        )

    @router.get("/subscription")
    async def subscriptions(integration: Integration, session: Db) -> JSONResponse:
        stmt = select(Subscription).where(Subscription.integration == integration)
        rows = [
            await subscription_data(session, s, domain=config.domain)
            for s in await session.scalars(stmt.order_by(Subscription.id.desc()))
        ]
        return _ok("Subscriptions retrieved", rows, meta=_meta(len(rows)))

    @router.get("/subscription/{id_or_code}")
    async def fetch_subscription(
        id_or_code: str, integration: Integration, session: Db
    ) -> JSONResponse:
        sub = await find_subscription(session, integration, id_or_code)
        return _ok(
            "Subscription retrieved", await subscription_data(session, sub, domain=config.domain)
        )

    async def _toggle(
        request: Request, integration: int, session: AsyncSession, on: bool
    ) -> Subscription:
        body = await inputs.read_body(request)
        sub = await find_subscription(
            session, integration, inputs.required_str(body, "code", "Code is required")
        )
        if str(body.get("token") or "") != sub.email_token:
            raise PaystackApiError(
                "Subscription with code not found or already inactive",
                http_status=404,
                code="not_found",
            )
        sub.status = "active" if on else "non-renewing"
        await session.flush()
        return sub

    @router.post("/subscription/disable")
    async def disable(request: Request, integration: Integration, session: Db) -> JSONResponse:
        sub = await _toggle(request, integration, session, False)
        await webhooks.enqueue(
            session,
            integration=integration,
            event="subscription.disable",
            data=await subscription_data(session, sub, domain=config.domain),
            reference=sub.subscription_code,
        )
        return _ok("Subscription disabled successfully", None)

    @router.post("/subscription/enable")
    async def enable(request: Request, integration: Integration, session: Db) -> JSONResponse:
        await _toggle(request, integration, session, True)
        return _ok("Subscription enabled successfully", None)

    @router.get("/_sandbox/subscriptions", tags=["paystack sandbox control"])
    async def subscriptions_of(email: str, session: Db) -> JSONResponse:
        """A customer's subscriptions by email, newest first (test control, like the
        dashboard's customer page; no auth, as the other control paths)."""
        stmt = (
            select(Subscription)
            .join(Customer, Customer.id == Subscription.customer_id)
            .where(Customer.email == email.lower())
            .order_by(Subscription.id.desc())
        )
        rows = [
            {
                "subscription_code": sub.subscription_code,
                "status": sub.status,
                "amount": sub.amount,
            }
            for sub in await session.scalars(stmt)
        ]
        return _ok("Subscriptions retrieved", rows)

    @router.post("/_sandbox/subscriptions/{code}/renew", tags=["paystack sandbox control"])
    async def renew_now(code: str, session: Db) -> JSONResponse:
        """Charge the subscription's next period now (test control; no auth, as the other
        control paths without ``control_requires_key``)."""
        sub = await session.scalar(
            select(Subscription).where(Subscription.subscription_code == code)
        )
        if sub is None:
            raise _subscription_not_found()
        tx = await renew(session, config, sub)
        if tx is None:
            raise PaystackApiError("Subscription is not active", code="invalid_params")
        return _ok("Subscription renewed", {"reference": tx.reference, "amount": tx.amount})

    return router
