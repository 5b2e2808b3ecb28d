"""The hosted payment page every payment simulator serves, in its provider's colours.

One layout: a test-mode badge, the merchant, the amount, a line of details and a body (the
outcome, or the buttons: :func:`buttons`). Each provider's page module keeps its own URL,
wording, redirect query and JSON answer; what they share is here: :func:`hosted_page`,
:func:`buttons`, :func:`with_query`, :func:`wants_html` and :func:`missing_page`.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from string import Template
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse

_PAGE = Template("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>$title</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;background:$background;margin:0;padding:2rem}
main{max-width:26rem;margin:auto;background:#fff;border-radius:12px;padding:2rem;
box-shadow:0 2px 12px #0001}
h1{font-size:1.1rem;color:#555;margin:0 0 .25rem}.amount{font-size:2rem;font-weight:700}
.muted{color:#777;font-size:.9rem}.row{display:flex;gap:$gap;margin-top:1.5rem}
button{$button_width;padding:.8rem;border:0;border-radius:8px;font-size:1rem;cursor:pointer}
.pay{background:$accent;color:#fff}.decline{background:#eee;color:#a00}
$extra_css.badge{display:inline-block;background:#fdf0c4;color:#8a6d00;border-radius:4px;
padding:.1rem .4rem;font-size:.75rem}
</style></head><body><main>
<span class="badge">TEST MODE · KRO sandbox</span>
<h1>$heading</h1>
<div class="amount">$amount</div>
<p class="muted">$details</p>
$body
</main></body></html>""")

_FORM = Template("""<form method="post" action="$action" style="$style">
<button class="$kind" type="submit">$label</button></form>""")

NO_CARD_CHARGED = "Sandbox: no real card is charged"


def hosted_page(
    *,
    title: str,
    background: str,
    accent: str,
    heading: str,
    amount: str,
    details: str,
    body: str,
    three_buttons: bool = False,
) -> str:
    """The page's HTML. ``title``: the browser tab; ``background`` and ``accent`` (the *Pay*
    button): CSS colours; ``heading``, ``amount``, ``details`` and ``body``: HTML, already
    escaped by the caller. ``three_buttons``: a row of three full-width buttons (with
    *Cancel*) instead of two."""
    return _PAGE.substitute(
        title=title,
        background=background,
        gap=".5rem" if three_buttons else ".75rem",
        button_width="width:100%" if three_buttons else "flex:1",
        accent=accent,
        extra_css=".cancel{background:#fff;color:#555;border:1px solid #ccc}\n"
        if three_buttons
        else "",
        heading=heading,
        amount=amount,
        details=details,
        body=body,
    )


def buttons(
    forms: Sequence[tuple[str, str, str]],
    *,
    note: str = NO_CARD_CHARGED,
    form_style: str = "flex:1;display:flex",
) -> str:
    """A muted ``note`` and a row of one-button forms, each ``(action URL, kind, label)``;
    ``kind`` is the button's CSS class (``pay``, ``decline``, ``cancel``). Each form POSTs
    to its action."""
    row = "\n".join(
        _FORM.substitute(
            action=html.escape(action), style=form_style, kind=kind, label=html.escape(label)
        )
        for action, kind, label in forms
    )
    return f'<p class="muted">{html.escape(note)}</p>\n<div class="row">\n{row}\n</div>'


def with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` appended to its query string (``?`` or ``&``)."""
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def wants_html(request: Request) -> bool:
    """Whether the client is a browser (``Accept`` names ``text/html``): it is redirected or
    shown a page; any other client gets JSON."""
    return "text/html" in request.headers.get("accept", "")


def missing_page(what: str) -> HTMLResponse:
    """The 404 page for an unknown link: ``Invalid or expired <what>``."""
    return HTMLResponse(f"<h1>Invalid or expired {what}</h1>", status_code=404)
