"""The JSON shapes of Stripe's objects, built from the simulator's rows (docs.stripe.com/api:
the PaymentIntent, Charge, BalanceTransaction, Refund and Event objects).

Every object has ``id``, ``object``, ``created`` (unix seconds), ``livemode: false``; amounts
are integers in minor units and currencies lower case. Expandable fields (``latest_charge``,
``balance_transaction``) are ids unless named in ``expand`` (``latest_charge``,
``latest_charge.balance_transaction``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from kro.sandbox.stripe.forms import unix
from kro.sandbox.stripe.models import PaymentIntent, Refund

CARD_BRANDS = {"mastercard": "mastercard", "amex": "amex", "discover": "discover"}


def hosted_url(base_url: str, pi_id: str) -> str:
    """The sandbox's hosted page of a PaymentIntent (its 3-D Secure / checkout stand-in)."""
    return f"{base_url.rstrip('/')}/pay/{pi_id}"


def next_action(pi: PaymentIntent, base_url: str) -> dict[str, Any] | None:
    """``requires_action`` → ``{"type": "redirect_to_url", "redirect_to_url": {"url",
    "return_url"}}`` (Stripe's shape for a redirect-based authentication)."""
    if pi.status != "requires_action":
        return None
    return {
        "type": "redirect_to_url",
        "redirect_to_url": {"url": hosted_url(base_url, pi.id), "return_url": pi.return_url},
    }


def payment_intent(
    pi: PaymentIntent, base_url: str, expand: set[str] | None = None
) -> dict[str, Any]:
    """The PaymentIntent object; ``expand`` may hold ``latest_charge`` and
    ``latest_charge.balance_transaction``."""
    expand = expand or set()
    latest: Any = pi.charge_id
    deep = "latest_charge.balance_transaction" in expand
    if pi.charge_id and ("latest_charge" in expand or deep):
        inner = {"balance_transaction"} if deep else set()
        latest = charge(pi, inner)
    return {
        "id": pi.id,
        "object": "payment_intent",
        "amount": pi.amount,
        "amount_capturable": pi.amount_capturable,
        "amount_details": {"tip": {}},
        "amount_received": pi.amount_received,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": None,
        "canceled_at": unix(pi.canceled_at),
        "cancellation_reason": pi.cancellation_reason,
        "capture_method": pi.capture_method,
        "client_secret": pi.client_secret,
        "confirmation_method": "automatic",
        "created": unix(pi.created),
        "currency": pi.currency,
        "customer": None,
        "description": pi.description,
        "last_payment_error": pi.last_payment_error,
        "latest_charge": latest,
        "livemode": False,
        "metadata": pi.meta or {},
        "next_action": next_action(pi, base_url),
        "on_behalf_of": None,
        "payment_method": pi.payment_method,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": pi.receipt_email,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": pi.status,
        "transfer_data": None,
        "transfer_group": None,
    }


def _card(pi: PaymentIntent) -> dict[str, Any]:
    method = pi.payment_method or (pi.last_payment_error or {}).get("payment_method", {}).get("id")
    brand = next((b for k, b in CARD_BRANDS.items() if method and k in method), "visa")
    card: dict[str, Any] = {
        "brand": brand,
        "country": "US",
        "exp_month": 12,
        "exp_year": 2034,
        "funding": "credit",
        "last4": "0002" if pi.charge_status == "failed" else "4242",
        "network": brand,
    }
    if pi.capture_before is not None:
        card["capture_before"] = unix(pi.capture_before)
    return {"type": "card", "card": card}


def charge(pi: PaymentIntent, expand: set[str] | None = None) -> dict[str, Any]:
    """The PaymentIntent's latest Charge (``ch_…``); ``expand`` may hold
    ``balance_transaction``. An authorized, uncaptured charge is ``succeeded`` with
    ``captured: false`` (Stripe's shape)."""
    expand = expand or set()
    error = pi.last_payment_error if pi.charge_status == "failed" else None
    bt: Any = pi.balance_transaction_id
    if bt and "balance_transaction" in expand:
        bt = charge_balance_transaction(pi)
    captured = pi.amount_received > 0
    return {
        "id": pi.charge_id,
        "object": "charge",
        "amount": pi.amount,
        "amount_captured": pi.amount_received,
        "amount_refunded": pi.amount_refunded,
        "balance_transaction": bt,
        "billing_details": {"email": pi.receipt_email},
        "captured": captured,
        "created": unix(pi.authorized_at or pi.created),
        "currency": pi.currency,
        "description": pi.description,
        "failure_code": error.get("code") if error else None,
        "failure_message": error.get("message") if error else None,
        "livemode": False,
        "metadata": pi.meta or {},
        "outcome": _outcome(error),
        "paid": pi.charge_status == "succeeded",
        "payment_intent": pi.id,
        "payment_method": pi.payment_method or (error or {}).get("payment_method", {}).get("id"),
        "payment_method_details": _card(pi),
        "receipt_email": pi.receipt_email,
        "refunded": captured and pi.amount_refunded >= pi.amount_received,
        "status": pi.charge_status or "pending",
    }


def _outcome(error: dict[str, Any] | None) -> dict[str, Any]:
    if error:
        return {"network_status": "declined_by_network", "reason": error.get("decline_code"),
                "risk_level": "normal", "seller_message": "The bank did not return any further "
                "details with this decline.", "type": "issuer_declined"}  # fmt: skip
    return {"network_status": "approved_by_network", "reason": None, "risk_level": "normal",
            "seller_message": "Payment complete.", "type": "authorized"}  # fmt: skip


def charge_balance_transaction(pi: PaymentIntent) -> dict[str, Any]:
    """The BalanceTransaction (``txn_…``, ``type: "charge"``) of a captured charge: ``amount``
    captured, ``fee`` Stripe's fee, ``net`` what the account gets (all minor units)."""
    created = pi.captured_at or pi.created
    return {
        "id": pi.balance_transaction_id,
        "object": "balance_transaction",
        "amount": pi.amount_received,
        "available_on": unix(created + timedelta(days=2)),
        "created": unix(created),
        "currency": pi.currency,
        "description": pi.description,
        "exchange_rate": None,
        "fee": pi.fee,
        "fee_details": [
            {
                "amount": pi.fee,
                "application": None,
                "currency": pi.currency,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        ],
        "net": pi.amount_received - pi.fee,
        "reporting_category": "charge",
        "source": pi.charge_id,
        "status": "pending",
        "type": "charge",
    }


def refund_balance_transaction(refund: Refund) -> dict[str, Any]:
    """The BalanceTransaction of a refund: negative ``amount`` and ``net``, no fee (Stripe
    keeps its original fee on a refunded card payment)."""
    return {
        "id": refund.balance_transaction_id,
        "object": "balance_transaction",
        "amount": -refund.amount,
        "available_on": unix(refund.created),
        "created": unix(refund.created),
        "currency": refund.currency,
        "description": "REFUND FOR CHARGE",
        "exchange_rate": None,
        "fee": 0,
        "fee_details": [],
        "net": -refund.amount,
        "reporting_category": "refund",
        "source": refund.id,
        "status": "available" if refund.status == "succeeded" else "pending",
        "type": "refund",
    }


def refund(r: Refund) -> dict[str, Any]:
    """The Refund object (``re_…``); ``status`` ``pending`` → ``succeeded``."""
    return {
        "id": r.id,
        "object": "refund",
        "amount": r.amount,
        "balance_transaction": r.balance_transaction_id,
        "charge": r.charge_id,
        "created": unix(r.created),
        "currency": r.currency,
        "destination_details": {"type": "card", "card": {"type": "refund"}},
        "metadata": r.meta or {},
        "payment_intent": r.payment_intent_id,
        "reason": r.reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": r.status,
        "transfer_reversal": None,
    }


def list_object(data: list[dict[str, Any]], url: str, has_more: bool) -> dict[str, Any]:
    """Stripe's list envelope."""
    return {"object": "list", "data": data, "has_more": has_more, "url": url}
