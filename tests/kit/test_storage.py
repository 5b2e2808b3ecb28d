"""Local and S3-compatible storage (S3 against moto's server over real HTTP)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from kro.kit.storage import LocalStorage, S3Storage, StorageError
from tests.support.server import free_port


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


async def test_local_storage_roundtrip_and_unsafe_keys(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    await storage.put("evidence/ord_1/a.txt", b"hello", "text/plain")
    assert await storage.get("evidence/ord_1/a.txt") == b"hello"
    for bad in ("../etc/passwd", "/abs", "a/../../b"):
        with pytest.raises(StorageError):
            await storage.put(bad, b"x", "text/plain")
    with pytest.raises(StorageError):
        await storage.get("evidence/missing")


async def test_s3_storage_against_moto(s3_endpoint: str) -> None:
    creds = {
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
        "region_name": "us-east-1",
    }
    boto3.client("s3", endpoint_url=s3_endpoint, **creds).create_bucket(Bucket="kro-evidence")
    storage = S3Storage(
        "kro-evidence",
        endpoint_url=s3_endpoint,
        region="us-east-1",
        access_key="test",
        secret_key="test",
    )
    await storage.put("evidence/ord_1/photo.png", b"\x89PNG...", "image/png")
    assert await storage.get("evidence/ord_1/photo.png") == b"\x89PNG..."
    head = storage.client.head_object(Bucket="kro-evidence", Key="evidence/ord_1/photo.png")
    assert head["ContentType"] == "image/png"
    with pytest.raises(StorageError):
        await storage.get("evidence/nothing")
