"""The Paystack adapter's failure classification and parsing.

The happy paths of every method run against the sandbox over real HTTP in
``tests/sandbox/test_paystack_*.py``; here each failure mode is produced exactly (a closed
port, a server that never answers, canned HTTP answers) and must map to the right error.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from kro.kit.errors import UpstreamError
from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.paystack import PaystackClient, Transaction
from kro.providers.paystack.schemas import Transfer
from tests.sandbox.paystack_fixtures import SECRET_KEY, SandboxServer
from tests.support.server import free_port, serve_in_thread

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler) -> PaystackClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return PaystackClient("https://api.paystack.test", "sk_test_x", http_client=http)


def _answer(status: int, body: Any) -> Handler:
    def handler(_: httpx.Request) -> httpx.Response:
        if isinstance(body, bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    return handler


def _raise(exc: Exception) -> Handler:
    def handler(_: httpx.Request) -> httpx.Response:
        raise exc

    return handler


async def test_sends_bearer_json_and_full_url() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        data = {"authorization_url": "u", "access_code": "c", "reference": "r"}
        return httpx.Response(200, json={"status": True, "message": "ok", "data": data})

    async with _client(handler) as client:
        await client.initialize_transaction("a@b.co", 5_000, "NGN", "r", metadata={"k": 1})
    [request] = seen
    assert str(request.url) == "https://api.paystack.test/transaction/initialize"
    assert request.headers["authorization"] == "Bearer sk_test_x"
    sent = json.loads(request.content)
    assert sent == {
        "email": "a@b.co",
        "amount": 5_000,
        "currency": "NGN",
        "reference": "r",
        "metadata": {"k": 1},
    }


async def test_connection_refused_is_unavailable() -> None:
    async with PaystackClient(f"http://127.0.0.1:{free_port()}", "sk_test_x") as client:
        with pytest.raises(ProviderUnavailable) as err:
            await client.verify_transaction("r")
    assert isinstance(err.value, UpstreamError) and err.value.operation == "verify"


async def test_no_answer_is_a_timeout_with_unknown_outcome() -> None:
    async def never(_: Request) -> JSONResponse:
        await asyncio.sleep(1)
        return JSONResponse({})

    app = Starlette(routes=[Route("/transfer", never, methods=["POST"])])
    with serve_in_thread(lambda _p: app) as url:
        async with PaystackClient(url, "sk_test_x", timeout=0.3) as client:
            with pytest.raises(ProviderTimeout):
                await client.initiate_transfer(1_000, "RCP_x", "ref-0000000000000001", "x", "NGN")


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (httpx.ConnectError("refused"), ProviderUnavailable),
        (httpx.ConnectTimeout("slow connect"), ProviderUnavailable),
        (httpx.ReadTimeout("slow read"), ProviderTimeout),
        (httpx.RemoteProtocolError("dropped"), ProviderTimeout),
    ],
)
async def test_transport_errors(exc: Exception, error: type[Exception]) -> None:
    async with _client(_raise(exc)) as client:
        with pytest.raises(error):
            await client.refund("ref", 100)


@pytest.mark.parametrize(
    ("status", "moves_money", "error"),
    [
        (503, True, ProviderUnavailable),
        (502, True, ProviderUnavailable),
        (429, True, ProviderUnavailable),
        (500, True, ProviderTimeout),  # a money call may have been accepted
        (504, True, ProviderTimeout),
        (500, False, ProviderUnavailable),  # a read is safe to retry elsewhere
        (504, False, ProviderUnavailable),
    ],
)
async def test_5xx_classification(status: int, moves_money: bool, error: type[Exception]) -> None:
    async with _client(_answer(status, {"status": False, "message": "boom"})) as client:
        with pytest.raises(error):
            if moves_money:
                await client.initiate_transfer(1_000, "RCP_x", "ref-0000000000000001", "x", "NGN")
            else:
                await client.verify_transfer("ref-0000000000000001")


async def test_4xx_is_rejected_with_paystacks_details() -> None:
    body = {
        "status": False, "message": "Recipient specified is invalid",
        "meta": {"nextStep": "Provide a valid recipient"}, "type": "validation_error",
        "code": "invalid_transfer_recipient",
    }  # fmt: skip
    async with _client(_answer(400, body)) as client:
        with pytest.raises(ProviderRejected) as err:
            await client.initiate_transfer(1_000, "RCP_x", "ref-0000000000000001", "x", "NGN")
    rejected = err.value
    assert (rejected.provider_status, rejected.provider_code, rejected.provider_type) == (
        400, "invalid_transfer_recipient", "validation_error",
    )  # fmt: skip
    assert rejected.message == "Recipient specified is invalid"
    assert (
        rejected.next_step == "Provide a valid recipient"
        and rejected.details["provider"] == "paystack"
    )


async def test_unreadable_success_is_an_unknown_outcome() -> None:
    async with _client(_answer(200, b"<html>gateway</html>")) as client:
        with pytest.raises(ProviderTimeout):
            await client.refund("ref")
    async with _client(
        _answer(200, {"status": True, "message": "ok", "data": {"id": "x"}})
    ) as client:
        with pytest.raises(ProviderTimeout, match="unexpected shape"):
            await client.refund("ref")
    async with _client(_answer(404, b"Not Found")) as client:
        with pytest.raises(ProviderRejected) as err:
            await client.verify_transaction("ref")
    assert err.value.provider_status == 404


async def test_list_banks_follows_pages() -> None:
    def bank(i: int) -> dict[str, Any]:
        return {"id": i, "name": f"B{i}", "slug": f"b{i}", "code": f"{i:03d}", "longcode": "",
                "country": "Nigeria", "currency": "NGN", "type": "nuban"}  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        meta = {"page": page, "pageCount": 2, "perPage": 100}
        return httpx.Response(
            200,
            json={"status": True, "message": "Banks retrieved", "data": [bank(page)], "meta": meta},
        )

    async with _client(handler) as client:
        assert [b.code for b in await client.list_banks()] == ["001", "002"]


def test_amounts_are_integers_in_minor_units() -> None:
    base = {"id": 1, "reference": "r", "status": "success", "currency": "NGN"}
    assert Transaction.model_validate({**base, "amount": "5000"}).amount == 5_000
    for bad in (50.5, True, "12.5"):
        with pytest.raises(ValueError):
            Transaction.model_validate({**base, "amount": bad})
    tx = Transaction.model_validate({**base, "amount": 1, "authorization": {}, "metadata": ""})
    assert tx.authorization is None and tx.metadata is None


def test_transfer_finality() -> None:
    base = {"id": 1, "reference": "r", "transfer_code": "TRF_1", "amount": 1, "currency": "NGN"}
    assert not Transfer.model_validate({**base, "status": "pending"}).is_final
    assert all(
        Transfer.model_validate({**base, "status": s}).is_final
        for s in ("success", "failed", "reversed")
    )


async def test_owned_http_client_is_closed_but_shared_one_is_not(sandbox: SandboxServer) -> None:
    shared = httpx.AsyncClient()
    async with PaystackClient(sandbox.url, SECRET_KEY, http_client=shared) as client:
        assert (await client.resolve_account("0000000001", "044")).account_name == "ADAEZE OKAFOR"
    assert not shared.is_closed
    await shared.aclose()
