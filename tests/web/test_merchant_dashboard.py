"""The merchant dashboard in a real browser: a new person creates a business, switches to test
mode, configures a provider, creates an API key and a webhook endpoint; their server takes a
payment with the key over the JSON API; the dashboard shows it paid with its events and
routing, refunds part of it, and the live mode does not show it. And tenant isolation: another
business's dashboard and payments are the 404 page."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator

import httpx
import pytest
from playwright.async_api import BrowserContext, Dialog, Page, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.api import data, register_and_login
from tests.support.platform import Platform, eventually, sandbox_pay
from tests.support.server import serve_in_thread
from tests.web.browser import PHONE, Camera

PASSWORD = "correct horse battery"


class Receiver:
    """The merchant's webhook receiver: records what it is sent, answers 200."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self._lock = threading.Lock()

    def app(self) -> Starlette:
        async def hook(request: Request) -> Response:
            body = await request.body()
            with self._lock:
                self.bodies.append(body)
            return Response("ok")

        return Starlette(routes=[Route("/hook", hook, methods=["POST"])])

    def received(self, text: str) -> bool:
        with self._lock:
            return any(text.encode() in body for body in self.bodies)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    hooks = Receiver()
    with serve_in_thread(lambda _: hooks.app()) as base_url:
        yield hooks, f"{base_url}/hook"


def _accept_dialogs(page: Page) -> None:
    """Say yes to the pages' confirmations (``data-confirm``)."""

    async def accept(dialog: Dialog) -> None:
        await dialog.accept()

    page.on("dialog", accept)


async def _reload_until(page: Page, selector: str, within: float = 20.0) -> None:
    """Reload ``page`` until ``selector`` is on it (the worker and the sandbox are async)."""

    async def shown() -> bool:
        await page.reload()
        return await page.locator(selector).count() > 0

    await eventually(shown, within=within)


async def test_a_merchant_creates_a_key_and_sees_a_payments_events(
    platform: Platform, context: BrowserContext, receiver: tuple[Receiver, str]
) -> None:
    hooks, hook_url = receiver
    camera = Camera("merchant-dashboard")
    page = await context.new_page()
    _accept_dialogs(page)
    base = platform.base_url

    # A new person signs up and creates a business: it opens in test mode, marked as such.
    await page.goto(base + "/sign-up")
    await page.get_by_label("Full name").fill("Ada Okafor")
    await page.get_by_label("Email").fill("ada@adafoods.example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await expect(page.get_by_role("status")).to_contain_text("Welcome to KRO")
    await page.goto(base + "/dashboard")
    await page.get_by_role("button", name="Create business").click()
    await expect(page.locator("#e-name")).to_contain_text("validation_error")
    await page.get_by_label("Business name").fill("Ada Foods")
    await page.get_by_role("button", name="Create business").click()
    await expect(page.get_by_role("status")).to_contain_text("Ada Foods is ready")
    await expect(page.locator("#mode-banner")).to_contain_text("TEST MODE")
    tenant_id = re.search(r"/dashboard/(ten_\w+)/test", page.url).group(1)  # type: ignore[union-attr]
    await camera.shoot(page, "overview-test-mode")

    # The switch: live mode, then back to test mode.
    await page.get_by_role("link", name="Live mode").click()
    await expect(page.locator("#mode-banner")).to_contain_text("LIVE MODE")
    await page.get_by_role("link", name="Test mode").click()
    await expect(page).to_have_url(re.compile(rf"/dashboard/{tenant_id}/test$"))

    # A provider for test mode, on KRO's sandbox keys.
    await page.get_by_role("link", name="Providers").click()
    await page.get_by_role("link", name="Add a provider").click()
    await page.get_by_label("Provider").select_option("paystack")
    await page.get_by_role("button", name="Add provider").click()
    await expect(page.get_by_role("status")).to_contain_text("configured")
    await expect(page.locator("#provider-configs")).to_contain_text("KRO sandbox keys")

    # An API key: the secret is on the page once, then never again.
    await page.get_by_role("link", name="API keys").click()
    await page.get_by_label("Name (optional)").fill("checkout server")
    await page.get_by_role("button", name="Create key").click()
    secret = (await page.locator(".secret").inner_text()).strip()
    assert secret.startswith("sk_test_")
    await expect(page.get_by_text("only time it is shown")).to_be_visible()
    await camera.shoot(page, "api-key-shown-once")
    await page.goto(base + f"/dashboard/{tenant_id}/test/api-keys")
    await expect(page.locator("#keys")).to_contain_text("checkout server")
    assert secret not in await page.content()

    # A webhook endpoint on the merchant's receiver, and a test event delivered to it.
    await page.get_by_role("link", name="Webhooks").click()
    await page.get_by_label("URL").fill(hook_url)
    await page.get_by_role("button", name="Add endpoint").click()
    assert (await page.locator(".secret").inner_text()).strip().startswith("whsec_")
    await page.get_by_role("link", name="Open the endpoint").click()
    await page.get_by_role("button", name="Send a test event").click()
    await expect(page.get_by_role("status")).to_contain_text("test event is on its way")
    await _reload_until(page, "#attempts tr[data-succeeded=yes]")
    assert hooks.received("webhook.test")
    await camera.shoot(page, "webhook-test-event-delivered")

    # The merchant's server takes a payment with the key; the customer pays at the checkout.
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        body = {
            "amount": 2_500_000,
            "currency": "NGN",
            "reference": "order-1001",
            "customer": {"email": "chidi@example.com", "name": "Chidi"},
        }
        r = await http.post(
            "/v1/payments", json=body, headers={"Authorization": f"Bearer {secret}"}
        )
        created = data(r, 201)
        assert created["status"] == "requires_action"
        await sandbox_pay(http, created["next_action"]["url"])

    # The list shows it paid; its page shows its events and the routing attempt.
    await page.get_by_role("link", name="Payments").click()
    await _reload_until(page, f"li[data-payment='{created['id']}'][data-status=completed]")
    await camera.shoot(page, "payments-list")
    await page.get_by_text("Filter by status").click()
    await page.get_by_label("Your reference").fill("order-1001")
    await page.get_by_role("button", name="Filter").click()
    await page.get_by_role("link", name="₦25,000.00").click()
    events = page.locator("#payment-events")
    for status in ("Pending", "Processing", "Requires action", "Completed"):
        await expect(events).to_contain_text(status)
    await expect(page.locator("#routing-attempts")).to_contain_text("paystack")
    await expect(page.locator("#routing-attempts")).to_contain_text("Accepted")
    await camera.shoot(page, "payment-detail")

    # Refund part of it from the page; more than is left is refused beside the field.
    await page.get_by_label("Amount to refund").fill("30,000")
    await page.get_by_role("button", name="Refund").click()
    await expect(page.locator("#e-amount")).to_contain_text("refund_exceeds_captured")
    await page.get_by_label("Amount to refund").fill("5,000")
    await page.get_by_label("Reason (optional)").fill("one item out of stock")
    await page.get_by_role("button", name="Refund").click()
    await expect(page.get_by_role("status")).to_contain_text("refund is requested")
    await expect(page.locator("#payment-refunds")).to_contain_text("₦5,000.00")
    await _reload_until(page, "#payment-refunds li[data-status=processed]")
    await expect(page.locator("#refunded")).to_contain_text("₦5,000.00")
    await camera.shoot(page, "payment-refunded-in-part")
    await page.get_by_role("link", name="Payments", exact=True).click()
    await page.get_by_role("link", name="Refunds").click()
    await expect(page.locator("#refunds")).to_contain_text("₦5,000.00")
    await expect(page.locator("#refunds")).to_contain_text("One item out of stock")

    # The receiver heard about the payment; the audit log names the refund and the key.
    assert await eventually(lambda: hooks.received("payment.completed"))
    await page.get_by_role("link", name="Audit log").click()
    await expect(page.locator("#audit")).to_contain_text("payments.refund_created")
    await expect(page.locator("#audit")).to_contain_text("tenants.api_key_created")

    # Live mode does not show the test payment.
    await page.goto(base + f"/dashboard/{tenant_id}/test/payments")
    await page.get_by_role("link", name="Live mode").click()
    await expect(page).to_have_url(re.compile(rf"/dashboard/{tenant_id}/live/payments$"))
    await expect(page.locator("#no-payments")).to_be_visible()
    await expect(page.locator("#payments")).to_have_count(0)
    await camera.shoot(page, "live-mode-no-test-payments")
    r = await page.goto(base + f"/dashboard/{tenant_id}/live/payments/{created['id']}")
    assert r is not None and r.status == 404


async def test_another_business_is_the_404_page(
    platform: Platform, context: BrowserContext
) -> None:
    base = platform.base_url
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        owners = {}
        for tag in ("a", "b"):
            owner = await register_and_login(http, f"owner@{tag}.example.com", PASSWORD)
            tenant = data(
                await http.post("/v1/tenants", json={"name": f"{tag} Ltd"}, headers=owner), 201
            )
            owners[tag] = (owner, tenant["id"])
        b_owner, b_tenant = owners["b"]
        a_tenant = owners["a"][1]
        config = {"provider": "paystack", "mode": "test", "currencies": ["NGN"]}
        data(
            await http.post(
                f"/v1/tenants/{b_tenant}/provider-configs", json=config, headers=b_owner
            ),
            201,
        )
        key = data(
            await http.post(
                f"/v1/tenants/{b_tenant}/api-keys", json={"mode": "test"}, headers=b_owner
            ),
            201,
        )
        body = {"amount": 100_000, "currency": "NGN", "customer": {"email": "c@example.com"}}
        r = await http.post(
            "/v1/payments", json=body, headers={"Authorization": f"Bearer {key['secret']}"}
        )
        b_payment = data(r, 201)["id"]

    page = await context.new_page()
    await page.goto(base + "/dashboard")
    await page.get_by_label("Email", exact=True).fill("owner@a.example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page).to_have_url(re.compile(r"/dashboard$"))
    await expect(page.locator("#tenants")).to_contain_text("a Ltd")
    await expect(page.locator("#tenants")).not_to_contain_text("b Ltd")

    for path, code in (
        (f"/dashboard/{b_tenant}/test", "tenant_not_found"),
        (f"/dashboard/{b_tenant}/test/payments/{b_payment}", "tenant_not_found"),
        (f"/dashboard/{a_tenant}/test/payments/{b_payment}", "payment_not_found"),
    ):
        response = await page.goto(base + path)
        assert response is not None and response.status == 404, path
        await expect(page.locator("[role=alert]")).to_contain_text(code)
    await expect(page.get_by_role("heading", name="Not found")).to_be_visible()


async def test_a_team_works_under_its_roles(platform: Platform, context: BrowserContext) -> None:
    """The owner invites a developer, who accepts by the link, adds a routing rule and runs a
    reconciliation in test mode but cannot touch live keys; as a viewer they cannot act;
    removed, the business is the 404 page. The owner rotates and revokes a key."""
    base = platform.base_url
    camera = Camera("merchant-dashboard-team")
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        owner = await register_and_login(http, "owner@team.example.com", PASSWORD)
        tenant = data(await http.post("/v1/tenants", json={"name": "Team Ltd"}, headers=owner), 201)
        config = {"provider": "paystack", "mode": "test", "currencies": ["NGN"]}
        url = f"/v1/tenants/{tenant['id']}/provider-configs"
        data(await http.post(url, json=config, headers=owner), 201)
        await register_and_login(http, "dev@team.example.com", PASSWORD)
    team_url = f"{base}/dashboard/{tenant['id']}/test/team"

    boss = await context.new_page()
    _accept_dialogs(boss)
    await _sign_in(boss, team_url, "owner@team.example.com")
    await boss.get_by_label("Their email").fill("dev@team.example.com")
    await boss.get_by_label("Role", exact=True).select_option("developer")
    await boss.get_by_role("button", name="Invite").click()
    await expect(boss.get_by_role("status")).to_contain_text("dev@team.example.com is invited")
    link = (await boss.locator(".invitation-link").inner_text()).strip()
    await camera.shoot(boss, "team-invitation")

    dev_context = await context.browser.new_context(viewport=PHONE)  # type: ignore[union-attr]
    dev = await dev_context.new_page()
    await _sign_in(dev, link, "dev@team.example.com")
    await expect(dev.get_by_role("heading", name="Join Team Ltd")).to_be_visible()
    await dev.get_by_role("button", name="Accept and join").click()
    await expect(dev.get_by_role("status")).to_contain_text("You joined Team Ltd as developer")
    await expect(dev.get_by_role("link", name="Audit log")).to_have_count(0)

    # A developer: test mode yes (a routing rule, a reconciliation), live keys no.
    await dev.get_by_role("link", name="Providers").click()
    await dev.get_by_role("link", name="Add a routing rule").click()
    await dev.get_by_label("Providers, in order").fill("paystack")
    await dev.get_by_label("From amount (optional)").fill("1,000")
    await dev.get_by_role("button", name="Add rule").click()
    await expect(dev.locator("#routing-rules")).to_contain_text("₦1,000.00")
    await dev.get_by_role("link", name="Reconciliation").click()
    await dev.get_by_role("button", name="Reconcile").click()
    await expect(dev.locator("#report-status")).to_contain_text("clean")
    await camera.shoot(dev, "reconciliation-report")
    await dev.get_by_role("link", name="Live mode").click()
    await dev.get_by_role("link", name="API keys").click()
    await expect(dev.get_by_text("cannot create live-mode keys")).to_be_visible()

    # The owner makes them a viewer: they read, they cannot act; then removes them.
    await boss.reload()
    row = boss.locator("#members li[data-email='dev@team.example.com']")
    await row.get_by_label("Role of dev@team.example.com").select_option("viewer")
    await row.get_by_role("button", name="Change role").click()
    await expect(boss.get_by_role("status")).to_contain_text("role is changed")
    await dev.goto(f"{base}/dashboard/{tenant['id']}/test/reconciliation")
    await expect(dev.get_by_role("button", name="Reconcile")).to_have_count(0)
    await expect(dev.locator("#reports")).to_contain_text("paystack")
    row = boss.locator("#members li[data-email='dev@team.example.com']")
    await row.get_by_role("button", name="Remove").click()
    await expect(boss.get_by_role("status")).to_contain_text("member is removed")
    await camera.shoot(boss, "team")
    response = await dev.goto(f"{base}/dashboard/{tenant['id']}/test")
    assert response is not None and response.status == 404
    await dev_context.close()

    # Keys: create, rotate (the replacement shown once), revoke the replacement.
    await boss.get_by_role("link", name="API keys").click()
    await boss.get_by_role("button", name="Create key").click()
    first = (await boss.locator(".secret").inner_text()).strip()
    await boss.get_by_role("button", name="Rotate").click()
    await expect(boss.get_by_role("heading", name="The key is rotated")).to_be_visible()
    second = (await boss.locator(".secret").inner_text()).strip()
    assert second.startswith("sk_test_") and second != first
    await expect(boss.locator("#keys li[data-state=rotated]")).to_have_count(1)
    await boss.locator("#keys li[data-state=active]").get_by_role("button", name="Revoke").click()
    await expect(boss.get_by_role("status")).to_contain_text("is revoked")
    await camera.shoot(boss, "api-keys-rotated-and-revoked")
    async with httpx.AsyncClient(base_url=base) as http:
        r = await http.get("/v1/tenant", headers={"Authorization": f"Bearer {second}"})
        assert r.status_code == 401


async def _sign_in(page: Page, url: str, email: str) -> None:
    """Open ``url`` signed out: the sign-in page, then back to ``url``."""
    await page.goto(url)
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in", exact=True).click()
    await expect(page).to_have_url(url)


async def test_every_dashboard_page_opens_for_an_owner_and_a_viewer(
    platform: Platform, context: BrowserContext, receiver: tuple[Receiver, str]
) -> None:
    """Each page with something on it (a provider, a rule, a key, an endpoint and its events, a
    payment): an owner can act on it; a viewer reads it and finds nothing to act with."""
    _, hook_url = receiver
    base = platform.base_url
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        owner = await register_and_login(http, "owner@pages.example.com", PASSWORD)
        tenant = data(
            await http.post("/v1/tenants", json={"name": "Pages Ltd"}, headers=owner), 201
        )
        t = f"/v1/tenants/{tenant['id']}"
        config = {"provider": "paystack", "mode": "test", "currencies": ["NGN"]}
        config_id = data(await http.post(f"{t}/provider-configs", json=config, headers=owner), 201)[
            "id"
        ]
        rule = {"mode": "test", "providers": ["paystack"], "currency": "NGN"}
        data(await http.post(f"{t}/routing-rules", json=rule, headers=owner), 201)
        secret = data(await http.post(f"{t}/api-keys", json={"mode": "test"}, headers=owner), 201)[
            "secret"
        ]
        key = {"Authorization": f"Bearer {secret}"}
        hook = {"url": hook_url, "enabled_events": ["*"]}
        endpoint_id = data(await http.post("/v1/webhook-endpoints", json=hook, headers=key), 201)[
            "id"
        ]
        body = {"amount": 150_000, "currency": "NGN", "customer": {"email": "c@example.com"}}
        payment_id = data(await http.post("/v1/payments", json=body, headers=key), 201)["id"]
        event_id = data(await http.get("/v1/events", headers=key))[0]["id"]
        viewer = await register_and_login(http, "viewer@pages.example.com", PASSWORD)
        invite = {"email": "viewer@pages.example.com", "role": "viewer"}
        invitation = data(await http.post(f"{t}/members", json=invite, headers=owner), 201)
        data(await http.post(f"/v1/invitations/{invitation['id']}/accept", headers=viewer), 201)

    d = f"/dashboard/{tenant['id']}/test"
    pages = [
        "/dashboard", d, f"{d}/payments", f"{d}/payments?status=completed&date_from=2020-01-01",
        f"{d}/payments/{payment_id}", f"{d}/refunds", f"{d}/api-keys", f"{d}/webhooks",
        f"{d}/webhooks/{endpoint_id}", f"{d}/events", f"{d}/events?type=payment.requires_action",
        f"{d}/events/{event_id}", f"{d}/providers", f"{d}/providers/{config_id}", f"{d}/health",
        f"{d}/reconciliation", f"{d}/team", f"/dashboard/{tenant['id']}/live/providers",
    ]  # fmt: skip
    owner_page = await context.new_page()
    _accept_dialogs(owner_page)
    await _sign_in(owner_page, base + "/dashboard", "owner@pages.example.com")
    for path in [*pages, f"{d}/audit-log", f"{d}/providers/new", f"{d}/providers/rules/new"]:
        response = await owner_page.goto(base + path)
        assert response is not None and response.status == 200, path

    # The owner acts: a bad date is refused beside its field; a provider's priority changes;
    # an endpoint is disabled and enabled again, its secret rotated, a delivery retried.
    await owner_page.goto(base + f"{d}/payments?date_from=yesterday")
    await expect(owner_page.locator("#e-date_from")).to_contain_text("invalid_date")
    await owner_page.goto(base + f"{d}/providers/{config_id}")
    await owner_page.get_by_label("Priority").fill("5")
    await owner_page.get_by_role("button", name="Save").click()
    await expect(
        owner_page.locator("#provider-configs tr[data-provider=paystack]")
    ).to_contain_text("5")
    await owner_page.goto(base + f"{d}/webhooks/{endpoint_id}")
    await owner_page.get_by_role("button", name="Disable").click()
    await expect(owner_page.get_by_role("status")).to_contain_text("disabled")
    await owner_page.get_by_role("button", name="Enable").click()
    await owner_page.get_by_role("button", name="Rotate secret").click()
    assert (await owner_page.locator(".secret").inner_text()).strip().startswith("whsec_")
    await owner_page.goto(base + f"{d}/events/{event_id}")
    await owner_page.get_by_role("button", name="Retry now").click()
    await expect(owner_page.get_by_role("status")).to_contain_text("queued again")

    # The viewer reads every page and has nothing to act with; the audit log is not theirs.
    viewer_page = await context.browser.new_page(viewport=PHONE)  # type: ignore[union-attr]
    await _sign_in(viewer_page, base + "/dashboard", "viewer@pages.example.com")
    for path in pages[1:]:  # (on /dashboard anyone may create a business of their own)
        response = await viewer_page.goto(base + path)
        assert response is not None and response.status == 200, path
        forms = viewer_page.locator("main form[method=post]")
        assert await forms.count() == 0, path
    response = await viewer_page.goto(base + f"{d}/audit-log")
    assert response is not None and response.status == 403
    await viewer_page.close()
