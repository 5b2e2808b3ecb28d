"""PDFs for the whole platform (DESIGN.md section 2: Typst, QR codes with segno).

A document is a Typst template beside the module that owns it —
``src/kro/<module>/documents/<name>.typ``, named ``"<module>/<name>.typ"`` (nested modules:
``"marketplace/orders/invoice.typ"``) — filled with JSON data::

    pdf = documents.render("giving/receipt.typ", {"number": "2026-000042", ...})

The template reads the data as ``#let data = json(bytes(sys.inputs.data))`` and may import
the shared look with ``#import "/kro/documents/templates/base.typ": *`` (the compile root is
``src``). Amounts go in as preformatted strings (``kro.web.formatting.money``) or as integers
in minor units, never as floats. ``qr_svg(url)`` makes a QR code to pass in the data and place
with ``image(bytes(data.qr), format: "svg")``. ``text_of(pdf)`` reads the text back (tests,
demos). The ``typst`` wheel carries its compiler and fonts: nothing to install, works offline.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import segno
import typst
from pypdf import PdfReader

SRC = Path(__file__).resolve().parents[2]  # the compile root: templates import by /kro/…
PACKAGE = SRC / "kro"


class DocumentError(RuntimeError):
    """A template that does not exist or does not compile (the compiler's message kept)."""


def template_path(name: str) -> Path:
    """``"giving/receipt.typ"`` → ``src/kro/giving/documents/receipt.typ``."""
    module, _, file = name.rpartition("/")
    path = (PACKAGE / module / "documents" / file).resolve()
    if not module or PACKAGE not in path.parents or not path.is_file():
        raise DocumentError(f"no document template {name!r}")
    return path


def render(name: str, data: Mapping[str, Any]) -> bytes:
    """Compile template ``name`` with ``data`` (JSON-serialisable) into PDF bytes."""
    return _compile(name, data)


def render_png(name: str, data: Mapping[str, Any], ppi: float = 144) -> bytes:
    """Compile a one-page template into a PNG (``ppi`` pixels per inch: a 600 × 315 pt page
    at 144 ppi is 1200 × 630 px, an Open Graph image). Typst's own rasteriser: no image
    library needed. CPU-bound: call it from a worker thread in async code."""
    return _compile(name, data, format="png", ppi=ppi)


def _compile(name: str, data: Mapping[str, Any], **options: Any) -> bytes:
    path = template_path(name)
    try:
        out = typst.compile(
            str(path),
            root=str(SRC),
            sys_inputs={"data": json.dumps(data, default=str)},
            **options,
        )
    except Exception as exc:  # typst raises its own error types with the compiler's report
        raise DocumentError(f"{name}: {exc}") from exc
    if isinstance(out, list):  # a PNG per page; a preview is one page
        raise DocumentError(f"{name}: {len(out)} pages where one was expected")
    return bytes(out)


def qr_svg(content: str) -> str:
    """A QR code of ``content`` (e.g. a verification URL) as SVG text, error correction M."""
    buffer = io.BytesIO()
    segno.make(content, error="m").save(buffer, kind="svg", scale=4, border=2)
    return buffer.getvalue().decode()


def text_of(pdf: bytes) -> str:
    """The text of every page, in order (what a reader's copy-paste would give)."""
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
