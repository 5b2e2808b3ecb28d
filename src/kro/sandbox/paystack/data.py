"""Test data of the Paystack simulator: Nigerian banks (real CBN/NIP codes) and test accounts.

Bank rows carry every field Paystack's ``GET /bank`` returns (and pypaystack2's ``Bank`` model
requires). Account numbers are 10-digit NUBANs that resolve at every listed bank.
"""

from __future__ import annotations

from typing import Any

FAILING_ACCOUNT_NUMBER = "0000000009"
REVERSING_ACCOUNT_NUMBER = "0000000008"

DEFAULT_TEST_ACCOUNTS: dict[str, str] = {
    "0000000001": "ADAEZE OKAFOR",
    "0000000002": "BABATUNDE ADEYEMI",
    "0000000003": "CHINEDU EZE",
    "0000000004": "FATIMA BELLO",
    "0000000005": "NGOZI NWOSU",
    "0000000006": "OLUWASEUN BAKARE",
    "0000000007": "EMEKA OBI",
    REVERSING_ACCOUNT_NUMBER: "REVERSAL TESTCASE",
    FAILING_ACCOUNT_NUMBER: "FAILING TESTCASE",
}

_CREATED = "2016-07-14T10:04:29.000Z"
_UPDATED = "2024-01-10T09:00:00.000Z"

# (id, name, slug, code, longcode, gateway, pay_with_bank)
_BANKS: tuple[tuple[int, str, str, str, str, str | None, bool], ...] = (
    (1, "Access Bank", "access-bank", "044", "044150149", "emandate", False),
    (4, "Ecobank Nigeria", "ecobank-nigeria", "050", "050150010", None, False),
    (6, "Fidelity Bank", "fidelity-bank", "070", "070150003", "emandate", False),
    (7, "First Bank of Nigeria", "first-bank-of-nigeria", "011", "011151003", "ibank", False),
    (2, "First City Monument Bank", "first-city-monument-bank", "214", "214150018", None, False),
    (9, "Guaranty Trust Bank", "guaranty-trust-bank", "058", "058152036", "ibank", True),
    (67, "Kuda Bank", "kuda-bank", "50211", "", "digitalbankmandate", True),
    (171, "OPay Digital Services Limited (OPay)", "paycom", "999992", "", None, True),
    (14, "Stanbic IBTC Bank", "stanbic-ibtc-bank", "221", "221159522", None, False),
    (16, "Sterling Bank", "sterling-bank", "232", "232150016", "emandate", False),
    (18, "United Bank For Africa", "united-bank-for-africa", "033", "033153513", "emandate", True),
    (20, "Wema Bank", "wema-bank", "035", "035150103", None, False),
    (21, "Zenith Bank", "zenith-bank", "057", "057150013", "emandate", True),
)


def bank_rows() -> list[dict[str, Any]]:
    """Every test bank as Paystack's ``GET /bank`` item, sorted by name."""
    rows = [
        {
            "id": bank_id,
            "name": name,
            "slug": slug,
            "code": code,
            "longcode": longcode,
            "gateway": gateway,
            "pay_with_bank": pay_with_bank,
            "supports_transfer": True,
            "active": True,
            "is_deleted": False,
            "country": "Nigeria",
            "currency": "NGN",
            "type": "nuban",
            "createdAt": _CREATED,
            "updatedAt": _UPDATED,
        }
        for bank_id, name, slug, code, longcode, gateway, pay_with_bank in _BANKS
    ]
    return sorted(rows, key=lambda row: str(row["name"]))


BANKS_BY_CODE: dict[str, dict[str, Any]] = {str(row["code"]): row for row in bank_rows()}
