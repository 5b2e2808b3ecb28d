"""File storage: the local filesystem by default, any S3-compatible service in production
(DigitalOcean Spaces is S3; seed 001). Keys are ``/``-separated relative paths.

boto3 is synchronous, so S3 calls run in a worker thread.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any, Protocol

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,299}$")


class StorageError(Exception):
    """A key that is unsafe, or an object that does not exist."""


def check_key(key: str) -> str:
    """Reject keys that could escape the root (``..``, absolute paths, odd characters)."""
    if not _KEY.match(key) or ".." in key.split("/"):
        raise StorageError(f"unsafe storage key {key!r}")
    return key


class Storage(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...


class LocalStorage:
    """Files under ``root`` (created on demand)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(path.write_bytes, data)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        if not path.is_file():
            raise StorageError(f"no object {key!r}")
        return await asyncio.to_thread(path.read_bytes)


class S3Storage:
    """Objects in ``bucket`` of an S3-compatible service at ``endpoint_url``."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None,
        region: str,
        access_key: str,
        secret_key: str,
    ) -> None:
        import boto3

        self.bucket = bucket
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=check_key(key),
            Body=data,
            ContentType=content_type,
        )

    async def get(self, key: str) -> bytes:
        try:
            obj = await asyncio.to_thread(
                self.client.get_object, Bucket=self.bucket, Key=check_key(key)
            )
        except self.client.exceptions.NoSuchKey as exc:
            raise StorageError(f"no object {key!r}") from exc
        body: bytes = await asyncio.to_thread(obj["Body"].read)
        return body
