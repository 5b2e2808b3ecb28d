"""The JSON API of ``kro.conversations``: ``/v1/conversations`` (list with unread counts,
open a direct one), ``/{id}`` (read receipts), ``/{id}/messages`` (cursor-paginated
history, send), ``/{id}/attachments`` (send a file), ``/{id}/read``. A conversation the
caller is not a member of is 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, UploadFile, status
from fastapi.responses import Response

from kro.conversations import service
from kro.conversations.errors import (
    AttachmentRefused,
    ConversationNotFound,
    EmptyMessage,
    TooManyMessages,
)
from kro.conversations.schemas import ConversationOut, DirectIn, MessageIn, MessageOut, ReadIn
from kro.identity import service as identity
from kro.identity.dependencies import CurrentUser
from kro.identity.errors import UserNotFound
from kro.kit.api import Envelope, Pagination, ok
from kro.kit.deps import DbSession, FileStorage
from kro.kit.openapi import error_responses

router = APIRouter(prefix="/v1/conversations", tags=["conversations"])


@router.get("", responses=error_responses(ConversationNotFound))
async def list_conversations(
    user: CurrentUser, session: DbSession
) -> Envelope[list[ConversationOut]]:
    """The caller's conversations, latest activity first, with unread counts."""
    rows = await service.list_for(session, user.id)
    return ok([ConversationOut.of(s.conversation, s.unread) for s in rows])


@router.post("", status_code=status.HTTP_201_CREATED, responses=error_responses(UserNotFound))
async def open_direct(
    body: DirectIn, user: CurrentUser, session: DbSession
) -> Envelope[ConversationOut]:
    """Open (or find) the direct conversation with another user."""
    other = await identity.get_user(session, body.user_id)
    if other.id == user.id or not other.is_active:
        raise UserNotFound()
    conversation = await service.open_direct(session, user.id, other.id, title=other.full_name)
    return ok(ConversationOut.of(conversation, 0))


@router.get("/{conversation_id}", responses=error_responses(ConversationNotFound))
async def get_conversation(
    conversation_id: str, user: CurrentUser, session: DbSession
) -> Envelope[ConversationOut]:
    """One conversation with the caller's unread count and every member's read receipt."""
    conversation = await service.get(session, user.id, conversation_id)
    unread = await service.unread_count(session, user.id, conversation_id)
    receipts = await service.read_receipts(session, user.id, conversation_id)
    return ok(ConversationOut.of(conversation, unread, receipts))


@router.get("/{conversation_id}/messages", responses=error_responses(ConversationNotFound))
async def messages(
    conversation_id: str,
    user: CurrentUser,
    session: DbSession,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
) -> Envelope[list[MessageOut]]:
    """History, newest first; ``meta.pagination.next_cursor`` gives older messages."""
    rows, more = await service.history(
        session, user.id, conversation_id, before=cursor, limit=limit
    )
    pagination = Pagination(limit=limit, has_more=more is not None, next_cursor=more)
    return ok([MessageOut.of(m, user.id) for m in rows], pagination=pagination)


@router.post(
    "/{conversation_id}/messages",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(ConversationNotFound, EmptyMessage, TooManyMessages),
)
async def send(
    conversation_id: str, body: MessageIn, user: CurrentUser, session: DbSession
) -> Envelope[MessageOut]:
    """Send a message; ``warnings`` tells the sender when it shares a phone number, an
    email or bank details. 429 ``rate_limited`` past 30 a minute."""
    message = await service.send(session, user.id, conversation_id, body.body)
    return ok(MessageOut.of(message, user.id))


@router.post(
    "/{conversation_id}/attachments",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(ConversationNotFound, AttachmentRefused, TooManyMessages),
)
async def send_file(
    conversation_id: str,
    user: CurrentUser,
    session: DbSession,
    storage: FileStorage,
    file: Annotated[UploadFile, File(description="PNG, JPEG, WebP, PDF or text; 10 MB")],
    body: Annotated[str, Form(max_length=5_000)] = "",
) -> Envelope[MessageOut]:
    """Send a file (with an optional message)."""
    data = await file.read(service.ATTACHMENT_MAX_BYTES + 1)
    message = await service.send_file(
        session,
        storage,
        user.id,
        conversation_id,
        name=file.filename or "file",
        content_type=(file.content_type or "").split(";")[0].strip(),
        data=data,
        body=body,
    )
    return ok(MessageOut.of(message, user.id))


@router.get(
    "/{conversation_id}/messages/{message_id}/attachment",
    responses=error_responses(ConversationNotFound),
)
async def download(
    conversation_id: str,
    message_id: str,
    user: CurrentUser,
    session: DbSession,
    storage: FileStorage,
) -> Response:
    """A message's file (members only)."""
    item, data = await service.attachment(session, storage, user.id, conversation_id, message_id)
    filename = "".join(c for c in str(item["name"]) if c.isalnum() or c in "._- ") or "file"
    return Response(
        data,
        media_type=str(item["type"]),
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/{conversation_id}/read", responses=error_responses(ConversationNotFound))
async def mark_read(
    conversation_id: str, user: CurrentUser, session: DbSession, body: ReadIn | None = None
) -> Envelope[ConversationOut]:
    """Mark read up to ``message_id`` (default: the newest); the others get a receipt."""
    await service.mark_read(session, user.id, conversation_id, body.message_id if body else None)
    conversation = await service.get(session, user.id, conversation_id)
    unread = await service.unread_count(session, user.id, conversation_id)
    receipts = await service.read_receipts(session, user.id, conversation_id)
    return ok(ConversationOut.of(conversation, unread, receipts))
