"""What a caller asks the ledger to do: transfer requests and their validation (pure, no I/O).

A batch is a sequence of :class:`TransferSpec`, :class:`PostPending` and :class:`VoidPending`
that succeeds or fails as a whole. Amounts are integers in minor units (kobo for NGN).

Requests are immutable named tuples (``request._replace(...)`` makes a changed copy): every
payment builds a few, and a named tuple is built about four times faster than a frozen
dataclass.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, NamedTuple

from kro.kit.money import MoneyError, check_currency
from kro.ledger.errors import InvalidTransfer
from kro.ledger.models import LedgerTransfer

MAX_BATCH = 1000
_MAX_AMOUNT = 2**63 - 1


class TransferSpec(NamedTuple):
    """Move ``amount`` minor units of ``currency`` from ``debit_account_id`` to ``credit_…``.

    ``id`` is chosen by the caller (``new_id("trf")``, or derived from the business event so a
    retry reuses it). ``pending=True`` places a hold instead, to be posted or voided later;
    ``timeout`` (pending only) makes the hold expire, releasing it (:func:`expire_pending`).
    ``code`` is a short reason (``escrow.fund``); ``reference`` an external id or free text.
    """

    id: str
    debit_account_id: str
    credit_account_id: str
    amount: int
    currency: str
    code: str
    reference: str | None = None
    pending: bool = False
    timeout: timedelta | None = None
    metadata: dict[str, Any] | None = None


class PostPending(NamedTuple):
    """Post the hold ``pending_id``: ``amount`` (default: all of it) moves, the rest is released.

    Accounts and currency come from the pending transfer; ``code`` and ``reference`` default
    to the pending transfer's.
    """

    id: str
    pending_id: str
    amount: int | None = None
    code: str | None = None
    reference: str | None = None
    metadata: dict[str, Any] | None = None


class VoidPending(NamedTuple):
    """Release the hold ``pending_id`` entirely; nothing moves."""

    id: str
    pending_id: str
    code: str | None = None
    reference: str | None = None
    metadata: dict[str, Any] | None = None


TransferRequest = TransferSpec | PostPending | VoidPending


def validate_batch(requests: Sequence[TransferRequest]) -> None:
    """Check a batch before touching the database; raises :class:`InvalidTransfer` (422)."""
    if not requests:
        raise InvalidTransfer("A batch needs at least one transfer.")
    if len(requests) > MAX_BATCH:
        raise InvalidTransfer(f"A batch holds at most {MAX_BATCH} transfers.")
    ids = {r.id for r in requests}
    if len(ids) != len(requests):
        raise InvalidTransfer("Transfer ids must be unique within a batch.")
    refs = [r.pending_id for r in requests if not isinstance(r, TransferSpec)]
    if refs and len(set(refs)) != len(refs):
        raise InvalidTransfer("A pending transfer can be resolved once per batch.")
    if refs and not ids.isdisjoint(refs):
        raise InvalidTransfer("Post or void a pending transfer in a later batch.")
    for request in requests:
        if isinstance(request, TransferSpec):
            _check_spec(request)
        else:
            _check_resolution(request)


def _check_spec(spec: TransferSpec) -> None:
    # The common case inline (a batch of specs is the ledger's hot path); _check_text and
    # _check_amount say what is wrong.
    if not (isinstance(spec.id, str) and 0 < len(spec.id) <= 64):
        _check_text(spec.id, "id", 64)
    if spec.reference is not None:
        _check_text(spec.reference, "reference", 255)
    if not (isinstance(spec.code, str) and 0 < len(spec.code) <= 64):
        _check_text(spec.code, "code", 64)
    if type(spec.amount) is not int or not 0 < spec.amount <= _MAX_AMOUNT:
        _check_amount(spec.amount, spec.id)
    if spec.debit_account_id == spec.credit_account_id:
        raise InvalidTransfer("Debit and credit accounts must differ.", details={"id": spec.id})
    try:
        check_currency(spec.currency)
    except MoneyError as exc:
        raise InvalidTransfer(str(exc), details={"id": spec.id}) from exc
    if spec.timeout is not None and (not spec.pending or spec.timeout <= timedelta(0)):
        raise InvalidTransfer(
            "A timeout must be positive and is only for pending transfers.",
            details={"id": spec.id},
        )


def _check_resolution(request: PostPending | VoidPending) -> None:
    _check_text(request.id, "id", 64)
    _check_text(request.reference, "reference", 255, optional=True)
    _check_text(request.pending_id, "pending_id", 64)
    _check_text(request.code, "code", 64, optional=True)
    if isinstance(request, PostPending) and request.amount is not None:
        _check_amount(request.amount, request.id)


def _check_amount(amount: int, transfer_id: str) -> None:
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= _MAX_AMOUNT:
        raise InvalidTransfer(
            "The amount must be a positive integer in minor units.",
            details={"id": transfer_id, "amount": repr(amount)},
        )


def _check_text(value: str | None, field: str, limit: int, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise InvalidTransfer(f"{field} must be a string of 1 to {limit} characters.")


def kind_of(request: TransferRequest) -> str:
    """The ``kind`` column value a request produces."""
    if isinstance(request, PostPending):
        return "post_pending"
    if isinstance(request, VoidPending):
        return "void_pending"
    return "pending" if request.pending else "normal"


def differences(request: TransferRequest, stored: LedgerTransfer) -> list[str]:
    """Fields in which ``request`` differs from the transfer already stored under its id.

    Empty means the request is a retry of ``stored`` (TigerBeetle's ``exists``). Fields a
    post/void request leaves as ``None`` are inherited and therefore not compared.
    """
    wanted: dict[str, Any] = {"kind": kind_of(request)}
    if isinstance(request, TransferSpec):
        wanted |= {
            "debit_account_id": request.debit_account_id,
            "credit_account_id": request.credit_account_id,
            "amount": request.amount,
            "currency": request.currency,
            "code": request.code,
            "reference": request.reference,
            "metadata": request.metadata,
            "timeout": request.timeout,
        }
    else:
        wanted["pending_id"] = request.pending_id
        optional: dict[str, Any] = {"code": request.code, "reference": request.reference}
        optional["metadata"] = request.metadata
        if isinstance(request, PostPending):
            optional["amount"] = request.amount
        wanted |= {k: v for k, v in optional.items() if v is not None}
    return [name for name, value in wanted.items() if _stored(stored, name) != value]


def _stored(stored: LedgerTransfer, name: str) -> Any:
    if name == "metadata":
        return stored.metadata_
    if name == "timeout":
        return None if stored.expires_at is None else stored.expires_at - stored.created_at
    return getattr(stored, name)
