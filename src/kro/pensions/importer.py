"""Reading and validating an employee import (CSV or XLSX), pure: no database.

The columns are exactly :data:`COLUMNS`; the first row is the header, data rows are numbered
as a spreadsheet shows them (the first data row is row 2). Amounts are naira as HR teams write
them (``250000``, ``250000.00``, ``250,000``, ``₦250,000.50``) and become ``int`` kobo exactly
(``Decimal``; more than two decimals is an error, never rounded). Dates are ``YYYY-MM-DD``
(or ``DD/MM/YYYY``; XLSX date cells as they are).

:func:`validate` returns every row's errors — ``{"row", "column", "reason"}`` — and warnings
(an RSA PIN not of the usual ``PEN`` + 12 digits form is soft-validated: a warning). The
service applies the rows only when there is no error at all (all or nothing).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from kro.pensions.operators import PFAS

COLUMNS = (
    "staff_id",
    "surname",
    "first_name",
    "other_names",
    "email",
    "phone",
    "date_of_birth",
    "hire_date",
    "rsa_pin",
    "pfa_code",
    "bvn",
    "basic",
    "housing",
    "transport",
    "other_allowances",
    "voluntary",
)
REQUIRED = ("staff_id", "surname", "first_name", "hire_date", "basic")
TEMPLATE_EXAMPLE = {
    "staff_id": "S001",
    "surname": "Okafor",
    "first_name": "Ada",
    "email": "ada.okafor@example.com",
    "phone": "08030000001",
    "date_of_birth": "1990-04-15",
    "hire_date": "2023-02-01",
    "rsa_pin": "PEN100000000001",
    "pfa_code": "ARM",
    "bvn": "22100000001",
    "basic": "250,000.00",
    "housing": "80,000",
    "transport": "25,000",
    "other_allowances": "10,000",
    "voluntary": "0",
}
"""The import template's example row, by column (a column left out is empty)."""
AMOUNTS = ("basic", "housing", "transport", "other_allowances", "voluntary")
MAX_ROWS = 5_000
RSA_PIN = re.compile(r"^PEN\d{12}$")
NAIRA = re.compile(r"^(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class ImportFileError(ValueError):
    """The file itself cannot be read (not CSV/XLSX, no header, wrong columns)."""


@dataclass
class ImportRow:
    """One valid row, amounts in kobo."""

    row: int
    staff_id: str
    surname: str
    first_name: str
    other_names: str | None
    email: str | None
    phone: str | None
    date_of_birth: date | None
    hire_date: date
    rsa_pin: str | None
    pfa_code: str | None
    bvn: str | None
    basic: int
    housing: int
    transport: int
    other_allowances: int
    voluntary: int


@dataclass
class Checked:
    """The outcome of :func:`validate`: ``rows`` (valid ones), ``errors`` and ``warnings``."""

    rows: list[ImportRow] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    total_rows: int = 0


def template_csv() -> bytes:
    """The import template: the header row of :data:`COLUMNS` and one example row (amounts in
    naira as HR teams write them), UTF-8, CRLF line ends (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerow(TEMPLATE_EXAMPLE.get(column, "") for column in COLUMNS)
    return buffer.getvalue().encode()


def naira_to_kobo(value: Any) -> int:
    """``"250,000.00"`` → ``25000000``; ValueError for anything that is not naira with at most
    two decimals (floats from XLSX cells are read through their shortest text)."""
    if isinstance(value, bool):
        raise ValueError("not an amount")
    if isinstance(value, int):
        return value * 100
    text = str(value).strip().replace("₦", "").replace("NGN", "").strip()
    if isinstance(value, float | Decimal):
        text = format(Decimal(str(value)).normalize(), "f")
    if not NAIRA.match(text):
        raise ValueError("not an amount in naira (e.g. 250,000.00)")
    try:
        kobo = Decimal(text.replace(",", "")) * 100
    except InvalidOperation as exc:
        raise ValueError("not an amount in naira") from exc
    if kobo != kobo.to_integral_value():
        raise ValueError("more than two decimals")
    return int(kobo)


def parse_date(value: Any) -> date:
    """A date cell or ``YYYY-MM-DD`` / ``DD/MM/YYYY`` text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    raise ValueError("not a date (YYYY-MM-DD)")


def read_table(filename: str, content: bytes) -> list[dict[str, Any]]:
    """The file's data rows as dicts keyed by :data:`COLUMNS` (missing cells ``None``).
    XLSX by extension or magic bytes (``PK``), else CSV (UTF-8, BOM allowed).
    Raises ImportFileError."""
    if filename.lower().endswith(".xlsx") or content[:2] == b"PK":
        table = _xlsx_rows(content)
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ImportFileError("The file is not UTF-8 CSV or XLSX.") from exc
        table = [list(r) for r in csv.reader(io.StringIO(text))]
    if not table:
        raise ImportFileError("The file is empty.")
    header = [str(c or "").strip().lower() for c in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c and c not in COLUMNS]
    if missing or unknown:
        raise ImportFileError(
            "The header must use the import's column names."
            + (f" Missing: {', '.join(missing)}." if missing else "")
            + (f" Unknown: {', '.join(unknown)}." if unknown else "")
        )
    rows: list[dict[str, Any]] = []
    for cells in table[1:]:
        if all(c is None or str(c).strip() == "" for c in cells):
            rows.append({})  # keeps row numbers; skipped
            continue
        rows.append({h: (cells[i] if i < len(cells) else None) for i, h in enumerate(header) if h})
    if len(rows) > MAX_ROWS:
        raise ImportFileError(f"At most {MAX_ROWS} rows per import.")
    return rows


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a bad file
        raise ImportFileError("The file is not a readable XLSX workbook.") from exc
    sheet = book.worksheets[0]
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def validate(table: list[dict[str, Any]]) -> Checked:
    """Check every row; collect all errors (row, column, reason), never stop at the first."""
    checked = Checked()
    seen: dict[str, int] = {}
    for index, raw in enumerate(table):
        number = index + 2
        if not raw:
            continue
        checked.total_rows += 1
        errors: list[dict[str, Any]] = []

        def fail(
            column: str, reason: str, number: int = number, errors: list[dict[str, Any]] = errors
        ) -> None:
            errors.append({"row": number, "column": column, "reason": reason})

        values: dict[str, Any] = {}
        for column in COLUMNS:
            text = _text(raw.get(column))
            if column in REQUIRED and text is None:
                fail(column, "required")
                continue
            if column in AMOUNTS:
                try:
                    values[column] = naira_to_kobo(raw.get(column)) if text else 0
                except ValueError as exc:
                    fail(column, str(exc))
            elif column in ("date_of_birth", "hire_date"):
                try:
                    values[column] = parse_date(raw.get(column)) if text else None
                except ValueError as exc:
                    fail(column, str(exc))
            else:
                values[column] = text
        staff_id = values.get("staff_id")
        if staff_id:
            if staff_id in seen:
                fail("staff_id", f"duplicate of row {seen[staff_id]}")
            else:
                seen[staff_id] = number
        if values.get("basic") == 0 and "basic" not in [e["column"] for e in errors]:
            fail("basic", "must be more than zero")
        pin = values.get("rsa_pin")
        if pin:
            values["rsa_pin"] = pin = pin.upper().replace(" ", "")
            if not RSA_PIN.match(pin):
                checked.warnings.append(
                    {"row": number, "column": "rsa_pin", "reason": "not PEN followed by 12 digits"}
                )
        pfa = values.get("pfa_code")
        if pfa:
            values["pfa_code"] = pfa = pfa.upper()
            if pfa not in PFAS:
                fail("pfa_code", "unknown PFA code")
        if pin and not pfa:
            fail("pfa_code", "required with an RSA PIN")
        bvn = values.get("bvn")
        if bvn and not (len(bvn) == 11 and bvn.isdigit()):
            fail("bvn", "must be 11 digits")
        email = values.get("email")
        if email and not EMAIL.match(email):
            fail("email", "not an email address")
        dob, hired = values.get("date_of_birth"), values.get("hire_date")
        if dob and hired and dob >= hired:
            fail("date_of_birth", "must be before the hire date")
        if errors:
            checked.errors.extend(errors)
            continue
        checked.rows.append(ImportRow(row=number, **values))
    return checked
