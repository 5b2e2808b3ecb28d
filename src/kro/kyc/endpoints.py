"""The JSON API of ``kro.kyc``: ``/v1/kyc`` (the caller's own verification and its ID
document) and ``/v1/admin/kyc/cases`` (the review queue, each case's document)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import Response

from kro.identity.dependencies import AdminUser, AppSettings, CurrentUser
from kro.kit.api import Envelope, ok
from kro.kit.deps import DbSession, FileStorage
from kro.kit.openapi import error_responses
from kro.kyc import documents, service
from kro.kyc.errors import (
    AlreadyVerified,
    CaseNotFound,
    CaseNotPending,
    DocumentNotAllowed,
    DocumentNotFound,
    DocumentRefused,
    InvalidIdentityNumber,
    ReasonRequired,
)
from kro.kyc.schemas import DecisionIn, KycCaseOut, KycIn, KycOut

router = APIRouter(tags=["kyc"])


@router.get("/v1/kyc")
async def my_verification(user: CurrentUser, session: DbSession) -> Envelope[KycOut]:
    """The caller's identity verification (``status: none`` before any submission)."""
    return ok(KycOut.of(await service.get_case(session, user.id)))


@router.post("/v1/kyc", responses=error_responses(InvalidIdentityNumber, AlreadyVerified))
async def submit(
    body: KycIn, user: CurrentUser, session: DbSession, settings: AppSettings
) -> Envelope[KycOut]:
    """Submit BVN, NIN and full name. They are looked up at the provider (Dojah): a name
    matching the BVN's holder (``KRO_KYC_NAME_MATCH_BPS``) is ``verified`` at once; anything
    else is ``pending`` in the admin review queue. 422
    ``invalid_identity_number``; 409 ``kyc_already_verified``."""
    case = await service.submit_and_check(
        session, settings, user.id, bvn=body.bvn, nin=body.nin, full_name=body.full_name
    )
    return ok(KycOut.of(case))


@router.post("/v1/kyc/document", responses=error_responses(DocumentNotAllowed, DocumentRefused))
async def upload_document(
    user: CurrentUser,
    session: DbSession,
    settings: AppSettings,
    storage: FileStorage,
    document_type: Annotated[
        str, Form(description="passport | drivers_license | national_id | voters_card")
    ],
    file: Annotated[UploadFile, File(description="PNG, JPEG or PDF; 10 MB")],
) -> Envelope[KycOut]:
    """Upload an ID document to the caller's verification (after ``POST /v1/kyc``; not once
    verified); a new upload replaces the previous one. The admin reviewing sees it."""
    limit = settings.kyc_document_max_bytes
    data = await file.read(limit + 1)
    case = await documents.upload(session, storage, user.id, document_type, data, limit)
    return ok(KycOut.of(case))


@router.get(
    "/v1/admin/kyc/cases/{case_id}/document",
    tags=["admin: kyc"],
    responses=error_responses(CaseNotFound, DocumentNotFound),
    response_class=Response,
)
async def case_document(
    case_id: str, _: AdminUser, session: DbSession, storage: FileStorage
) -> Response:
    """A case's ID document (admins only)."""
    case, data = await documents.read(session, storage, case_id)
    return Response(data, media_type=case.document_content_type, headers=PRIVATE)


PRIVATE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}


@router.get("/v1/admin/kyc/cases", tags=["admin: kyc"])
async def review_queue(_: AdminUser, session: DbSession) -> Envelope[list[KycCaseOut]]:
    """Pending verifications, oldest first."""
    return ok([KycCaseOut.admin(c) for c in await service.review_queue(session)])


@router.post(
    "/v1/admin/kyc/cases/{case_id}/approve",
    tags=["admin: kyc"],
    responses=error_responses(CaseNotFound, CaseNotPending),
)
async def approve(case_id: str, admin: AdminUser, session: DbSession) -> Envelope[KycCaseOut]:
    """Approve a pending verification."""
    case = await service.decide(session, admin.id, case_id, approve=True, reason=None)
    return ok(KycCaseOut.admin(case))


@router.post(
    "/v1/admin/kyc/cases/{case_id}/reject",
    tags=["admin: kyc"],
    responses=error_responses(CaseNotFound, CaseNotPending, ReasonRequired),
)
async def reject(
    case_id: str, body: DecisionIn, admin: AdminUser, session: DbSession
) -> Envelope[KycCaseOut]:
    """Reject a pending verification with a reason the user sees."""
    case = await service.decide(session, admin.id, case_id, approve=False, reason=body.reason)
    return ok(KycCaseOut.admin(case))
