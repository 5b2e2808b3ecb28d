"""The Providus sandbox over real HTTP, driven by the adapter: accounts, auth, transfers,
PiPverifyTransaction, and signed settlement notifications with Providus's retries."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from kro.kit.clock import clock
from kro.providers.errors import ProviderRejected
from kro.providers.providus import (
    TRANSACTION_NOT_FOUND,
    ProvidusClient,
    parse_notification,
    verify_signature,
)
from kro.sandbox.providus import ProvidusSandbox, ProvidusSandboxConfig, signature
from tests.sandbox.paystack_fixtures import eventually
from tests.sandbox.providus_fixtures import (
    CLIENT_ID,
    CLIENT_SECRET,
    OTHER_ID,
    OTHER_SECRET,
    ProvidusServer,
    Receiver,
    run_receiver,
    run_sandbox,
)


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with run_receiver() as rec:
        yield rec


@pytest.fixture(scope="module")
def sandbox(
    receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProvidusServer]:
    db = tmp_path_factory.mktemp("providus") / "sandbox.db"
    with run_sandbox(db, receiver.url) as server:
        yield server


def _client(
    sandbox: ProvidusServer, client_id: str = CLIENT_ID, secret: str = CLIENT_SECRET
) -> ProvidusClient:
    return ProvidusClient(sandbox.url, client_id, secret, timeout=10.0)


async def test_dynamic_account_lives_ten_minutes_by_default(sandbox: ProvidusServer) -> None:
    before = clock.now()
    async with _client(sandbox) as providus:
        account = await providus.create_dynamic_account("KRO Escrow ord_1")
    assert account.account_number.isdigit() and len(account.account_number) == 10
    assert account.account_name == "KRO Escrow ord_1"
    assert account.initiation_tran_ref
    async with sandbox.control() as http:
        shown = (await http.get(f"/_sandbox/accounts/{account.account_number}")).json()["data"]
    assert shown["kind"] == "dynamic" and shown["status"] == "active"
    expires = shown["expires_at"]
    assert expires > (before + timedelta(minutes=9, seconds=59)).isoformat()
    assert expires < (clock.now() + timedelta(minutes=10, seconds=1)).isoformat()


async def test_create_answers_providus_fields(sandbox: ProvidusServer) -> None:
    headers = {"Client-Id": CLIENT_ID, "X-Auth-Signature": signature(CLIENT_ID, CLIENT_SECRET)}
    async with sandbox.control() as http:
        r = await http.post(
            "/PiPCreateDynamicAccountNumber", json={"account_name": "Ada"}, headers=headers
        )
    assert r.status_code == 200
    assert set(r.json()) == {
        "account_number", "account_name", "requestSuccessful", "responseMessage",
        "responseCode", "initiationTranRef",
    }  # fmt: skip
    assert r.json()["responseCode"] == "00" and r.json()["requestSuccessful"] is True
    assert r.json()["responseMessage"] == "OPERATION SUCCESSFUL"


def test_signature_is_upper_case_sha512_of_id_and_secret() -> None:
    expected = hashlib.sha512(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).hexdigest().upper()
    assert signature(CLIENT_ID, CLIENT_SECRET) == expected


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Client-Id": CLIENT_ID},
        {"Client-Id": CLIENT_ID, "X-Auth-Signature": signature(CLIENT_ID, "wrong")},
        {"Client-Id": "unknown", "X-Auth-Signature": signature("unknown", CLIENT_SECRET)},
    ],
)
async def test_bad_credentials_get_providus_error(
    sandbox: ProvidusServer, headers: dict[str, str]
) -> None:
    async with sandbox.control() as http:
        r = await http.post(
            "/PiPCreateDynamicAccountNumber", json={"account_name": "x"}, headers=headers
        )
    assert r.status_code == 401
    assert r.json() == {
        "requestSuccessful": False,
        "responseMessage": "Invalid Client-Id or X-Auth-Signature",
        "responseCode": "03",
    }


async def test_missing_account_name_is_rejected(sandbox: ProvidusServer) -> None:
    async with _client(sandbox) as providus:
        with pytest.raises(ProviderRejected) as caught:
            await providus.create_dynamic_account("  ")
    assert caught.value.provider_status == 400 and caught.value.provider_code == "03"


async def test_transfer_is_notified_signed_and_verifiable(
    sandbox: ProvidusServer, receiver: Receiver
) -> None:
    async with _client(sandbox) as providus:
        account = await providus.create_dynamic_account("KRO Escrow ord_2")
        settled = await sandbox.transfer(
            account.account_number, 1_000_050, source_account_name="ADA OBI"
        )
        by_settlement = await providus.verify_transaction(settlement_id=settled["settlementId"])
        by_session = await providus.verify_transaction(session_id=settled["sessionId"])
    [hook] = await eventually(lambda: receiver.for_settlement(settled["settlementId"]))
    assert hook.headers["client-id"] == CLIENT_ID
    assert hook.headers["x-auth-signature"] == signature(CLIENT_ID, CLIENT_SECRET)
    assert verify_signature(hook.headers, CLIENT_ID, CLIENT_SECRET)
    payload = hook.payload
    # Naira strings, fee 0.5 % (₦50.00) and 7.5 % VAT on it (₦3.75).
    assert payload["transactionAmount"] == "10000.50"
    assert payload["feeAmount"] == "50.00" and payload["vatAmount"] == "3.75"
    assert payload["settledAmount"] == "9946.75"
    assert payload["accountNumber"] == account.account_number
    assert payload["initiationTranRef"] == account.initiation_tran_ref
    assert payload["sourceAccountName"] == "ADA OBI" and payload["currency"] == "NGN"
    assert len(payload["tranDateTime"]) == 19  # "YYYY-MM-DD HH:MM:SS"
    notified = parse_notification(hook.body)
    assert notified.transaction_amount == 1_000_050
    assert notified.settled_amount == 994_675 and notified.fees == 5_375
    assert by_settlement == by_session == notified


async def test_verify_unknown_settlement(sandbox: ProvidusServer) -> None:
    async with _client(sandbox) as providus:
        with pytest.raises(ProviderRejected) as caught:
            await providus.verify_transaction(settlement_id="123456789")
    assert caught.value.provider_code == TRANSACTION_NOT_FOUND


async def test_a_merchant_cannot_verify_another_merchants_settlement(
    sandbox: ProvidusServer,
) -> None:
    async with _client(sandbox) as providus:
        account = await providus.create_dynamic_account("Mine")
    settled = await sandbox.transfer(account.account_number, 50_000)
    async with _client(sandbox, OTHER_ID, OTHER_SECRET) as other:
        with pytest.raises(ProviderRejected):
            await other.verify_transaction(settlement_id=settled["settlementId"])


async def test_dynamic_account_takes_one_transfer_then_refuses(sandbox: ProvidusServer) -> None:
    async with _client(sandbox) as providus:
        account = await providus.create_dynamic_account("Once")
    await sandbox.transfer(account.account_number, 10_000)
    async with sandbox.control() as http:
        again = await http.post(
            "/_sandbox/transfers", json={"account_number": account.account_number, "amount": 1}
        )
        unknown = await http.post(
            "/_sandbox/transfers", json={"account_number": "0000000000", "amount": 1}
        )
    assert again.status_code == 409 and again.json()["responseCode"] == "03"
    assert unknown.status_code == 404


async def test_expired_dynamic_account_refuses_transfers(sandbox: ProvidusServer) -> None:
    async with _client(sandbox) as providus:
        account = await providus.create_dynamic_account("Late")
    clock.advance(timedelta(minutes=10, seconds=1))
    async with sandbox.control() as http:
        r = await http.post(
            "/_sandbox/transfers", json={"account_number": account.account_number, "amount": 100}
        )
        shown = (await http.get(f"/_sandbox/accounts/{account.account_number}")).json()["data"]
    assert r.status_code == 409 and "expired" in r.json()["responseMessage"]
    assert shown["status"] == "expired"


def test_validity_is_at_most_48_hours() -> None:
    assert ProvidusSandboxConfig(dynamic_account_validity=48 * 3600).dynamic_account_validity
    with pytest.raises(ValidationError):
        ProvidusSandboxConfig(dynamic_account_validity=48 * 3600 + 1)


async def test_reserved_account_is_one_per_bvn(sandbox: ProvidusServer) -> None:
    async with _client(sandbox) as providus:
        first = await providus.create_reserved_account("Ada Obi", "22222222222")
        again = await providus.create_reserved_account("Ada Obi", "22222222222")
        with pytest.raises(ProviderRejected):
            await providus.create_reserved_account("Ada Obi", "123")
    assert first.account_number == again.account_number and first.bvn == "22222222222"
    # A reserved account takes many transfers.
    await sandbox.transfer(first.account_number, 100)
    await sandbox.transfer(first.account_number, 200)


async def test_resend_delivers_the_same_bytes_again(
    sandbox: ProvidusServer, receiver: Receiver
) -> None:
    async with _client(sandbox) as providus:
        account = await providus.create_dynamic_account("Twice")
    settled = await sandbox.transfer(account.account_number, 70_000)
    [first] = await eventually(lambda: receiver.for_settlement(settled["settlementId"]))
    async with sandbox.control() as http:
        r = await http.post(f"/_sandbox/notifications/{settled['notification_id']}/resend")
    assert r.json()["data"]["resent_from"] == settled["notification_id"]
    hooks = await eventually(
        lambda: (got := receiver.for_settlement(settled["settlementId"])) and len(got) == 2 and got
    )
    assert hooks[1].body == first.body


async def test_notification_is_retried_until_acknowledged(tmp_path: Path) -> None:
    with run_receiver() as rec, run_sandbox(tmp_path / "own.db", rec.url) as own:
        rec.replies = [
            (200, {"responseCode": "03", "responseMessage": "system failure, retry"}),
            (500, b"oops"),
        ]
        async with _client(own) as providus:
            account = await providus.create_dynamic_account("Retry")
        settled = await own.transfer(account.account_number, 10_000)
        rows = await eventually(
            lambda: _with_status(own, settled["settlementId"], "delivered"), within=10
        )
    attempts = rows[0]["attempts"]
    assert [(a["status_code"], a["response_code"]) for a in attempts] == [
        (200, "03"),
        (500, None),
        (200, "00"),
    ]
    assert len(rec.for_settlement(settled["settlementId"])) == 3


async def test_duplicate_reply_ends_delivery_and_rejection_is_retried_to_failure(
    tmp_path: Path,
) -> None:
    rejected = (200, {"responseCode": "02", "responseMessage": "rejected transaction"})
    with run_receiver() as rec, run_sandbox(tmp_path / "own.db", rec.url) as own:
        rec.replies = [(200, {"responseCode": "01"})]
        async with _client(own) as providus:
            a = await providus.create_dynamic_account("Dup")
            b = await providus.create_dynamic_account("Rejected")
        dup = await own.transfer(a.account_number, 10_000)
        await eventually(lambda: _with_status(own, dup["settlementId"], "delivered"), within=10)
        rec.replies = [rejected] * 3
        refused = await own.transfer(b.account_number, 10_000)
        rows = await eventually(
            lambda: _with_status(own, refused["settlementId"], "failed"), within=10
        )
    assert [a["response_code"] for a in rows[0]["attempts"]] == ["02", "02", "02"]


async def _with_status(
    server: ProvidusServer, settlement_id: str, status: str
) -> list[dict[str, Any]]:
    return await server.notifications(settlement_id=settlement_id, status=status)


async def test_requests_outside_running_get_503() -> None:
    sandbox = ProvidusSandbox(ProvidusSandboxConfig())
    transport = httpx.ASGITransport(app=sandbox.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://providus.test") as http:
        r = await http.get("/_sandbox/notifications")
    assert r.status_code == 503 and r.json()["requestSuccessful"] is False
