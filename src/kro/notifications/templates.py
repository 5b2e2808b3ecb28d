"""Rendering: one Jinja2 template per event (``templates/<event>.j2``) with blocks
``subject`` and ``text`` (email), ``sms`` (also WhatsApp unless a ``whatsapp`` block exists).
The HTML email is the text wrapped in ``templates/_email.html.j2`` (autoescaped).

Undefined variables raise (``StrictUndefined``), so a caller that forgets one learns it when it
calls :func:`kro.notifications.service.notify`, not when the worker sends.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, select_autoescape

from kro.kit.money import MINOR_UNITS, to_major

TEMPLATE_DIR = Path(__file__).parent / "templates"
_SYMBOLS = {"NGN": "₦", "USD": "$", "GBP": "£", "EUR": "€", "GHS": "GH₵", "KES": "KSh "}


def money(amount: int, currency: str) -> str:
    """``25000000, "NGN"`` → ``"₦250,000.00"`` (``amount`` in minor units)."""
    if currency not in MINOR_UNITS:
        return f"{amount} {currency}"
    symbol = _SYMBOLS.get(currency, f"{currency} ")
    return f"{symbol}{to_major(int(amount), currency):,}"


_loader = FileSystemLoader([TEMPLATE_DIR])
_env = Environment(
    loader=_loader,
    undefined=StrictUndefined,
    autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
_env.filters["money"] = money


def add_template_dir(path: Path) -> None:
    """Also look for event templates in ``path`` (a product's own ``notifications/``
    folder; see :func:`kro.notifications.events.register`)."""
    if str(path) not in _loader.searchpath:
        _loader.searchpath.append(str(path))


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message ready for a channel: ``subject``/``html`` only for email."""

    text: str
    subject: str | None = None
    html: str | None = None


def template_name(event: str) -> str:
    return f"{event}.j2"


def render(event: str, channel: str, context: dict[str, Any]) -> Rendered:
    """Render ``event`` for ``channel`` (``email`` | ``sms`` | ``whatsapp``).

    Raises ``ValueError`` if the template is missing, a variable is undefined or the template
    is broken.
    """
    try:
        template = _env.get_template(template_name(event))
        ctx = template.new_context(dict(context))

        def block(name: str) -> str:
            return "".join(template.blocks[name](ctx)).strip()

        if channel == "email":
            subject = " ".join(block("subject").split())
            text = block("text")
            html = _env.get_template("_email.html.j2").render(
                subject=subject, paragraphs=text.split("\n\n"), url=context.get("url")
            )
            return Rendered(text=text, subject=subject, html=html)
        name = "whatsapp" if channel == "whatsapp" and "whatsapp" in template.blocks else "sms"
        return Rendered(text=block(name))
    except (TemplateError, KeyError) as exc:
        raise ValueError(f"cannot render {event!r} for {channel}: {exc}") from exc
