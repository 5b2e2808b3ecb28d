"""The ID document of a verification (issue 10: "plus an ID document upload"): a passport,
driver's licence, national ID card or voter's card, as a PNG, JPEG or PDF — the type read
from the file's first bytes, not trusted from the upload — at most
``kyc_document_max_bytes``, stored through :mod:`kro.kit.storage` under
``kyc/{case}/{document}``. The user uploads it to a case not yet verified (a new upload
replaces the old one); the admin reviewing the case sees it. Services only flush."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.clock import utcnow
from kro.kit.ids import new_id
from kro.kit.storage import Storage
from kro.kyc.errors import CaseNotFound, DocumentNotAllowed, DocumentNotFound, DocumentRefused
from kro.kyc.models import KycCase
from kro.kyc.service import VERIFIED, get_case

DOCUMENT_TYPES = ("passport", "drivers_license", "national_id", "voters_card")
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def content_type_of(data: bytes) -> str | None:
    """PDF, PNG or JPEG by the file's signature; None for anything else."""
    return next((kind for magic, kind in _SIGNATURES if data.startswith(magic)), None)


async def upload(
    session: AsyncSession,
    storage: Storage,
    user_id: str,
    document_type: str,
    data: bytes,
    max_bytes: int,
) -> KycCase:
    """Store the caller's ID document on their verification. Raises DocumentNotAllowed
    (409: no case yet, or already verified), DocumentRefused (422: another type of file,
    empty or too big, or an unknown ``document_type``)."""
    case = await get_case(session, user_id)
    if case is None or case.status == VERIFIED:
        raise DocumentNotAllowed()
    content_type = content_type_of(data)
    if document_type not in DOCUMENT_TYPES:
        raise DocumentRefused(details={"field": "document_type", "allowed": DOCUMENT_TYPES})
    if content_type is None or len(data) > max_bytes:
        raise DocumentRefused(details={"field": "file", "max_bytes": max_bytes})
    key = f"kyc/{case.id}/{new_id('doc')}"
    await storage.put(key, data, content_type)
    case.document_key, case.document_type = key, document_type
    case.document_content_type, case.document_uploaded_at = content_type, utcnow()
    await session.flush()
    return case


async def read(session: AsyncSession, storage: Storage, case_id: str) -> tuple[KycCase, bytes]:
    """A case's document for the admin reviewing it. Raises CaseNotFound,
    DocumentNotFound (404)."""
    case = await session.get(KycCase, case_id)
    if case is None:
        raise CaseNotFound()
    if case.document_key is None:
        raise DocumentNotFound()
    return case, await storage.get(case.document_key)
