"""The ``kro`` command: serve, worker, migrate, admin, sandbox, demo."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from kro.settings import Settings

app = typer.Typer(help="KRO platform", no_args_is_help=True, add_completion=False)
admin_app = typer.Typer(help="Administration", no_args_is_help=True)
demo_app = typer.Typer(help="End-to-end demos against a running server", no_args_is_help=True)
app.add_typer(admin_app, name="admin")
app.add_typer(demo_app, name="demo")


@app.command()
def serve(
    host: str = typer.Option(None, help="Bind address (default KRO_HOST)"),
    port: int = typer.Option(None, help="Port (default KRO_PORT)"),
    workers: int = typer.Option(
        1, min=1, help="Server processes sharing the port (uvicorn workers; PostgreSQL only)"
    ),
    access_log: bool = typer.Option(True, help="Log every request (uvicorn's access log)"),
) -> None:
    """Serve the API. On SQLite, migrations are applied first; the worker runs in-process
    when KRO_WORKER_IN_PROCESS is true; the sandbox is mounted when KRO_SANDBOX_ENABLED.

    ``--workers N`` runs N processes on one port (uvicorn's supervisor restarts one that
    dies). Each builds its own app from the same settings, with its own in-process job worker
    (safe: jobs are claimed under a lease with ``FOR UPDATE SKIP LOCKED``, and periodic jobs
    are de-duplicated per slot) and its own short-lived caches (API keys, routing: a change
    made through another process is seen within their TTL). Rate limits and circuit breakers
    are shared only with ``KRO_REDIS_URL``; without it each process counts on its own. SQLite
    refuses ``--workers`` above 1: it has one writer at a time, so more processes would only
    queue on its lock. The app's start-up (admin user, simulators' tables) runs once here
    first, so that the processes' own start-ups do not race to make the same rows.
    """
    import os

    import uvicorn

    from kro.app import create_app
    from kro.migrate import upgrade
    from kro.settings import Settings

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = Settings(**overrides)  # type: ignore[arg-type]
    if settings.is_sqlite and workers > 1:
        raise typer.BadParameter(
            "SQLite has one writer at a time: serve several processes on PostgreSQL "
            "(KRO_DATABASE_URL=postgresql+asyncpg://…).",
            param_hint="--workers",
        )
    if settings.is_sqlite:
        upgrade(settings.database_url)
    if workers > 1 and not settings.redis_url:
        typer.echo(
            f"kro serve: {workers} processes without KRO_REDIS_URL: each keeps its own rate "
            "limit counters and circuit breakers.",
            err=True,
        )
    if workers > 1:
        _start_once(settings)
        # Each worker process imports the factory and reads the settings from the environment:
        # hand it the command line's host and port the same way.
        os.environ.update({"KRO_HOST": settings.host, "KRO_PORT": str(settings.port)})
    uvicorn.run(
        create_app(settings) if workers == 1 else "kro.app:create_app",
        factory=workers > 1,
        workers=workers,
        host=settings.host,
        port=settings.port,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=settings.shutdown_grace,
        access_log=access_log,
        log_level=settings.log_level.lower(),
    )


def _start_once(settings: Settings) -> None:
    """Run the app's start-up (and shut-down) once in this process before N processes start it
    together: the admin user and the simulators' tables are then made, and the processes'
    own start-ups find them instead of racing to insert the same rows (one would fail and
    uvicorn would stop them all)."""
    from kro.app import create_app

    app_ = create_app(settings)

    async def cycle() -> None:
        async with app_.router.lifespan_context(app_):
            pass

    asyncio.run(cycle())


@app.command()
def worker() -> None:
    """Run a job worker (production runs several; the embedded default runs one in serve)."""
    from kro.jobs.worker import run_worker
    from kro.kit import http
    from kro.registry import load_all_handlers
    from kro.settings import get_settings

    load_all_handlers()
    http.run(run_worker(get_settings()))  # its shared provider client closed at the end


@app.command("sandbox")
def sandbox(
    provider: str = typer.Argument("paystack", help="Which simulator (paystack)"),
    host: str = typer.Option("127.0.0.1"),
    port: int = typer.Option(8100),
    path: str = typer.Option(
        "",
        help="Serve the simulator under this path, e.g. /paystack: then "
        "KRO_GATEWAY_SANDBOX_BASE_URL=http://HOST:PORT points test-mode payments at it",
    ),
    access_log: bool = typer.Option(True, help="Log every request (uvicorn's access log)"),
    webhook_retries: str = typer.Option(
        "",
        help="Seconds before each retry of an unanswered webhook, e.g. '2,2,5,10' (default: "
        "Paystack's test-mode schedule, hourly; live Paystack retries every 3 minutes)",
    ),
) -> None:
    """Run a provider simulator on its own port (KRO_SANDBOX_* settings apply), as a real
    provider would be: in a process of its own (the benchmarks run it so)."""
    from collections.abc import AsyncIterator
    from contextlib import asynccontextmanager

    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from kro.app import paystack_sandbox_config
    from kro.sandbox.paystack import create_app as create_sandbox
    from kro.settings import get_settings

    if provider != "paystack":
        raise typer.BadParameter(f"no sandbox for {provider!r}")
    prefix = "/" + path.strip("/") if path.strip("/") else ""
    settings = get_settings()
    update: dict[str, object] = {"public_base_url": f"http://{host}:{port}{prefix}"}
    if webhook_retries.strip():
        update["webhook_retry_schedule"] = tuple(
            float(part) for part in webhook_retries.split(",") if part.strip()
        )
    config = paystack_sandbox_config(settings).model_copy(update=update)
    simulator = create_sandbox(config)
    served: Starlette = simulator
    if prefix:

        @asynccontextmanager
        async def lifespan(_: Starlette) -> AsyncIterator[None]:
            # The simulator's own lifespan (its database, its background loop) still runs.
            async with simulator.router.lifespan_context(simulator):
                yield

        served = Starlette(routes=[Mount(prefix, app=simulator)], lifespan=lifespan)
    uvicorn.run(
        served,
        host=host,
        port=port,
        access_log=access_log,
        log_level=settings.log_level.lower(),
    )


@app.command("web-vendor")
def web_vendor() -> None:
    """Install the browser libraries the pages use (the Socket.IO client) from the npm
    registry into KRO_WEB_VENDOR_PATH, checked against pinned digests. Without them the
    pages work as plain forms, without live updates."""
    from pathlib import Path

    from kro.settings import get_settings
    from kro.web.vendor import VendorError, install

    folder = Path(get_settings().web_vendor_path)
    try:
        written = install(folder)
    except VendorError as exc:
        typer.echo(f"web-vendor: {exc}; pages will work without live updates", err=True)
        return
    typer.echo(
        f"web-vendor: {len(written)} installed in {folder}" if written else "web-vendor: up to date"
    )


@app.command()
def backup(
    output: Path = typer.Argument(..., help="Backup file to write (.dump on PostgreSQL)"),
) -> None:
    """Back up KRO_DATABASE_URL (pg_dump custom format, or SQLite's online backup)."""
    from kro.ops.backup import BackupError
    from kro.ops.backup import backup as run_backup
    from kro.settings import get_settings

    try:
        written = run_backup(get_settings().database_url, output)
    except BackupError as exc:
        typer.echo(f"backup failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"backup written: {written} ({written.stat().st_size} bytes)")


@app.command()
def restore(
    source: Path = typer.Argument(..., help="A file written by kro backup"),
    yes: bool = typer.Option(False, "--yes", help="Do not ask before replacing the data"),
) -> None:
    """Restore a backup into KRO_DATABASE_URL (its objects are replaced, all or nothing).
    Stop the servers and workers first."""
    from kro.ops.backup import BackupError
    from kro.ops.backup import restore as run_restore
    from kro.settings import get_settings

    url = get_settings().database_url
    target = url.split("@")[-1]
    if not yes and not typer.confirm(f"Replace the data of {target} with {source}?"):
        raise typer.Exit(1)
    try:
        run_restore(source, url)
    except BackupError as exc:
        typer.echo(f"restore failed: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"restored {source} into {target}")


@app.command()
def migrate() -> None:
    """Apply the database migrations to KRO_DATABASE_URL."""
    from kro.migrate import upgrade
    from kro.settings import get_settings

    settings = get_settings()
    upgrade(settings.database_url)
    typer.echo(f"migrated {settings.database_url.split('@')[-1]}")


@app.command()
def reconcile(
    provider: str = typer.Option(None, help="paystack | flutterwave | stripe (default: all)"),
    day: str = typer.Option(None, "--date", help="UTC day YYYY-MM-DD (default: today)"),
    tenant: str = typer.Option(None, help="Only this tenant's configurations"),
) -> None:
    """Reconcile every enabled provider configuration (all tenants in both modes, and the
    platform's own accounts) over one UTC day against KRO_DATABASE_URL: open payments are
    settled from the provider's answer, the rest is compared and reported (also at
    GET /v1/reconciliation/reports and, for admins, /v1/admin/reconciliation/reports). Exit
    code 1 if any report has discrepancies or errors."""
    from datetime import date

    from rich.console import Console
    from rich.table import Table

    from kro.kit import http
    from kro.kit.clock import utcnow
    from kro.kit.db import create_engine, session_factory
    from kro.payments.reconciliation.models import ReconciliationReport
    from kro.payments.reconciliation.service import reconcile_day
    from kro.settings import get_settings

    try:
        when = date.fromisoformat(day) if day else utcnow().date()
    except ValueError:
        raise typer.BadParameter("expected YYYY-MM-DD", param_hint="--date") from None

    async def run() -> list[ReconciliationReport]:
        settings = get_settings()
        engine = create_engine(settings.database_url)
        try:
            return await reconcile_day(
                session_factory(engine), settings, when, provider=provider, tenant_id=tenant,
                actor="cli",
            )  # fmt: skip
        finally:
            await engine.dispose()

    reports = http.run(run())
    table = Table(title=f"Reconciliation {when.isoformat()}")
    for column in ("report", "tenant", "mode", "provider", "status", "ours", "theirs",
                   "matched", "settled", "discrepancies"):  # fmt: skip
        table.add_column(column)
    for r in reports:
        counts = (r.ours, r.theirs, r.matched, r.settled, r.discrepancies)
        table.add_row(r.id, r.tenant_id, r.mode, r.provider, r.status, *map(str, counts))
    console = Console()
    console.print(table)
    for r in reports:
        if r.error:
            console.print(f"{r.id}: {r.error}")
        for f in r.findings:
            if f["kind"] != "settled":
                console.print(f"{r.id}: {f['kind']} {f['reference']} — {f['note']}")
    raise typer.Exit(1 if any(r.status != "clean" for r in reports) else 0)


@admin_app.command("reseal-secrets")
def reseal_secrets() -> None:
    """Seal every stored provider credential again with KRO_SECRETS_CURRENT_KEY (after a key
    rotation; docs/operations.md). Prints how many were sealed again."""
    from kro.kit.db import create_engine, session_factory, unit_of_work
    from kro.payments.provider_configs import reseal_credentials
    from kro.settings import get_settings

    async def run() -> int:
        settings = get_settings()
        engine = create_engine(settings.database_url)
        try:
            async with unit_of_work(session_factory(engine)) as session:
                return await reseal_credentials(session, settings)
        finally:
            await engine.dispose()

    typer.echo(f"sealed again with the current key: {asyncio.run(run())}")


@admin_app.command("create-user")
def create_user(
    email: str = typer.Option(..., prompt=True),
    full_name: str = typer.Option(..., prompt=True),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    admin: bool = typer.Option(False, "--admin", help="Give the user the admin role"),
) -> None:
    """Create a user (``--admin`` for the admin role)."""
    from kro.identity import service
    from kro.kit.db import create_engine, session_factory, unit_of_work
    from kro.settings import get_settings

    async def run() -> str:
        engine = create_engine(get_settings().database_url)
        try:
            async with unit_of_work(session_factory(engine)) as session:
                user = await service.create_user(
                    session,
                    email=email,
                    password=password,
                    full_name=full_name,
                    role="admin" if admin else "user",
                )
                return f"{user.id} {user.email} ({user.role})"
        finally:
            await engine.dispose()

    typer.echo(asyncio.run(run()))


@demo_app.command("escrow")
def demo_escrow(
    base_url: str = typer.Option("http://127.0.0.1:8000", "--base-url", help="A running server"),
    admin_email: str = typer.Option("admin@kro.example.com", envvar="KRO_ADMIN_EMAIL"),
    admin_password: str = typer.Option(
        "kro-admin-dev-password", envvar="KRO_ADMIN_PASSWORD", show_default=False
    ),
    scenario: str = typer.Option(
        "happy", help="happy | dispute | auto-release | bank-transfer", show_default=True
    ),
) -> None:
    """Carry escrow orders through a scenario over HTTP: the happy path to the seller's bank
    account, a dispute split by an admin with TOTP, or an auto-release after inspection."""
    from kro.demo.escrow import SCENARIOS, run

    if scenario not in SCENARIOS:
        raise typer.BadParameter(f"choose one of {', '.join(SCENARIOS)}")
    raise typer.Exit(run(base_url, admin_email, admin_password, scenario))


@demo_app.command("gateway")
def demo_gateway(
    base_url: str = typer.Option("http://127.0.0.1:8000", "--base-url", help="A running server"),
    receiver_host: str = typer.Option(
        "127.0.0.1", help="Address the server reaches this machine's webhook receiver at"
    ),
) -> None:
    """The merchant API over HTTP: a tenant, Paystack and Flutterwave, payments, failover when
    Paystack is down, a refund, verified webhooks, and the tenant's ledger balance."""
    from kro.demo.gateway import run

    raise typer.Exit(run(base_url, receiver_host))


if __name__ == "__main__":
    app()


def _product_demo(module: str, base_url: str, email: str, password: str, scenario: str) -> None:
    """Run ``kro.demo.<module>.run`` (its ``SCENARIOS`` checked first)."""
    import importlib

    demo = importlib.import_module(f"kro.demo.{module}")
    if scenario not in demo.SCENARIOS:
        raise typer.BadParameter(f"choose one of {', '.join(demo.SCENARIOS)}")
    raise typer.Exit(demo.run(base_url, email, password, scenario))


_BASE_URL = typer.Option("http://127.0.0.1:8000", "--base-url", help="A running server")
_ADMIN_EMAIL = typer.Option("admin@kro.example.com", envvar="KRO_ADMIN_EMAIL")
_ADMIN_PASSWORD = typer.Option(
    "kro-admin-dev-password", envvar="KRO_ADMIN_PASSWORD", show_default=False
)


@demo_app.command("marketplace")
def demo_marketplace(
    base_url: str = _BASE_URL,
    admin_email: str = _ADMIN_EMAIL,
    admin_password: str = _ADMIN_PASSWORD,
    scenario: str = typer.Option("happy", help="happy | revision | late-cancel | dispute"),
) -> None:
    """The services marketplace over HTTP: KYC, a listing, an order paid at the checkout,
    chat, deliveries and revisions, reviews, clearance and a withdrawal."""
    _product_demo("marketplace", base_url, admin_email, admin_password, scenario)


@demo_app.command("giving")
def demo_giving(
    base_url: str = _BASE_URL,
    admin_email: str = _ADMIN_EMAIL,
    admin_password: str = _ADMIN_PASSWORD,
    scenario: str = typer.Option(
        "keep-it-all", help="keep-it-all | all-or-nothing-fails | monthly"
    ),
) -> None:
    """KROGiving over HTTP: a campaign, donations with tips, fee cover and a monthly gift,
    receipts, an update, KYC and a withdrawal authorized with TOTP."""
    _product_demo("giving", base_url, admin_email, admin_password, scenario)


@demo_app.command("pensions")
def demo_pensions(
    base_url: str = _BASE_URL,
    admin_email: str = _ADMIN_EMAIL,
    admin_password: str = _ADMIN_PASSWORD,
    scenario: str = typer.Option("on-time", help="on-time | late"),
) -> None:
    """Pencom over HTTP: an employer, an employee import, a schedule made and approved,
    paid through Remita, per-PFA files, GLI and the compliance certificate."""
    _product_demo("pensions", base_url, admin_email, admin_password, scenario)
