"""Identity verification use cases (core; the marketplace and crowdfunding call them).

A user submits a BVN, a NIN (11 digits each) and their name. The case is ``pending`` until
the provider's BVN record is compared with the name (:func:`record_lookup`): a match at or
above the threshold verifies it, anything else waits in the admin review queue, where an
admin approves or rejects with a reason. Services only flush.

Public API used by products: :func:`status` and :func:`is_verified`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from difflib import SequenceMatcher

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.kit.db import released
from kro.kyc.errors import (
    AlreadyVerified,
    CaseNotFound,
    CaseNotPending,
    InvalidIdentityNumber,
    ReasonRequired,
)
from kro.kyc.models import KycCase
from kro.providers.dojah.client import DojahClient, DojahUnavailable
from kro.settings import Settings

NONE, PENDING, VERIFIED, REJECTED = "none", "pending", "verified", "rejected"
# The name match at or above which a BVN record verifies a case without an admin, in basis
# points (10 000 = the same words). Overridable per call; KRO_KYC_NAME_MATCH_BPS in settings.
DEFAULT_MATCH_BPS = 8_500
_DIGITS = re.compile(r"^\d{11}$")


async def status(session: AsyncSession, user_id: str) -> str:
    """``"none"`` (never submitted) | ``"pending"`` | ``"verified"`` | ``"rejected"``."""
    case = await get_case(session, user_id)
    return case.status if case else NONE


async def is_verified(session: AsyncSession, user_id: str) -> bool:
    """Whether ``user_id`` passed identity verification."""
    return await status(session, user_id) == VERIFIED


async def get_case(session: AsyncSession, user_id: str) -> KycCase | None:
    """The user's verification, if they submitted one."""
    stmt = select(KycCase).where(KycCase.user_id == user_id)
    return (await session.execute(stmt)).scalar_one_or_none()


def _digest(number: str) -> str:
    return hashlib.sha256(number.encode()).hexdigest()


def check_number(value: str, field: str) -> str:
    """``value`` without spaces if it is 11 digits; InvalidIdentityNumber (422) otherwise."""
    number = re.sub(r"\s+", "", value or "")
    if not _DIGITS.match(number):
        raise InvalidIdentityNumber(details={"field": field})
    return number


async def submit(
    session: AsyncSession,
    user_id: str,
    *,
    bvn: str,
    nin: str,
    full_name: str,
    document_key: str | None = None,
) -> KycCase:
    """Submit (or resubmit after a rejection) a verification; the case becomes ``pending``.

    Raises InvalidIdentityNumber (422, ``details.field`` = ``bvn`` | ``nin``), AlreadyVerified
    (409)."""
    bvn = check_number(bvn, "bvn")
    nin = check_number(nin, "nin")
    name = " ".join(full_name.split())
    if not name:
        raise InvalidIdentityNumber("Your full name is required.", details={"field": "full_name"})
    case = await get_case(session, user_id)
    if case is not None and case.status == VERIFIED:
        raise AlreadyVerified()
    if case is None:
        case = KycCase(user_id=user_id)
        session.add(case)
    case.status = PENDING
    case.full_name = name[:200]
    case.bvn_digest, case.bvn_last4 = _digest(bvn), bvn[-4:]
    case.nin_digest, case.nin_last4 = _digest(nin), nin[-4:]
    case.document_key = document_key or case.document_key
    case.bvn_name = case.match_score = case.reason = case.reviewed_by = case.decided_at = None
    case.needs_review = False
    case.submitted_at = utcnow()
    await session.flush()
    return case


def _normal_words(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return sorted(w for w in re.split(r"[^a-z]+", plain) if w)


def name_match_bps(given: str, on_record: str) -> int:
    """How closely two names match, in basis points: the similarity of their words sorted
    (so "Adaeze Okafor" and "OKAFOR ADAEZE" are 10 000), ignoring case, accents and
    punctuation; a middle name on the record only lowers it a little."""
    a, b = " ".join(_normal_words(given)), " ".join(_normal_words(on_record))
    if not a or not b:
        return 0
    whole = SequenceMatcher(None, a, b).ratio()
    # The record often carries a middle name the user left out: compare without it too.
    given_words = set(_normal_words(given))
    subset = given_words and given_words <= set(_normal_words(on_record))
    score = max(whole, 0.95) if subset and len(given_words) >= 2 else whole
    return round(score * 10_000)


async def record_lookup(
    session: AsyncSession, case_id: str, bvn_name: str | None, *, threshold_bps: int
) -> KycCase | None:
    """The provider's answer for a pending case: ``bvn_name`` the name on the BVN record
    (None: the BVN was not found). A match at or above ``threshold_bps`` verifies the case;
    anything else sends it to the admin review queue. Idempotent: a case no longer pending
    is left alone."""
    case = await session.get(KycCase, case_id, with_for_update=True)
    if case is None or case.status != PENDING:
        return case
    case.bvn_name = bvn_name
    case.match_score = name_match_bps(case.full_name, bvn_name) if bvn_name else 0
    if case.match_score >= threshold_bps:
        case.status, case.decided_at = VERIFIED, utcnow()
    else:
        case.needs_review = True
    await session.flush()
    return case


async def submit_and_check(
    session: AsyncSession,
    settings: Settings,
    user_id: str,
    *,
    bvn: str,
    nin: str,
    full_name: str,
) -> KycCase:
    """What ``POST /v1/kyc`` and the ``/kyc`` page do: check the numbers' form, ask the
    provider (Dojah) for the BVN's and the NIN's holders — before anything is written, so
    no lock is held across the call — then :func:`submit` and :func:`record_lookup` with the
    worse of the two name matches. A provider that does not answer leaves the case for an
    admin (the review queue). Raises what :func:`submit` raises."""
    bvn, nin = check_number(bvn, "bvn"), check_number(nin, "nin")
    client = DojahClient(settings.dojah_base_url, settings.dojah_app_id, settings.dojah_secret_key)
    try:
        async with released(session):  # on SQLite a read began the write lock: let it go
            bvn_holder = await client.lookup_bvn(bvn)
            nin_holder = await client.lookup_nin(nin)
    except DojahUnavailable:
        bvn_holder = nin_holder = None
        reachable = False
    else:
        reachable = True
    case = await submit(session, user_id, bvn=bvn, nin=nin, full_name=full_name)
    if not reachable:
        case.needs_review = True
        await session.flush()
        return case
    name = bvn_holder.full_name if bvn_holder else None
    if name and (
        nin_holder is None
        or name_match_bps(case.full_name, nin_holder.full_name) < settings.kyc_name_match_bps
    ):
        # The NIN must belong to the same person: else an admin decides.
        name = f"{name} (NIN: {nin_holder.full_name if nin_holder else 'not found'})"
        case.bvn_name, case.match_score, case.needs_review = name[:200], 0, True
        await session.flush()
        return case
    await record_lookup(session, case.id, name, threshold_bps=settings.kyc_name_match_bps)
    return case


async def review_queue(session: AsyncSession, limit: int = 100) -> list[KycCase]:
    """Pending cases, oldest first (the admin queue)."""
    stmt = (
        select(KycCase).where(KycCase.status == PENDING).order_by(KycCase.submitted_at).limit(limit)
    )
    return list((await session.execute(stmt)).scalars())


async def decide(
    session: AsyncSession, admin_id: str, case_id: str, *, approve: bool, reason: str | None
) -> KycCase:
    """An admin approves or rejects (``reason`` required) a pending case.

    Raises CaseNotFound (404), CaseNotPending (409), ReasonRequired (422)."""
    case = await session.get(KycCase, case_id, with_for_update=True)
    if case is None:
        raise CaseNotFound()
    if case.status != PENDING:
        raise CaseNotPending(details={"status": case.status})
    if not approve and not (reason or "").strip():
        raise ReasonRequired(details={"field": "reason"})
    case.status = VERIFIED if approve else REJECTED
    case.reason = (reason or "").strip()[:500] or None
    case.reviewed_by, case.decided_at, case.needs_review = admin_id, utcnow(), False
    await session.flush()
    return case
