"""Templates render for every event and channel; no database needed."""

from __future__ import annotations

import pytest

from kro.notifications.events import CORE_EVENTS, ORDER_EVENTS
from kro.notifications.templates import TEMPLATE_DIR, money, render, template_name
from tests.notifications.messaging_fixtures import sample_context

CONTEXT = sample_context(recipient_name="Ada Obi", code="123456", minutes=10, link="https://x")


def test_every_order_event_of_the_issue_has_a_template() -> None:
    wanted = {
        "order.seller_invited", "order.accepted", "order.funded", "order.started",
        "order.completed", "order.condition_fulfilled", "order.released",
        "order.issue_reported", "order.disputed", "order.resolved", "order.refunded",
        "order.inspection_reminder", "payout.sent", "payout.failed",
    }  # fmt: skip
    assert set(ORDER_EVENTS) == wanted
    for event in CORE_EVENTS:
        assert (TEMPLATE_DIR / template_name(event)).is_file(), event


@pytest.mark.parametrize("event", sorted(CORE_EVENTS))
@pytest.mark.parametrize("channel", ["email", "sms", "whatsapp"])
def test_renders(event: str, channel: str) -> None:
    rendered = render(event, channel, CONTEXT)
    assert rendered.text and "{{" not in rendered.text and "{%" not in rendered.text
    if channel == "email":
        assert rendered.subject and "\n" not in rendered.subject
        assert rendered.html and rendered.html.startswith("<!doctype html>")
    else:
        assert rendered.subject is None and rendered.html is None
        assert len(rendered.text) <= 320, rendered.text  # at most two SMS pages


def test_order_funded_reads_well() -> None:
    email = render("order.funded", "email", CONTEXT)
    assert email.subject == '₦250,000.00 is held in escrow for "Website redesign"'
    assert email.text.startswith("Hello Ada Obi,\n\n₦250,000.00 for")
    sms = render("order.funded", "sms", CONTEXT)
    assert sms.text == (
        'KRO: ₦250,000.00 for "Website redesign" is held in escrow. Order ord_01test.'
    )


def test_html_is_escaped_and_text_is_not() -> None:
    context = {**CONTEXT, "title": "<script>alert(1)</script>"}
    email = render("order.started", "email", context)
    assert "<script>" in email.text
    assert email.html and "<script>" not in email.html and "&lt;script&gt;" in email.html


def test_optional_variables() -> None:
    context = {k: v for k, v in CONTEXT.items() if k != "reason"}
    assert '"Late delivery"' not in render("order.disputed", "email", context).text
    refund = render("order.refunded", "sms", {**CONTEXT, "refund_amount": 7_500_000})
    assert "₦75,000.00" in refund.text


def test_a_missing_variable_is_an_error() -> None:
    context = {k: v for k, v in CONTEXT.items() if k != "title"}
    with pytest.raises(ValueError, match="title"):
        render("order.funded", "sms", context)
    with pytest.raises(ValueError):
        render("order.nothing", "sms", CONTEXT)


def test_money() -> None:
    assert money(25_000_000, "NGN") == "₦250,000.00"
    assert money(199, "USD") == "$1.99"
    assert money(5_000, "XOF") == "XOF 5,000"
    assert money(10, "ZZZ") == "10 ZZZ"


def test_every_registered_event_has_a_template_somewhere() -> None:
    """The products' events (registered with their own template folders) all resolve."""
    import kro.app  # noqa: F401  (imports every product, which registers its events)
    from kro.notifications.events import EVENTS
    from kro.notifications.templates import _env

    for event in EVENTS:
        _env.get_template(template_name(event))  # raises TemplateNotFound
