"""The ID document of a verification: uploaded by its user (PNG, JPEG or PDF, read from the
bytes), refused before a submission, after verification, or as another kind of file; shown
to admins only, in the API and on the queue page; the user's page uploads it."""

from __future__ import annotations

import httpx

from tests.escrow.test_disputes import enrolled_admin
from tests.kyc.test_kyc import _token
from tests.support.api import data, error, register_and_login

PDF = b"%PDF-1.7\n" + b"0" * 100
GOOD = {"bvn": "22233334444", "nin": "12345678901", "full_name": "Ada Obi"}


def _upload(kind: str, body: bytes, name: str = "id.pdf") -> dict[str, object]:
    return {"data": {"document_type": kind}, "files": {"file": (name, body, "application/pdf")}}


async def test_upload_and_admin_view(client: httpx.AsyncClient) -> None:
    user = await register_and_login(client, "doc-user@example.com")
    url = "/v1/kyc/document"
    r = await client.post(url, headers=user, **_upload("passport", PDF))  # type: ignore[arg-type]
    error(r, 409, "kyc_document_not_allowed")
    data(await client.post("/v1/kyc", json=GOOD, headers=user))
    fake = await client.post(url, headers=user, **_upload("passport", b"MZ\x90\x00"))  # type: ignore[arg-type]
    assert error(fake, 422, "kyc_document_refused")["details"]["field"] == "file"
    odd = await client.post(url, headers=user, **_upload("library_card", PDF))  # type: ignore[arg-type]
    assert error(odd, 422, "kyc_document_refused")["details"]["field"] == "document_type"
    out = data(await client.post(url, headers=user, **_upload("passport", PDF)))  # type: ignore[arg-type]
    assert out["document_type"] == "passport" and out["document_uploaded_at"]
    admin = await enrolled_admin(client)
    case = next(
        c
        for c in data(await client.get("/v1/admin/kyc/cases", headers=admin.headers))
        if c["id"] == out["id"]
    )
    served = await client.get(case["document_url"], headers=admin.headers)
    assert served.status_code == 200 and served.content == PDF
    assert served.headers["content-type"] == "application/pdf"
    assert (await client.get(case["document_url"], headers=user)).status_code in (401, 403)
    other = await register_and_login(client, "doc-other@example.com")
    assert (await client.get(case["document_url"], headers=other)).status_code in (401, 403)
    # Approved: no document any more.
    data(await client.post(f"/v1/admin/kyc/cases/{out['id']}/approve", headers=admin.headers))
    late = await client.post(url, headers=user, **_upload("passport", PDF))  # type: ignore[arg-type]
    error(late, 409, "kyc_document_not_allowed")


async def test_the_page_uploads_a_document(client: httpx.AsyncClient) -> None:
    client.follow_redirects = False
    token = await _token(client, "/sign-up")
    form = {"csrf_token": token, "full_name": "Ada Obi", "email": "ada-doc@example.com"}
    r = await client.post("/sign-up", data=form | {"password": "a long enough password"})
    assert r.status_code == 303, r.text
    token = await _token(client, "/kyc")
    r = await client.post("/kyc", data={"csrf_token": token, **GOOD})
    assert r.status_code == 303
    token = await _token(client, "/kyc")
    fields = {"csrf_token": token, "document_type": "national_id"}
    bad = await client.post("/kyc/document", data=fields, files={"file": ("a.txt", b"hi")})
    assert bad.status_code == 422 and 'data-code="kyc_document_refused"' in bad.text
    token = await _token(client, "/kyc")
    r = await client.post(
        "/kyc/document",
        data=fields | {"csrf_token": token},
        files={"file": ("id.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 303
    assert "National id" in (await client.get("/kyc")).text
