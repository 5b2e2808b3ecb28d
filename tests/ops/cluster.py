"""A small production on loopback for the crash tests: the Paystack simulator in its own
process (as the real provider would be), ``kro serve`` processes and ``kro worker``
processes on one PostgreSQL database, and a client that survives servers dying under it."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.support.server import ROOT, free_port

KRO = [sys.executable, "-c", "from kro.cli import app; app()"]
PASSWORD = "crash-test-password"
BANK_CODE = "058"
ACCOUNT_NUMBER = "0000000002"


class Proc:
    """One process of the cluster, which can be killed and started again."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], logs: Path) -> None:
        self.name, self.argv, self.env, self.logs = name, argv, env, logs
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.started_at = 0.0

    def start(self) -> None:
        log = (self.logs / f"{self.name}.log").open("ab")
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.starts += 1
        self.started_at = time.monotonic()

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def wait_http(url: str, proc: Proc, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not proc.alive:
            raise AssertionError(f"{proc.name} exited: see {proc.logs / proc.name}.log")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer")


@dataclass
class Cluster:
    """``servers`` kro serve processes and ``workers`` kro worker processes on ``db_url``."""

    db_url: str
    logs: Path
    servers: int = 1
    workers: int = 2
    smtp_port: int = 0  # an SMTP sink for the platform's emails (no messaging sandbox runs)
    procs: dict[str, Proc] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sandbox_port = free_port()
        self.server_ports = [free_port() for _ in range(self.servers)]
        sandbox = f"http://127.0.0.1:{self.sandbox_port}"
        self.sandbox_db = self.logs / "sandbox.db"
        self.env = {
            "KRO_ENV": "test",
            "KRO_LOG_LEVEL": "WARNING",
            "KRO_DATABASE_URL": self.db_url,
            "KRO_SANDBOX_ENABLED": "false",
            "KRO_PAYSTACK_BASE_URL": f"{sandbox}/paystack",
            "KRO_GATEWAY_SANDBOX_BASE_URL": sandbox,
            "KRO_PAYMENTS_PROVIDERS": "paystack",
            "KRO_WORKER_IN_PROCESS": "false",
            "KRO_JOB_LEASE_SECONDS": "5",
            "KRO_WORKER_POLL_INTERVAL": "0.05",
            "KRO_PAYOUT_APPROVAL_THRESHOLD": str(10**12),
            "KRO_API_RATE_LIMIT": "1000000/minute",
            # A request whose server died holds its Idempotency-Key this long (120 s by
            # default) before a retry may run it again: shortened so a run ends in time.
            "KRO_IDEMPOTENCY_LOCK_TIMEOUT": "8",
            "KRO_STORAGE_PATH": str(self.logs / "files"),
            "KRO_BASE_URL": self.base_urls[0],
            # No start-up admin: several servers starting at once would race to create it.
            "KRO_ADMIN_EMAIL": "",
            "KRO_EMAIL_PROVIDERS": "smtp",
            "KRO_SMTP_PORT": str(self.smtp_port),
        }
        self.procs["sandbox"] = Proc(
            "sandbox",
            [
                *KRO,
                "sandbox",
                "paystack",
                "--port",
                str(self.sandbox_port),
                "--path",
                "/paystack",
                "--no-access-log",
                "--webhook-retries",
                "1,1,2,2,3,3,5,5,5,5,10,10",
            ],
            {
                "KRO_LOG_LEVEL": "WARNING",
                "KRO_SANDBOX_DATABASE_URL": f"sqlite+aiosqlite:///{self.sandbox_db}",
                "KRO_SANDBOX_WEBHOOK_URL": f"{self.base_urls[0]}/v1/webhooks/paystack",
            },
            self.logs,
        )
        for i, port in enumerate(self.server_ports):
            self.procs[f"serve-{i + 1}"] = Proc(
                f"serve-{i + 1}",
                [*KRO, "serve", "--port", str(port), "--no-access-log"],
                {**self.env, "KRO_PORT": str(port)},
                self.logs,
            )
        for i in range(self.workers):
            self.procs[f"worker-{i + 1}"] = Proc(
                f"worker-{i + 1}", [*KRO, "worker"], self.env, self.logs
            )

    @property
    def base_urls(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.server_ports]

    @property
    def sandbox_url(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}/paystack"

    def start(self) -> None:
        self.procs["sandbox"].start()
        wait_http(f"{self.sandbox_url}/_sandbox/balance", self.procs["sandbox"])
        for name, proc in self.procs.items():
            if name != "sandbox":
                proc.start()
        for i, url in enumerate(self.base_urls):
            wait_http(f"{url}/healthz", self.procs[f"serve-{i + 1}"])

    def log_tails(self, lines: int = 15) -> str:
        """The last lines of every process's log (printed when a crash test fails)."""
        out = []
        for name in self.procs:
            path = self.logs / f"{name}.log"
            text = path.read_text(errors="replace").splitlines() if path.exists() else []
            out.append(f"--- {name} (started {self.procs[name].starts}×)")
            out.extend(line[:300] for line in text[-lines:])
        return "\n".join(out)

    def up(self, name: str) -> bool:
        """Whether process ``name`` runs and, for a server, answers ``/healthz`` now."""
        proc = self.procs[name]
        if not proc.alive:
            return False
        if not name.startswith("serve-"):
            return True
        url = self.base_urls[int(name.removeprefix("serve-")) - 1]
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def restart(self, name: str) -> None:
        proc = self.procs[name]
        if not proc.alive:
            proc.start()

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()


class Client:
    """JSON API calls that ride out a dead server: a connection error or a 5xx is retried
    (POSTs that create or move something carry an Idempotency-Key, so a retry replays)."""

    def __init__(self, base_urls: list[str], within: float = 90.0) -> None:
        self.base_urls = base_urls
        self.within = within
        self.http = httpx.Client(timeout=15)
        self.turn = 0

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        json: Any = None,
        key: str | None = None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if key:
            headers["Idempotency-Key"] = key
        deadline = time.monotonic() + self.within
        while True:
            self.turn += 1
            base = self.base_urls[self.turn % len(self.base_urls)]
            try:
                r = self.http.request(method, base + path, json=json, headers=headers)
                busy = r.status_code == 409 and "idempotency_key_in_use" in r.text
                if r.status_code < 500 and not busy:
                    return r
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{method} {path}: no answer within {self.within} s")
            time.sleep(0.2)

    def ok(
        self,
        method: str,
        path: str,
        token: str | None = None,
        json: Any = None,
        key: str | None = None,
    ) -> Any:
        r = self.call(method, path, token, json, key)
        assert r.status_code in (200, 201, 202), f"{method} {path}: {r.status_code} {r.text}"
        return r.json()["data"]

    def user(self, email: str) -> str:
        """Register (or find) ``email`` and return an access token."""
        r = self.call(
            "POST",
            "/v1/auth/register",
            json={"email": email, "password": PASSWORD, "full_name": email[:20]},
        )
        assert r.status_code in (201, 409), r.text  # 409: a retry after it was created
        return str(
            self.ok("POST", "/v1/auth/login", json={"email": email, "password": PASSWORD})[
                "access_token"
            ]
        )

    def order(self, token: str, oid: str) -> dict[str, Any]:
        return dict(self.ok("GET", f"/v1/escrow/orders/{oid}", token))

    def wait_order(self, token: str, oid: str, statuses: set[str], within: float) -> None:
        deadline = time.monotonic() + within
        while (status := self.order(token, oid)["status"]) not in statuses:
            assert time.monotonic() < deadline, f"{oid} stayed {status}"
            time.sleep(0.3)

    def move(self, token: str, oid: str, action: str, done: set[str]) -> None:
        """Take ``action`` unless the order already got past it (a retry after a crash)."""
        for _ in range(20):
            if self.order(token, oid)["status"] in done:
                return
            r = self.call("POST", f"/v1/escrow/orders/{oid}/{action}", token)
            if r.status_code == 200:
                return
            assert r.status_code == 409, f"{action}: {r.status_code} {r.text}"
        raise AssertionError(f"{action} never took")

    def closed_order(
        self, buyer: str, seller: str, seller_email: str, amount: int, http: httpx.Client
    ) -> dict[str, Any]:
        """An order created, accepted, paid at the sandbox's checkout, funded, done and
        closed (each step safe to repeat)."""
        order = self.ok(
            "POST",
            "/v1/escrow/orders",
            buyer,
            {
                "seller_email": seller_email,
                "title": "Crash-tested work",
                "amount": amount,
                "currency": "NGN",
                "conditions": [{"description": "Delivered"}],
            },
            key=secrets.token_hex(12),
        )
        oid = order["id"]
        self.move(seller, oid, "accept", {"accepted", "funded"})
        checkout = self.ok("POST", f"/v1/escrow/orders/{oid}/pay", buyer, key=secrets.token_hex(12))
        paid = http.post(checkout["authorization_url"] + "/pay", json={})
        assert paid.status_code == 200, paid.text
        self.wait_order(buyer, oid, {"funded"}, within=120)
        self.move(seller, oid, "start", {"in_progress", "completed", "closed"})
        self.move(seller, oid, "complete", {"completed", "closed"})
        for condition in self.order(buyer, oid)["conditions"]:
            if not condition["fulfilled"]:
                r = self.call(
                    "POST", f"/v1/escrow/orders/{oid}/conditions/{condition['id']}/fulfil", buyer
                )
                assert r.status_code in (200, 409), r.text
        self.wait_order(buyer, oid, {"closed"}, within=30)
        return self.order(buyer, oid)

    def bank_account(self, token: str) -> str:
        account = self.ok(
            "POST",
            "/v1/bank-accounts",
            token,
            {"bank_code": BANK_CODE, "account_number": ACCOUNT_NUMBER},
        )
        return str(account["id"])

    def wallet(self, token: str) -> dict[str, int]:
        rows = self.ok("GET", "/v1/wallet", token)
        return next((r for r in rows if r["currency"] == "NGN"), {"available": 0, "held": 0})
