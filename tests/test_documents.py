"""The platform's one PDF helper: a template beside its module, JSON in, text back out."""

from __future__ import annotations

import pytest

from kro import documents


def test_a_document_compiles_and_reads_back() -> None:
    pdf = documents.render(
        "documents/sample.typ",
        {
            "issuer": "KROGiving",
            "heading": "Receipt 2026-000042",
            "amount": "₦250,000.00",
            "qr": documents.qr_svg("https://kro.example.com/verify/abc"),
        },
    )
    assert pdf.startswith(b"%PDF")
    text = documents.text_of(pdf)
    assert "Receipt 2026-000042" in text and "₦250,000.00" in text and "KROGiving" in text


def test_unknown_or_escaping_templates_are_refused() -> None:
    for name in ("documents/nope.typ", "../../etc/passwd", "sample.typ"):
        with pytest.raises(documents.DocumentError):
            documents.render(name, {})
