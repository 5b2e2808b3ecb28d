"""Money policy with history (``kro.audit.policy``), the core piece behind escrow's fee
configuration, giving's terms and the marketplace's fee terms: the default until a row exists,
the newest row in force, history newest first, a change only with a fresh admin TOTP code
(nothing written without one), audit-logged with the terms and the note."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.audit.models import AuditEntry
from kro.escrow.catalog import FEES
from kro.escrow.fees import FeePolicy
from kro.escrow.models import FeeConfiguration
from kro.identity import admin
from kro.identity.errors import TotpRequired
from kro.identity.models import User
from kro.kit.clock import clock, utcnow

DEFAULT = FeePolicy(150, 0, 0, "buyer")


async def _admin(session: AsyncSession) -> tuple[User, str]:
    user = User(email="ops@example.com", full_name="Ops", password_hash="x", role="admin")
    session.add(user)
    await session.flush()
    enrolment = await admin.enrol(session, user, issuer="KRO")
    await admin.confirm(session, user, pyotp.TOTP(enrolment.secret).now())
    return user, enrolment.secret


async def test_default_then_newest_in_force_with_history_newest_first(
    session: AsyncSession,
) -> None:
    assert await FEES.current(session, DEFAULT) == DEFAULT
    assert await FEES.history(session) == []
    first = FeePolicy(200, 5_000, 100_000, "seller")
    second = FeePolicy(100, 0, 0, "split")
    await FEES.record(session, first, "usr_ops", "launch")
    clock.advance(timedelta(seconds=1))
    await FEES.record(session, second, "usr_ops", None)
    assert await FEES.current(session, DEFAULT) == second
    history = await FEES.history(session)
    assert [(h.percent_bps, h.payer, h.note) for h in history] == [
        (100, "split", None),
        (200, "seller", "launch"),
    ]
    assert [h.percent_bps for h in await FEES.history(session, limit=1)] == [100]


async def test_a_change_needs_a_fresh_admin_code_and_is_audit_logged(
    session: AsyncSession,
) -> None:
    user, secret = await _admin(session)
    terms = FeePolicy(250, 1_000, 0, "buyer")
    with pytest.raises(TotpRequired) as refused:
        await FEES.change(session, user, terms, "too high", totp_code="000000")
    assert refused.value.details == {"field": "totp_code"}
    assert await session.scalar(select(func.count()).select_from(FeeConfiguration)) == 0
    assert await FEES.current(session, DEFAULT) == DEFAULT

    clock.advance(timedelta(seconds=30))  # the enrolment's code is spent: the next step's
    code = pyotp.TOTP(secret).at(utcnow())
    row = await FEES.change(session, user, terms, "new tariff", totp_code=code, ip="10.0.0.9")
    assert (row.created_by, row.note) == (user.id, "new tariff")
    assert await FEES.current(session, DEFAULT) == terms
    entry = (
        await session.execute(select(AuditEntry).where(AuditEntry.target_id == row.id))
    ).scalar_one()
    assert (entry.action, entry.target_type, entry.actor_id, entry.ip) == (
        "escrow.fee_changed",
        "fee_configuration",
        user.id,
        "10.0.0.9",
    )
    assert entry.details is not None
    assert {k: entry.details[k] for k in ("percent_bps", "flat", "cap", "payer", "note")} == {
        "percent_bps": 250,
        "flat": 1_000,
        "cap": 0,
        "payer": "buyer",
        "note": "new tariff",
    }
