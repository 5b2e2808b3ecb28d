"""Rows → Paystack JSON objects, field for field (see reference/providers.md section 1).

Shapes follow Paystack's documented responses and webhook samples (PaystackOSS
doc-code-snippets). Where Paystack writes a timestamp twice (``created_at`` and ``createdAt``)
both are written. A few fields pypaystack2's models require but Paystack omits in one place are
filled with Paystack's own value from a sibling endpoint (e.g. ``session`` on initiate).
"""

from __future__ import annotations

from typing import Any

from kro.sandbox.paystack.config import PaystackSandboxConfig
from kro.sandbox.paystack.models import Customer, Recipient, Refund, Transaction, Transfer
from kro.sandbox.paystack.util import iso

TEST_CARD_AUTHORIZATION: dict[str, Any] = {
    "bin": "408408",
    "last4": "4081",
    "exp_month": "12",
    "exp_year": "2030",
    "channel": "card",
    "card_type": "visa ",
    "bank": "TEST BANK",
    "country_code": "NG",
    "brand": "visa",
    "reusable": True,
    "account_name": None,
    "receiver_bank_account_number": None,
    "receiver_bank": None,
}


def customer_data(customer: Customer) -> dict[str, Any]:
    """Paystack's Customer object (as embedded in a transaction)."""
    return {
        "id": customer.id,
        "first_name": None,
        "last_name": None,
        "email": customer.email,
        "customer_code": customer.customer_code,
        "phone": None,
        "metadata": None,
        "risk_action": "default",
        "international_format_phone": None,
    }


def _log(tx: Transaction) -> dict[str, Any] | None:
    if tx.attempted_at is None:
        return None
    start = int(tx.created_at.timestamp())
    spent = max(1, int((tx.attempted_at - tx.created_at).total_seconds()))
    ok = tx.status in ("success", "reversed")
    history = [
        {"type": "action", "message": "Attempted to pay with card", "time": max(0, spent - 1)},
        {
            "type": "success" if ok else "error",
            "message": "Successfully paid with card" if ok else "Error: Declined",
            "time": spent,
        },
    ]
    return {
        "start_time": start,
        "time_spent": spent,
        "attempts": 1,
        "authentication": "pin" if ok else None,
        "errors": 0 if ok else 1,
        "success": ok,
        "mobile": False,
        "input": [],
        "history": history,
    }


def transaction_data(
    tx: Transaction, customer: Customer, *, domain: str, camel: bool = True
) -> dict[str, Any]:
    """The Transaction object of ``GET /transaction/verify`` (``camel``) and ``charge.success``."""
    data: dict[str, Any] = {
        "id": tx.id,
        "domain": domain,
        "status": tx.status,
        "reference": tx.reference,
        "receipt_number": None,
        "amount": tx.amount,
        "message": None,
        "gateway_response": tx.gateway_response or "The transaction was not completed",
        "paid_at": iso(tx.paid_at),
        "created_at": iso(tx.created_at),
        "channel": tx.channel,
        "currency": tx.currency,
        "ip_address": tx.ip_address,
        "metadata": tx.metadata_ if tx.metadata_ is not None else "",
        "log": _log(tx),
        "fees": tx.fees,
        "fees_split": None,
        "authorization": tx.authorization or {},
        "customer": customer_data(customer),
        "plan": {},
        "split": {},
        "order_id": None,
        "requested_amount": tx.amount,
        "pos_transaction_data": None,
        "source": None,
        "fees_breakdown": None,
        "connect": None,
    }
    if camel:
        data["paidAt"] = data["paid_at"]
        data["createdAt"] = data["created_at"]
        data["transaction_date"] = data["created_at"]
    return data


def refund_data(
    refund: Refund, tx: Transaction, customer: Customer, config: PaystackSandboxConfig
) -> dict[str, Any]:
    """The Refund object of ``POST /refund``."""
    return {
        "transaction": {
            "id": tx.id,
            "domain": config.domain,
            "reference": tx.reference,
            "amount": tx.amount,
            "paid_at": iso(tx.paid_at),
            "channel": tx.channel,
            "currency": tx.currency,
            "authorization": {
                k: (tx.authorization or {}).get(k) for k in ("exp_month", "exp_year", "last4")
            },
            "customer": {
                "id": customer.id,
                "email": customer.email,
                "customer_code": customer.customer_code,
                "risk_action": "default",
                "international_format_phone": None,
            },
            "plan": {},
            "subaccount": {"currency": None},
            "split": {},
            "order_id": None,
            "paidAt": iso(tx.paid_at),
            "pos_transaction_data": None,
            "source": None,
            "fees_breakdown": None,
        },
        "integration": refund.integration,
        "deducted_amount": refund.amount,
        "channel": None,
        "merchant_note": refund.merchant_note,
        "customer_note": refund.customer_note,
        "status": refund.status,
        "refunded_by": config.merchant_email,
        "refunded_at": iso(refund.refunded_at),
        "expected_at": iso(refund.process_at),
        "currency": refund.currency,
        "domain": config.domain,
        "amount": refund.amount,
        "fully_deducted": True,
        "id": refund.id,
        "createdAt": iso(refund.created_at),
        "updatedAt": iso(refund.updated_at),
    }


def refund_object(refund: Refund, config: PaystackSandboxConfig) -> dict[str, Any]:
    """The Refund object of ``GET /refund/:id`` and ``GET /refund``: ``transaction`` is the
    transaction's id (not the object ``POST /refund`` embeds); amounts in minor units."""
    return {
        "integration": refund.integration,
        "transaction": refund.transaction_id,
        "dispute": None,
        "settlement": None,
        "domain": config.domain,
        "amount": refund.amount,
        "deducted_amount": refund.amount,
        "fully_deducted": True,
        "currency": refund.currency,
        "channel": None,
        "status": refund.status,
        "refunded_by": config.merchant_email,
        "refunded_at": iso(refund.refunded_at),
        "expected_at": iso(refund.process_at),
        "customer_note": refund.customer_note,
        "merchant_note": refund.merchant_note,
        "bank_reference": None,
        "id": refund.id,
        "createdAt": iso(refund.created_at),
        "updatedAt": iso(refund.updated_at),
    }


def refund_event_data(
    refund: Refund, tx: Transaction, customer: Customer, config: PaystackSandboxConfig
) -> dict[str, Any]:
    """``data`` of ``refund.pending`` / ``refund.processed`` webhooks (Paystack's samples)."""
    return {
        "id": refund.id,
        "status": refund.status,
        "transaction_reference": tx.reference,
        "refund_reference": refund.refund_reference,
        "amount": refund.amount,
        "currency": refund.currency,
        "processor": "mastercard",
        "customer": {"first_name": None, "last_name": None, "email": customer.email},
        "integration": refund.integration,
        "domain": config.domain,
    }


def recipient_data(recipient: Recipient, config: PaystackSandboxConfig) -> dict[str, Any]:
    """The TransferRecipient object."""
    return {
        "active": True,
        "createdAt": iso(recipient.created_at),
        "currency": recipient.currency,
        "description": recipient.description,
        "domain": config.domain,
        "email": None,
        "id": recipient.id,
        "integration": recipient.integration,
        "metadata": recipient.metadata_,
        "name": recipient.name,
        "recipient_code": recipient.recipient_code,
        "type": recipient.type,
        "updatedAt": iso(recipient.updated_at),
        "is_deleted": False,
        "isDeleted": False,
        "details": {
            "authorization_code": None,
            "account_number": recipient.account_number,
            "account_name": recipient.account_name,
            "bank_code": recipient.bank_code,
            "bank_name": recipient.bank_name,
        },
    }


def transfer_data(
    transfer: Transfer,
    recipient: Recipient,
    config: PaystackSandboxConfig,
    *,
    expand: bool,
) -> dict[str, Any]:
    """The Transfer object: ``recipient`` is the id on initiate, the object (``expand``) on
    verify. ``session`` is always present (pypaystack2's ``Transfer`` requires it)."""
    data: dict[str, Any] = {
        "amount": transfer.amount,
        "createdAt": iso(transfer.created_at),
        "currency": transfer.currency,
        "domain": config.domain,
        "failures": transfer.failures,
        "id": transfer.id,
        "integration": transfer.integration,
        "reason": transfer.reason,
        "reference": transfer.reference,
        "source": transfer.source,
        "source_details": None,
        "status": transfer.status,
        "titan_code": None,
        "transfer_code": transfer.transfer_code,
        "request": transfer.request_id,
        "transferred_at": iso(transfer.transferred_at),
        "updatedAt": iso(transfer.updated_at),
        "recipient": recipient_data(recipient, config) if expand else recipient.id,
        "session": {
            "provider": "nip" if transfer.session_id else None,
            "id": transfer.session_id,
        },
    }
    if expand:
        data["fee_charged"] = transfer.fee_charged
        data["fees_breakdown"] = None
        data["gateway_response"] = transfer.gateway_response
    return data


def transfer_event_data(
    transfer: Transfer, recipient: Recipient, config: PaystackSandboxConfig
) -> dict[str, Any]:
    """``data`` of ``transfer.success`` / ``transfer.failed`` / ``transfer.reversed``."""
    data = transfer_data(transfer, recipient, config, expand=True)
    data["integration"] = {
        "id": transfer.integration,
        "is_live": config.domain == "live",
        "business_name": config.business_name,
    }
    data["created_at"] = data["createdAt"]
    data["updated_at"] = data["updatedAt"]
    return data
