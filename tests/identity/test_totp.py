"""The core TOTP second factor (``kro.identity.totp``, table ``totp_factors``): one factor per
user and purpose, enrolled and confirmed separately; a code is accepted once; a recovery code
once; an app user's factor never stands in for the admin's, nor the reverse; the admin module's
functions are the ``admin`` purpose."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity import admin, totp
from kro.identity.errors import TotpAlreadyEnrolled, TotpRequired
from kro.identity.models import TotpFactor, User
from kro.kit.clock import clock, utcnow


async def _user(session: AsyncSession, email: str) -> User:
    user = User(email=email, full_name="Femi", password_hash="x")
    session.add(user)
    await session.flush()
    return user


def _code(secret: str, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30 * steps_ahead))


async def test_one_factor_per_purpose(session: AsyncSession) -> None:
    user = await _user(session, "femi@example.com")
    mine = await totp.enrol(session, user, purpose=totp.USER, issuer=totp.USER_ISSUER)
    assert mine.otpauth_uri.startswith("otpauth://totp/") and len(mine.recovery_codes) == 10
    assert mine.qr_svg_data_uri.startswith("data:image/svg+xml;base64,")
    with pytest.raises(TotpRequired) as wrong:
        await totp.confirm(session, user, "000000", purpose=totp.USER, field="code")
    assert wrong.value.details == {"field": "code"}
    await totp.confirm(session, user, _code(mine.secret), purpose=totp.USER)
    assert await totp.enrolled(session, user, purpose=totp.USER)
    assert not await totp.enrolled(session, user, purpose=totp.ADMIN)
    assert not await admin.totp_enrolled(session, user)
    with pytest.raises(TotpAlreadyEnrolled):
        await totp.enrol(session, user, purpose=totp.USER, issuer=totp.USER_ISSUER)

    # The user's authenticator does not pass the admin check.
    with pytest.raises(TotpRequired):
        await admin.require_totp(session, user, _code(mine.secret, 1), field="totp_code")
    # The admin factor is its own row, with its own secret.
    theirs = await admin.enrol(session, user, issuer="KRO")
    assert theirs.secret != mine.secret
    await admin.confirm(session, user, _code(theirs.secret))
    assert await admin.totp_enrolled(session, user)
    mine_only = select(TotpFactor.purpose).where(TotpFactor.user_id == user.id)
    rows = set(await session.scalars(mine_only))
    assert rows == {totp.ADMIN, totp.USER}
    with pytest.raises(TotpRequired):
        await totp.require(session, user, _code(theirs.secret, 1), purpose=totp.USER)


async def test_a_code_is_accepted_once_and_a_recovery_code_once(session: AsyncSession) -> None:
    user = await _user(session, "ada@example.com")
    e = await totp.enrol(session, user, purpose=totp.USER, issuer=totp.USER_ISSUER)
    await totp.confirm(session, user, _code(e.secret), purpose=totp.USER)
    with pytest.raises(TotpRequired) as missing:
        await totp.require(session, user, None, purpose=totp.USER, field="totp_code")
    assert missing.value.details == {"field": "totp_code"}
    # The confirming code's step is spent: the same code again is refused.
    with pytest.raises(TotpRequired):
        await totp.require(session, user, _code(e.secret), purpose=totp.USER)
    clock.advance(timedelta(seconds=30))
    fresh = _code(e.secret)
    await totp.require(session, user, fresh, purpose=totp.USER)
    with pytest.raises(TotpRequired):
        await totp.require(session, user, fresh, purpose=totp.USER)
    recovery = e.recovery_codes[0]
    await totp.require(session, user, recovery.upper(), purpose=totp.USER)
    with pytest.raises(TotpRequired):
        await totp.require(session, user, recovery, purpose=totp.USER)


async def test_an_unconfirmed_enrolment_can_be_shown_again_and_restarted(
    session: AsyncSession,
) -> None:
    user = await _user(session, "halima@example.com")
    assert await totp.enrolment_in_progress(session, user, purpose=totp.USER, issuer="KRO") is None
    first = await totp.enrol(session, user, purpose=totp.USER, issuer="KRO")
    again = await totp.enrolment_in_progress(session, user, purpose=totp.USER, issuer="KRO")
    assert again is not None and again.secret == first.secret and again.recovery_codes == []
    second = await totp.enrol(session, user, purpose=totp.USER, issuer="KRO")
    assert second.secret != first.secret
    with pytest.raises(TotpRequired):
        await totp.require(session, user, _code(second.secret), purpose=totp.USER)
