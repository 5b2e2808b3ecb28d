"""The client of PenCom's register (read-only: RSA PIN → holder and PFA), or its simulator
``kro.sandbox.pencom``. The interface is not public: paths and fields are the simulator's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kro.providers.errors import ProviderRejected
from kro.providers.http import ProviderClient, ProviderHttp

PROVIDER = "pencom"


@dataclass(frozen=True)
class Holder:
    """An RSA holder as the register has them."""

    pin: str
    surname: str
    first_name: str
    other_names: str | None
    date_of_birth: date | None
    pfa_code: str


class PencomRegister(ProviderClient):
    """``async with PencomRegister(base_url) as register: await register.holder(pin)``."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self._http = ProviderHttp(PROVIDER, "PenCom", base_url, timeout=timeout)

    async def holder(self, pin: str) -> Holder | None:
        """The holder of ``pin``; None when the register has no such PIN. Raises
        ProviderUnavailable / ProviderTimeout when it cannot answer."""
        response = await self._http.send("GET", f"/api/v1/rsa/{pin}", "holder")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._http.rejected_by(response, "holder")
        try:
            data = response.json()["data"]
            born = data.get("date_of_birth")
            return Holder(
                pin=str(data["pin"]),
                surname=str(data["surname"]),
                first_name=str(data["first_name"]),
                other_names=data.get("other_names"),
                date_of_birth=date.fromisoformat(born) if born else None,
                pfa_code=str(data["pfa_code"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ProviderRejected(
                "Unreadable answer", provider=PROVIDER, operation="holder", provider_status=200
            ) from exc
