"""Dojah's identity lookups over HTTP (docs.dojah.io, KYC service).

Headers ``AppId`` and ``Authorization: <secret key>`` (no ``Bearer``), confirmed in Dojah's
docs. ``GET /api/v1/kyc/bvn/full?bvn=`` and ``GET /api/v1/kyc/nin?nin=`` answer
``{"entity": {...first_name, middle_name, last_name...}}``; a number not found or malformed
is a 4xx with ``{"error": "…"}`` [U: the exact statuses]. See :mod:`kro.sandbox.kyc`.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from kro.kit import http
from kro.kit.errors import UpstreamError


class DojahUnavailable(UpstreamError):
    code = "kyc_provider_unavailable"
    message = "The identity-verification provider did not answer."


@dataclass(frozen=True)
class IdentityRecord:
    """The names a registry holds for a number."""

    first_name: str
    middle_name: str
    last_name: str

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)


class DojahClient:
    """Looks numbers up at ``base_url`` (the real Dojah or the sandbox)."""

    def __init__(self, base_url: str, app_id: str, secret_key: str, timeout: float = 15.0):
        self.base_url = base_url.rstrip("/")
        self.headers = {"AppId": app_id, "Authorization": secret_key}
        self.timeout = timeout

    async def _lookup(self, path: str, param: str, number: str) -> IdentityRecord | None:
        request = httpx.Request(
            "GET",
            f"{self.base_url}{path}",
            params={param: number},
            headers=self.headers,
            extensions={"timeout": http.timeout(self.timeout)},
        )
        try:
            r = await http.send(http.shared_client(), request)
        except httpx.HTTPError as exc:
            raise DojahUnavailable(details={"reason": type(exc).__name__}) from exc
        if r.status_code in (400, 404):
            return None
        if r.status_code != 200:
            raise DojahUnavailable(details={"status": r.status_code})
        entity = (r.json() or {}).get("entity") or {}
        return IdentityRecord(
            str(entity.get("first_name") or ""),
            str(entity.get("middle_name") or ""),
            str(entity.get("last_name") or ""),
        )

    async def lookup_bvn(self, bvn: str) -> IdentityRecord | None:
        """The BVN's holder, or None when Dojah does not know the number."""
        return await self._lookup("/api/v1/kyc/bvn/full", "bvn", bvn)

    async def lookup_nin(self, nin: str) -> IdentityRecord | None:
        """The NIN's holder, or None when Dojah does not know the number."""
        return await self._lookup("/api/v1/kyc/nin", "nin", nin)
