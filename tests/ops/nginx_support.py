"""Real nginx (Debian's) with the shipped deploy/nginx/kro.conf in front of real ``kro serve``
processes, all on loopback, everything under one temporary folder.

The shipped file is a template whose ``${NGINX_…}`` placeholders the nginx image fills from
the environment; :func:`render` does the same here, so the test runs the very file compose
uses. Only the main file (pid, logs, temporary paths, one ``include``) is the test's own.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import re
import signal
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support.server import ROOT, LoggedProcess, free_port

NGINX = Path("/usr/sbin/nginx")
DEPLOY = ROOT / "deploy" / "nginx"
TEMPLATE = DEPLOY / "kro.conf"
PLACEHOLDER = re.compile(r"\$\{(NGINX_[A-Z_]+)\}")


def placeholders(text: str) -> set[str]:
    """The ``${NGINX_…}`` names a template uses."""
    return set(PLACEHOLDER.findall(text))


def render(text: str, values: dict[str, str]) -> str:
    """Fill ``${NGINX_…}`` placeholders as the image's envsubst does; every one must be given."""
    missing = placeholders(text) - values.keys()
    assert not missing, f"no value for {sorted(missing)}"
    return PLACEHOLDER.sub(lambda m: values[m.group(1)], text)


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting only this (self-signed) certificate."""
        return ssl.create_default_context(cafile=str(self.cert))


def make_certificate(folder: Path, host: str = "127.0.0.1") -> Certificate:
    """A self-signed certificate for ``host`` (an IP address) and ``localhost``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kro.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address(host)), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    paths = Certificate(folder / "fullchain.pem", folder / "privkey.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    paths.key.chmod(0o600)
    return paths


class Nginx:
    """nginx with the shipped kro.conf rendered for loopback ports, in front of ``upstreams``
    (``host:port`` strings), its pid, logs and temporary files under ``folder``."""

    def __init__(self, folder: Path, upstreams: list[str], certificate: Certificate) -> None:
        self.folder = folder
        self.http_port, self.https_port = free_port(), free_port()
        self.base_url = f"https://127.0.0.1:{self.https_port}"
        self.http_url = f"http://127.0.0.1:{self.http_port}"
        self.access_log = folder / "access.log"
        self.error_log = folder / "error.log"
        self.certificate = certificate
        for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (folder / "temp" / sub).mkdir(parents=True, exist_ok=True)
        upstream = folder / "upstream.conf"
        upstream.write_text("".join(f"server {address};\n" for address in upstreams))
        site = folder / "kro.conf"
        site.write_text(
            render(
                TEMPLATE.read_text(),
                {
                    "NGINX_SERVER_NAME": "kro.test",
                    "NGINX_HTTP_LISTEN": f"127.0.0.1:{self.http_port}",
                    "NGINX_HTTPS_LISTEN": f"127.0.0.1:{self.https_port}",
                    "NGINX_TLS_CERTIFICATE": str(certificate.cert),
                    "NGINX_TLS_CERTIFICATE_KEY": str(certificate.key),
                    "NGINX_UPSTREAM": str(upstream),
                    "NGINX_ACCESS_LOG": str(self.access_log),
                },
            )
        )
        # Run as root (CI), the workers would switch to "nobody" and could not write the
        # temporary files under this private folder: keep them as the invoking user.
        user = "user root;\n" if os.geteuid() == 0 else ""
        temp = folder / "temp"
        self.conf = folder / "nginx.conf"
        self.conf.write_text(
            f"{user}worker_processes 1;\n"
            f"pid {folder / 'nginx.pid'};\n"
            f"error_log {self.error_log} info;\n"
            "events { worker_connections 512; }\n"
            "http {\n"
            f"    client_body_temp_path {temp / 'body'};\n"
            f"    proxy_temp_path {temp / 'proxy'};\n"
            f"    fastcgi_temp_path {temp / 'fastcgi'};\n"
            f"    uwsgi_temp_path {temp / 'uwsgi'};\n"
            f"    scgi_temp_path {temp / 'scgi'};\n"
            f"    include {site};\n"
            "}\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def _command(self, *extra: str) -> list[str]:
        return [str(NGINX), "-p", str(self.folder), "-c", str(self.conf), "-e",
                str(self.error_log), *extra]  # fmt: skip

    def check(self) -> subprocess.CompletedProcess[str]:
        """``nginx -t`` on the rendered configuration."""
        return subprocess.run(
            self._command("-t"), capture_output=True, text=True, timeout=30, check=False
        )

    def start(self, within: float = 10.0) -> None:
        self.proc = subprocess.Popen(
            self._command("-g", "daemon off;"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"nginx exited:\n{self.errors()}"
            try:
                httpx.get(f"{self.http_url}/", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError(f"nginx did not start:\n{self.errors()}")

    def errors(self) -> str:
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def access_lines(self) -> list[str]:
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []

    def logged(self, marker: str, count: int = 1, within: float = 5.0) -> list[str]:
        """The access-log lines containing ``marker``, once there are ``count`` of them (nginx
        writes a line just after the response has gone out, so a client can be first)."""
        deadline = time.monotonic() + within
        while True:
            lines = [line for line in self.access_lines() if marker in line]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGQUIT)  # graceful: finish open requests, then exit
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


class KroServe(LoggedProcess):
    """``kro serve`` (the console script) on a free loopback port, its output in a log file.

    The process runs in ``folder`` (no developer's ``.env``, files under the folder) with the
    access log on, trusting X-Forwarded-* from 127.0.0.1 (nginx) only.
    """

    def __init__(self, name: str, db_url: str, folder: Path, grace: float = 10.0) -> None:
        self.name = name
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.base_url = f"http://{self.address}"
        self.log_path = folder / f"{name}.log"
        self._log = self.log_path.open("wb")
        kro = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin" / "kro"
        if not kro.exists():
            kro = ROOT / ".venv" / "bin" / "kro"
        env = {key: value for key, value in os.environ.items() if not key.startswith("KRO_")} | {
            "KRO_ENV": "test",
            "KRO_DATABASE_URL": db_url,
            "KRO_SANDBOX_ENABLED": "false",
            "KRO_SANDBOX_DATABASE_URL": f"sqlite+aiosqlite:///{folder}/sandbox.db",
            "KRO_WORKER_IN_PROCESS": "false",
            "KRO_ADMIN_EMAIL": "",
            "KRO_LOG_LEVEL": "INFO",
            "KRO_FORWARDED_ALLOW_IPS": "127.0.0.1",
            "KRO_SHUTDOWN_GRACE": str(grace),
            "KRO_STORAGE_PATH": str(folder / "files"),
            "KRO_WEB_VENDOR_PATH": str(folder / "web-vendor"),
        }
        self.proc = subprocess.Popen(
            [str(kro), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            cwd=folder,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
