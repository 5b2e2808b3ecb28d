"""Reading request bodies and fields the way Paystack does, with Paystack's error messages.

Paystack accepts JSON and form-encoded bodies, and amounts as integers or numeric strings.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request

from kro.sandbox.paystack.config import PaystackSandboxConfig
from kro.sandbox.paystack.errors import PaystackApiError

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Transaction references: alphanumerics and - . = only (paystack.com/docs/api/transaction).
_TX_REFERENCE = re.compile(r"^[A-Za-z0-9.=-]{1,100}$")
# Transfer references: lower-case alphanumerics, - and _, 16 to 50 characters
# (paystack.com/docs/transfers/single-transfers: "Generate a transfer reference").
_TRANSFER_REFERENCE = re.compile(r"^[a-z0-9_-]{16,50}$")
_NUBAN = re.compile(r"^\d{10}$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d$")


async def read_body(request: Request) -> dict[str, Any]:
    """The body as a dict: JSON object, or form fields; anything else is a 400."""
    content_type = request.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type or "multipart/form-data" in content_type:
        form = await request.form()
        return {k: v for k, v in form.items() if isinstance(v, str)}
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise PaystackApiError("Invalid JSON body", code="invalid_json") from None
    if not isinstance(body, dict):
        raise PaystackApiError("Invalid JSON body", code="invalid_json")
    return body


def optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise PaystackApiError(f"Invalid {name}")
    return str(value)


def required_str(body: dict[str, Any], name: str, message: str) -> str:
    value = optional_str(body, name)
    if value is None:
        raise PaystackApiError(message, code="missing_params")
    return value


def amount(value: Any, *, message: str = "Invalid Amount Sent") -> int:
    """A positive whole number of minor units, from an int or a string of digits."""
    if isinstance(value, bool):
        raise PaystackApiError(message, code="invalid_amount")
    if isinstance(value, int):
        parsed = value
    elif isinstance(value, str) and value.strip().isdigit():
        parsed = int(value.strip())
    else:
        raise PaystackApiError(message, code="invalid_amount")
    if parsed <= 0:
        raise PaystackApiError(message, code="invalid_amount")
    return parsed


def email(value: Any) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        raise PaystackApiError("Invalid Email Address Passed", code="invalid_email")
    return value.strip().lower()


def currency(value: Any, config: PaystackSandboxConfig) -> str:
    """``NGN`` when absent; an unsupported code gets Paystack's merchant-currency error."""
    if value is None or value == "":
        return "NGN"
    code = str(value).upper()
    if code not in config.currencies:
        raise PaystackApiError("Currency not supported by merchant", code="unsupported_currency")
    return code


def transaction_reference(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _TX_REFERENCE.match(value):
        raise PaystackApiError(
            "Invalid transaction reference. Only -, ., = and alphanumeric characters allowed",
            code="invalid_reference",
        )
    return value


def transfer_reference(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _TRANSFER_REFERENCE.match(value):
        raise PaystackApiError(
            "Invalid transfer reference. Use 16 to 50 lowercase alphanumeric characters, - or _",
            code="invalid_reference",
        )
    return value


def metadata(value: Any) -> Any:
    """An object, or a string holding JSON (both are accepted by Paystack)."""
    if isinstance(value, str) and value.strip().startswith(("{", "[")):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def nuban(value: Any) -> bool:
    return isinstance(value, str) and bool(_NUBAN.match(value))


def date_bound(value: str | None, name: str, *, end: bool = False) -> datetime | None:
    """A ``from``/``to`` list filter: an ISO-8601 date (``2016-09-21``) or datetime
    (``2016-09-24T00:00:05.000Z``; naive means UTC), as Paystack's list endpoints take them.

    A date-only ``to`` (``end``) covers that whole day: the bound is the next midnight,
    exclusive. Anything else is Paystack's 400.
    """
    if value is None or value.strip() == "":
        return None
    # An unencoded "+01:00" in a query string arrives as " 01:00".
    text = re.sub(r"^(.+T[\d:.]+) (\d\d:?\d\d)$", r"\1+\2", value.strip())
    try:
        if _DATE.match(text):
            day = datetime.fromisoformat(text).replace(tzinfo=UTC)
            return day + timedelta(days=1) if end else day
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise PaystackApiError(f"Invalid {name} date", code="invalid_params") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def page_params(per_page: int, page: int, *, maximum: int = 100) -> tuple[int, int]:
    """``perPage`` clamped to ``1..maximum`` and ``page`` to at least 1."""
    return max(1, min(per_page, maximum)), max(1, page)
