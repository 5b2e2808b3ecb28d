"""KYC request and response bodies."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from kro.kyc.models import KycCase


class KycIn(BaseModel):
    """BVN and NIN are 11 digits each (checked by the service, 422
    ``invalid_identity_number`` with ``details.field``)."""

    bvn: str = Field(max_length=20)
    nin: str = Field(max_length=20)
    full_name: str = Field(min_length=1, max_length=200)


class DecisionIn(BaseModel):
    reason: str | None = Field(None, max_length=500)


class KycOut(BaseModel):
    """A user's verification: ``status`` none | pending | verified | rejected."""

    status: str
    id: str | None = None
    full_name: str | None = None
    bvn_last4: str | None = None
    nin_last4: str | None = None
    reason: str | None = None
    submitted_at: datetime | None = None
    decided_at: datetime | None = None
    document_type: str | None = None
    document_uploaded_at: datetime | None = None

    @classmethod
    def of(cls, case: KycCase | None) -> KycOut:
        if case is None:
            return cls(status="none")
        return cls(
            status=case.status,
            id=case.id,
            full_name=case.full_name,
            bvn_last4=case.bvn_last4,
            nin_last4=case.nin_last4,
            reason=case.reason,
            submitted_at=case.submitted_at,
            decided_at=case.decided_at,
            document_type=case.document_type,
            document_uploaded_at=case.document_uploaded_at,
        )


class KycCaseOut(KycOut):
    """What an admin sees of a case in the review queue; ``document_url`` serves its ID
    document (admins only), when one was uploaded."""

    user_id: str
    bvn_name: str | None
    match_score: int | None
    needs_review: bool
    document_url: str | None

    @classmethod
    def admin(cls, case: KycCase) -> KycCaseOut:
        return cls(
            **KycOut.of(case).model_dump(),
            user_id=case.user_id,
            bvn_name=case.bvn_name,
            match_score=case.match_score,
            needs_review=case.needs_review,
            document_url=f"/v1/admin/kyc/cases/{case.id}/document" if case.document_key else None,
        )
