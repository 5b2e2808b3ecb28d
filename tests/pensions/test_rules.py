"""The PRA 2014 arithmetic without a database: contributions (property tests: totals are the
sum of lines, all integers, never a float), proration, the working-day deadline across a
public holiday, penalty months, and the import's validation."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from kro.pensions import importer, rules

ITEMS = ("basic", "housing", "transport")
naira = st.integers(min_value=0, max_value=10**11)


@given(
    pays=st.lists(st.tuples(naira, naira, naira, naira, naira), min_size=1, max_size=30),
    bears_all=st.booleans(),
    days=st.integers(min_value=1, max_value=31),
)
def test_lines_are_exact_and_totals_are_their_sum(
    pays: list[tuple[int, int, int, int, int]], bears_all: bool, days: int
) -> None:
    rates = rules.Rates(bears_all=bears_all)
    lines = [rules.contribution(rules.Pay(*p), rates, ITEMS, min(days, 31), 31) for p in pays]
    for line, pay in zip(lines, pays, strict=True):
        for value in (line.emoluments, line.employee, line.employer, line.voluntary, line.total):
            assert type(value) is int and value >= 0
        assert line.total == line.employee + line.employer + line.voluntary
        exact = Decimal(line.emoluments) * Decimal("0.08")
        if bears_all:
            assert line.employee == 0
            assert abs(
                Decimal(line.employer) - Decimal(line.emoluments) * Decimal("0.2")
            ) <= Decimal("0.5")
        else:
            assert abs(Decimal(line.employee) - exact) <= Decimal("0.5")
        assert line.voluntary == pay[4]
    total = sum(x.total for x in lines)
    assert total == sum(x.employee for x in lines) + sum(x.employer for x in lines) + sum(
        x.voluntary for x in lines
    )


def test_half_up_per_line() -> None:
    # ₦1,234.56 + 0 + 0 → 8 % = 9,876.48 kobo → 9,876; 10 % = 12,345.6 → 12,346
    line = rules.contribution(rules.Pay(123_456), rules.Rates(), ITEMS, 30, 30)
    assert (line.employee, line.employer) == (9_876, 12_346)
    assert rules.half_up(Decimal("2.5")) == 3 and rules.half_up(Decimal("3.5")) == 4


def test_proration_for_a_joiner_and_a_leaver() -> None:
    assert rules.active_days("2026-11", date(2026, 11, 16), None) == (15, 30)
    assert rules.active_days("2026-11", date(2020, 1, 1), date(2026, 11, 10)) == (10, 30)
    assert rules.active_days("2026-11", date(2026, 12, 1), None) == (0, 30)
    line = rules.contribution(rules.Pay(30_000_000), rules.Rates(), ITEMS, 15, 30)
    assert line.emoluments == 15_000_000 and line.employee == 1_200_000


def test_bears_all_uses_the_floor() -> None:
    rates = rules.Rates(
        employee_bps=800, employer_bps=1_000, bears_all=True, bears_all_min_bps=2_000
    )
    line = rules.contribution(rules.Pay(10_000_000), rates, ITEMS, 30, 30)
    assert (line.employee, line.employer) == (0, 2_000_000)


def test_deadline_skips_weekends_and_a_public_holiday() -> None:
    # Salaries on Friday 25 Sep 2026; 1 Oct is Independence Day: 28, 29, 30 Sep, 2, 5, 6, 7 Oct.
    assert rules.salary_date("2026-09", 25) == date(2026, 9, 25)
    assert rules.deadline("2026-09", 25, 7) == date(2026, 10, 7)
    # A salary day past the month's end is its last day.
    assert rules.salary_date("2026-02", 31) == date(2026, 2, 28)


def test_penalty_months_count_part_months() -> None:
    due = date(2026, 10, 7)
    assert rules.months_late(due, date(2026, 10, 7)) == 0
    assert rules.months_late(due, date(2026, 10, 8)) == 1
    assert rules.months_late(due, date(2026, 11, 7)) == 1
    assert rules.months_late(due, date(2026, 11, 8)) == 2
    assert rules.penalty(1_000_000, 200, 2) == 40_000
    assert rules.penalty(1_000_000, 200, 0) == 0


def test_naira_text_to_kobo() -> None:
    assert importer.naira_to_kobo("250,000.00") == 25_000_000
    assert importer.naira_to_kobo("250,000") == 25_000_000
    assert importer.naira_to_kobo("250000.5") == 25_000_050
    assert importer.naira_to_kobo(2500.5) == 250_050
    for bad in ("25,00", "1.234", "abc", "-5"):
        try:
            importer.naira_to_kobo(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_validation_reports_every_bad_row() -> None:
    header = ",".join(importer.COLUMNS)
    good = (
        "S1,Okafor,Ada,,ada@example.com,0803,1990-01-01,2024-01-01,PEN100000000001,ARM,"
        '22200000001,"150,000.00",50000,25000,0,0'
    )
    rows = [
        header,
        good,
        good.replace("S1,", "S2,").replace("ARM", "ZZZ"),
        good.replace("S1,", "S3,").replace('"150,000.00"', "lots"),
        good,  # duplicate staff id
        good.replace("S1,", "S5,").replace("PEN100000000001", "PEN12"),
    ]
    table = importer.read_table("x.csv", "\n".join(rows).encode())
    checked = importer.validate(table)
    assert [(e["row"], e["column"]) for e in checked.errors] == [
        (3, "pfa_code"),
        (4, "basic"),
        (5, "staff_id"),
    ]
    assert [(w["row"], w["column"]) for w in checked.warnings] == [(6, "rsa_pin")]
    assert [r.staff_id for r in checked.rows] == ["S1", "S5"]
    assert checked.rows[0].basic == 15_000_000


def test_xlsx_is_read_like_csv() -> None:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(importer.COLUMNS))
    sheet.append(
        [
            "S1",
            "Okafor",
            "Ada",
            None,
            None,
            None,
            date(1990, 1, 1),
            date(2024, 1, 1),
            "PEN100000000001",
            "ARM",
            "22200000001",
            150000.5,
            "50,000",
            0,
            0,
            0,
        ]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    checked = importer.validate(importer.read_table("x.xlsx", buffer.getvalue()))
    assert checked.errors == [] and checked.rows[0].basic == 15_000_050
