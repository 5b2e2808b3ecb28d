"""The Providus adapter: failure classification (canned answers), naira → kobo parsing with
``Decimal``, and the notification's static signature. The happy paths run against the sandbox
in ``tests/sandbox/test_providus_sandbox.py``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from kro.providers.errors import ProviderRejected, ProviderTimeout, ProviderUnavailable
from kro.providers.providus import (
    TRANSACTION_NOT_FOUND,
    InvalidNotification,
    ProvidusClient,
    compute_signature,
    parse_notification,
    session_id_of,
    verify_signature,
)

ID, SECRET = "client-id", "client-secret"
Handler = Callable[[httpx.Request], httpx.Response]
NOTIFICATION: dict[str, Any] = {
    "sessionId": "000023251021100000000000000001",
    "accountNumber": "9977581536",
    "tranRemarks": "FROM ADA OBI",
    "transactionAmount": "1500.50",
    "settledAmount": "1492.00",
    "feeAmount": "7.91",
    "vatAmount": "0.59",
    "currency": "NGN",
    "initiationTranRef": "ABC123",
    "settlementId": "202510211000000001",
    "sourceAccountNumber": "0123456789",
    "sourceAccountName": "ADA OBI",
    "sourceBankName": "ACCESS BANK",
    "channelId": "1",
    "tranDateTime": "2025-10-21 10:15:00",
}


def _client(handler: Handler) -> ProvidusClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return ProvidusClient("https://providus.test/api", ID, SECRET, http_client=http)


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


async def test_requests_carry_the_static_signature_and_json() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "account_number": "9977000001", "account_name": "KRO", "requestSuccessful": True,
                "responseMessage": "OPERATION SUCCESSFUL", "responseCode": "00",
                "initiationTranRef": "REF1",
            },
        )  # fmt: skip

    async with _client(handler) as providus:
        account = await providus.create_dynamic_account("KRO")
    assert account.initiation_tran_ref == "REF1"
    [request] = seen
    assert request.url.path == "/api/PiPCreateDynamicAccountNumber"
    assert request.headers["Client-Id"] == ID
    assert request.headers["X-Auth-Signature"] == compute_signature(ID, SECRET)
    assert compute_signature(ID, SECRET).isupper()
    assert json.loads(request.content) == {"account_name": "KRO"}


@pytest.mark.parametrize(
    ("handler", "error"),
    [
        (_raise(httpx.ConnectError("refused")), ProviderUnavailable),
        (_raise(httpx.ReadTimeout("slow")), ProviderTimeout),
        (_answer(500, {"responseCode": "03"}), ProviderUnavailable),
        (_answer(429, b""), ProviderUnavailable),
        (_answer(200, b"<html>"), ProviderTimeout),
        (_answer(200, {"account_number": "1"}), ProviderTimeout),  # unexpected shape
        (_answer(401, {"requestSuccessful": False, "responseCode": "03"}), ProviderRejected),
        (_answer(200, {"requestSuccessful": False, "responseCode": "03"}), ProviderRejected),
    ],
)
async def test_failures_are_classified(handler: Handler, error: type[Exception]) -> None:
    async with _client(handler) as providus:
        with pytest.raises(error):
            await providus.create_dynamic_account("KRO")


async def test_rejection_carries_providus_message_and_code() -> None:
    body = {
        "requestSuccessful": False,
        "responseMessage": "Error Completing Operation",
        "responseCode": "03",
    }
    async with _client(_answer(200, body)) as providus:
        with pytest.raises(ProviderRejected) as caught:
            await providus.create_dynamic_account("KRO")
    assert caught.value.provider_code == "03"
    assert caught.value.message == "Error Completing Operation"


async def test_verify_parses_naira_strings_into_kobo() -> None:
    async with _client(_answer(200, NOTIFICATION)) as providus:
        settled = await providus.verify_transaction(session_id=NOTIFICATION["sessionId"])
    assert settled.transaction_amount == 150_050
    assert settled.settled_amount == 149_200
    assert settled.fees == 791 + 59


async def test_verify_unknown_is_rejected_as_not_found() -> None:
    empty = dict.fromkeys(NOTIFICATION) | {"responseMessage": "TRANSACTION NOT FOUND"}
    async with _client(_answer(200, empty)) as providus:
        with pytest.raises(ProviderRejected) as caught:
            await providus.verify_transaction(settlement_id="1")
    assert caught.value.provider_code == TRANSACTION_NOT_FOUND


async def test_verify_needs_an_id() -> None:
    async with _client(_answer(200, {})) as providus:
        with pytest.raises(ValueError, match="required"):
            await providus.verify_transaction()


def test_notification_times_are_lagos_time() -> None:
    parsed = parse_notification(json.dumps(NOTIFICATION).encode())
    assert parsed.tran_date_time == datetime(2025, 10, 21, 9, 15, tzinfo=UTC)
    assert parsed.settlement_id == NOTIFICATION["settlementId"]


@pytest.mark.parametrize(
    ("raw", "kobo"),
    [('"1500.50"', 150_050), ('"1,500.5"', 150_050), ("1500", 150_000), ("1500.50", 150_050)],
)
def test_amounts_are_read_with_decimal(raw: str, kobo: int) -> None:
    body = json.dumps(NOTIFICATION).replace('"1500.50"', raw).encode()
    assert parse_notification(body).transaction_amount == kobo


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps(NOTIFICATION | {"transactionAmount": "10.001"}).encode(),  # under a kobo
        json.dumps(NOTIFICATION | {"transactionAmount": "ten"}).encode(),
        json.dumps({k: v for k, v in NOTIFICATION.items() if k != "settlementId"}).encode(),
    ],
)
def test_bad_notifications_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidNotification):
        parse_notification(body)


def test_session_id_is_read_even_from_a_bad_body() -> None:
    assert session_id_of(json.dumps({"sessionId": "S1"}).encode()) == "S1"
    assert session_id_of(b"nope") is None


@pytest.mark.parametrize(
    ("headers", "valid"),
    [
        ({"Client-Id": ID, "X-Auth-Signature": compute_signature(ID, SECRET)}, True),
        ({"client-id": ID, "x-auth-signature": compute_signature(ID, SECRET).lower()}, True),
        ({"Client-Id": ID, "X-Auth-Signature": compute_signature(ID, "forged")}, False),
        ({"Client-Id": "other", "X-Auth-Signature": compute_signature(ID, SECRET)}, False),
        ({"X-Auth-Signature": compute_signature(ID, SECRET)}, False),
        ({"Client-Id": ID}, False),
        ({}, False),
    ],
)
def test_signature_check(headers: dict[str, str], valid: bool) -> None:
    assert verify_signature(headers, ID, SECRET) is valid
    assert verify_signature(httpx.Headers(headers), ID, SECRET) is valid


def test_no_credentials_configured_verifies_nothing() -> None:
    headers = {"Client-Id": "", "X-Auth-Signature": compute_signature("", "")}
    assert not verify_signature(headers, "", "")
