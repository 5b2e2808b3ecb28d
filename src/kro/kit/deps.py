"""FastAPI dependencies every module shares: the request's database session.

The request owns the transaction: :func:`get_session` commits after the endpoint returns and
rolls back if it raised, before the response is sent, so a client never sees success for
work that did not commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from kro.kit.errors import KroError
from kro.kit.storage import Storage


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One session and transaction per request; committed when the endpoint succeeds."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session:
        try:
            yield session
        except KroError as exc:
            await (session.commit() if exc.commit_anyway else session.rollback())
            raise
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_storage(request: Request) -> Storage:
    """The file storage the app opened at start-up (local or S3); ``async`` so that FastAPI
    calls it inline instead of in a worker thread."""
    storage: Storage = request.app.state.storage
    return storage


FileStorage = Annotated[Storage, Depends(get_storage)]
