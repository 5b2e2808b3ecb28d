"""Browser libraries the pages use, installed by the project's setup from their registry
package (never committed): today only the Socket.IO client, for live order updates.

``kro web-vendor`` (run by ``make setup``) downloads the npm tarball, checks it against the
pinned Subresource-Integrity digest (the registry's ``dist.integrity``), and extracts the one
file the pages load into ``KRO_WEB_VENDOR_PATH`` (served at ``/static/vendor``). Without it
the pages still work as plain forms; only live updates need it.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True)
class Asset:
    """``member`` of the npm package ``name@version`` saved as ``target``."""

    name: str
    version: str
    integrity: str  # "sha512-<base64>", from https://registry.npmjs.org/<name>/<version>
    member: str
    target: str

    @property
    def tarball(self) -> str:
        return f"https://registry.npmjs.org/{self.name}/-/{self.name}-{self.version}.tgz"


ASSETS = (
    Asset(
        name="socket.io-client",
        version="4.8.1",
        integrity="sha512-hJVXfu3E28NmzGk8o1sHhN3om52tRvwYeidbj7xKy2eIIse5IoKX3USlS6Tqt3BHAtflLIkCQBkzVrEEfWUyYQ==",
        member="package/dist/socket.io.min.js",
        target="socket.io.min.js",
    ),
)


class VendorError(RuntimeError):
    """A download that failed or did not match its pinned digest."""


def verify(data: bytes, integrity: str) -> None:
    """Raise :class:`VendorError` unless ``data`` has the SRI digest ``integrity``."""
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512":
        raise VendorError(f"unsupported integrity algorithm {algorithm!r}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise VendorError("the downloaded package does not match its pinned digest")


def install(folder: Path, *, timeout: float = 60.0) -> list[Path]:
    """Install every asset missing from ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for asset in ASSETS:
        target = folder / asset.target
        if target.exists():
            continue
        try:
            response = httpx.get(asset.tarball, timeout=timeout, follow_redirects=True)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise VendorError(f"could not download {asset.tarball}: {exc}") from exc
        verify(response.content, asset.integrity)
        with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
            member = archive.extractfile(asset.member)
            if member is None:
                raise VendorError(f"{asset.member} is not in {asset.tarball}")
            target.write_bytes(member.read())
        written.append(target)
    return written
