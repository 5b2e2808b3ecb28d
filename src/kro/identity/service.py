"""Identity use cases. Services take the session and only flush (the caller commits)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from kro.identity import security
from kro.identity.errors import (
    EmailTaken,
    InvalidCredentials,
    InvalidToken,
    RefreshTokenReused,
    UserInactive,
    UserNotFound,
)
from kro.identity.models import RefreshToken, User
from kro.kit.clock import utcnow
from kro.kit.ids import new_id


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True)
class TokenPolicy:
    """Where tokens come from: the JWT secret and the lifetimes in seconds."""

    secret: str
    access_ttl: int
    refresh_ttl: int


def normalise_email(email: str) -> str:
    return email.strip().lower()


async def create_user(
    session: AsyncSession, *, email: str, password: str, full_name: str, role: str = "user"
) -> User:
    """Create a user; raises EmailTaken (409) if the email is in use."""
    email = normalise_email(email)
    if await get_user_by_email(session, email) is not None:
        raise EmailTaken()
    user = User(
        email=email,
        full_name=full_name.strip(),
        password_hash=security.hash_password(password),
        role=role,
    )
    session.add(user)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # a concurrent registration won the race
        raise EmailTaken() from exc
    return user


async def get_user(session: AsyncSession, user_id: str) -> User:
    """The user with ``user_id``; raises UserNotFound (404)."""
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFound()
    return user


async def get_user_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.execute(select(User).where(User.email == normalise_email(email)))
    return result.scalar_one_or_none()


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    """The user whose password matches; raises InvalidCredentials (401) or UserInactive (403)."""
    user = await get_user_by_email(session, email)
    if not security.verify_password(password, user.password_hash if user else None):
        raise InvalidCredentials()
    assert user is not None
    if not user.is_active:
        raise UserInactive()
    return user


async def issue_tokens(
    session: AsyncSession, user: User, policy: TokenPolicy, *, family_id: str | None = None
) -> TokenPair:
    """A new access token and a new refresh token (stored as a digest)."""
    token, digest = security.new_refresh_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id or new_id("rtf"),
            token_digest=digest,
            expires_at=utcnow() + timedelta(seconds=policy.refresh_ttl),
        )
    )
    await session.flush()
    access = security.create_access_token(
        user.id, user.role, secret=policy.secret, ttl_seconds=policy.access_ttl
    )
    return TokenPair(access, token, policy.access_ttl)


async def refresh(session: AsyncSession, refresh_token: str, policy: TokenPolicy) -> TokenPair:
    """Rotate a refresh token: revoke it, issue a new pair in the same family.

    Presenting an already-revoked token revokes its whole family (token theft detection).
    Raises InvalidToken (401).
    """
    digest = security.token_digest(refresh_token)
    row = (
        await session.execute(
            select(RefreshToken).where(RefreshToken.token_digest == digest).with_for_update()
        )
    ).scalar_one_or_none()
    now = utcnow()
    if row is None or row.expires_at <= now:
        raise InvalidToken()
    if row.revoked_at is not None:
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        await session.flush()
        raise RefreshTokenReused()
    row.revoked_at = now
    user = await get_user(session, row.user_id)
    if not user.is_active:
        raise UserInactive()
    return await issue_tokens(session, user, policy, family_id=row.family_id)


async def ensure_admin(session: AsyncSession, email: str, password: str) -> User | None:
    """Create the start-up admin if no user has ``email`` yet (``KRO_ADMIN_EMAIL``); safe
    when several server processes start together (the loser of the race reads the winner's)."""
    if not email or not password:
        return None
    existing = await get_user_by_email(session, email)
    if existing is not None:
        return existing
    try:
        return await create_user(
            session, email=email, password=password, full_name="KRO admin", role="admin"
        )
    except EmailTaken:  # another replica starting at the same moment made it first
        return await get_user_by_email(session, email)
