"""Ledger invariants, recomputed from the transfers: the ledger's own audit.

:func:`check_invariants` returns a list of problems (empty when the ledger is sound). Tests of
every module that moves money call it after each scenario; an operator can run it any time.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import BigInteger, RowMapping, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.ledger import store

_T = store.transfers
_A = store.accounts
_COUNTERS = store.COUNTERS


async def check_invariants(session: AsyncSession) -> list[str]:
    """Problems found in the ledger, as human-readable strings (empty list: all sound).

    Checks, over every account and transfer (counters in minor units):

    1. per currency, total debits equal total credits, posted and pending separately;
    2. each account's counters (row + shards) equal the sums of its transfers: posted =
       normal + post_pending amounts; pending = holds still ``pending``;
    3. no counter is negative and no flagged account is beyond its limit;
    4. every hold's status agrees with its post/void row (one at most, same accounts and
       currency, amount posted ≤ hold), and post/void rows reference holds;
    5. every transfer has the currency of both its accounts.
    """
    totals = await _account_totals(session)
    problems = _balanced_by_currency(totals) + _limits(totals)
    problems += _compare(totals, await _recomputed(session))
    problems += await _holds(session)
    problems += await _currencies(session)
    return problems


async def _account_totals(session: AsyncSession) -> dict[str, dict[str, Any]]:
    stmt = store.BALANCES.add_columns(
        _A.c.debits_must_not_exceed_credits, _A.c.credits_must_not_exceed_debits
    )
    return {row.id: dict(row._mapping) for row in await session.execute(stmt)}


def _balanced_by_currency(totals: dict[str, dict[str, Any]]) -> list[str]:
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_COUNTERS, 0))
    for account in totals.values():
        for name in _COUNTERS:
            sums[account["currency"]][name] += account[name]
    problems = []
    for currency, s in sorted(sums.items()):
        for side in ("posted", "pending"):
            if s[f"debits_{side}"] != s[f"credits_{side}"]:
                problems.append(
                    f"{currency}: debits_{side} {s[f'debits_{side}']} != "
                    f"credits_{side} {s[f'credits_{side}']}"
                )
    return problems


def _limits(totals: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    for a in totals.values():
        label = f"account {a['id']} ({a['code']})"
        problems += [f"{label}: {n} is negative ({a[n]})" for n in _COUNTERS if a[n] < 0]
        debits = a["debits_posted"] + a["debits_pending"]
        credits = a["credits_posted"] + a["credits_pending"]
        if a["debits_must_not_exceed_credits"] and debits > a["credits_posted"]:
            problems.append(f"{label}: debits {debits} exceed credits_posted {a['credits_posted']}")
        if a["credits_must_not_exceed_debits"] and credits > a["debits_posted"]:
            problems.append(f"{label}: credits {credits} exceed debits_posted {a['debits_posted']}")
    return problems


async def _recomputed(session: AsyncSession) -> dict[str, dict[str, int]]:
    posted = case((_T.c.kind.in_(("normal", "post_pending")), _T.c.amount), else_=0)
    held = case((and_(_T.c.kind == "pending", _T.c.status == "pending"), _T.c.amount), else_=0)
    sums: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_COUNTERS, 0))
    for side, column in (("debits", _T.c.debit_account_id), ("credits", _T.c.credit_account_id)):
        stmt = select(
            column,
            cast(func.sum(posted), BigInteger),
            cast(func.sum(held), BigInteger),
        ).group_by(column)
        for account_id, p, h in await session.execute(stmt):
            sums[account_id][f"{side}_posted"] = int(p)
            sums[account_id][f"{side}_pending"] = int(h)
    return sums


def _compare(totals: dict[str, dict[str, Any]], sums: dict[str, dict[str, int]]) -> list[str]:
    problems = [f"transfers reference unknown account {i}" for i in sorted(set(sums) - set(totals))]
    for account_id, account in sorted(totals.items()):
        expected = sums.get(account_id, dict.fromkeys(_COUNTERS, 0))
        for name in _COUNTERS:
            if account[name] != expected[name]:
                problems.append(
                    f"account {account_id} ({account['code']}): {name} {account[name]} "
                    f"!= {expected[name]} from its transfers"
                )
    return problems


async def _holds(session: AsyncSession) -> list[str]:
    hold, res = _T.alias("hold"), _T.alias("res")
    stmt = (
        select(
            *(hold.c[n] for n in _HOLD_COLUMNS),
            *(res.c[n].label(f"r_{n}") for n in ("id", "kind", *_HOLD_COLUMNS[5:])),
        )
        .select_from(hold.outerjoin(res, res.c.pending_id == hold.c.id))
        .where(hold.c.kind == "pending")
    )
    problems = [_hold_problem(row._mapping) for row in await session.execute(stmt)]
    orphans = (
        select(res.c.id).join(hold, hold.c.id == res.c.pending_id).where(hold.c.kind != "pending")
    )
    problems += [
        f"transfer {i} resolves a transfer that is not pending"
        for i in (await session.execute(orphans)).scalars()
    ]
    return [p for p in problems if p]


_HOLD_COLUMNS = (
    "id",
    "status",
    "amount_posted",
    "expires_at",
    "kind",
    "amount",
    "debit_account_id",
    "credit_account_id",
    "currency",
)


def _hold_problem(row: RowMapping) -> str:
    """What is wrong with one hold and its post/void row (``r_…`` columns), or ''."""
    label = f"pending transfer {row['id']} ({row['status']})"
    r_id, status = row["r_id"], row["status"]
    same = ("debit_account_id", "credit_account_id", "currency")
    if r_id is not None and any(row[f"r_{n}"] != row[n] for n in same):
        return f"{label}: resolution {r_id} has other accounts or currency"
    if status in ("pending", "expired"):
        if r_id is not None:
            return f"{label}: has resolution {r_id}"
        if row["amount_posted"] != 0:
            return f"{label}: amount_posted {row['amount_posted']} != 0"
        if status == "expired" and row["expires_at"] is None:
            return f"{label}: expired without expires_at"
        return ""
    wanted = "post_pending" if status == "posted" else "void_pending"
    if r_id is None or row["r_kind"] != wanted:
        return f"{label}: no {wanted} transfer"
    amount, posted, r_amount = row["amount"], row["amount_posted"], row["r_amount"]
    if status == "posted" and not (r_amount == posted and 0 < posted <= amount):
        return f"{label}: posted {r_amount}, recorded {posted} of {amount}"
    if status == "voided" and (r_amount != amount or posted != 0):
        return f"{label}: void of {r_amount} for a hold of {amount}"
    return ""


async def _currencies(session: AsyncSession) -> list[str]:
    debit, credit = _A.alias("debit"), _A.alias("credit")
    stmt = (
        select(_T.c.id)
        .join(debit, debit.c.id == _T.c.debit_account_id)
        .join(credit, credit.c.id == _T.c.credit_account_id)
        .where((debit.c.currency != _T.c.currency) | (credit.c.currency != _T.c.currency))
    )
    ids = (await session.execute(stmt)).scalars()
    return [f"transfer {i}: currency differs from its accounts'" for i in ids]
