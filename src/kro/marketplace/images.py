"""Service images, stored through :mod:`kro.kit.storage` (the local filesystem, or S3 in
production) as escrow evidence and conversation attachments are: PNG, JPEG or WebP —
the type read from the file's first bytes, not trusted from the upload — at most
``marketplace_image_max_bytes`` each and :data:`MAX_IMAGES` per service. Shown on the
service page; served to anyone while the service is active. A seller's avatar (one, the
same types and limit) is stored the same way under ``marketplace/avatars/{user}/…``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.ids import new_id
from kro.kit.storage import Storage
from kro.marketplace.catalog import get_own, get_public
from kro.marketplace.errors import ImageRefused, ServiceNotFound
from kro.marketplace.models import SellerProfile, ServiceImage

MAX_IMAGES = 5


def sniff(data: bytes) -> str | None:
    """The image type of ``data`` by its signature (PNG, JPEG, WebP), None otherwise."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


async def add(
    session: AsyncSession,
    storage: Storage,
    seller_id: str,
    service_id: str,
    data: bytes,
    max_bytes: int,
) -> ServiceImage:
    """Store an image of the seller's service (last in order). Raises ServiceNotFound (404:
    anyone else's), ImageRefused (422: not an image, too big, or one too many)."""
    service = await get_own(session, seller_id, service_id)
    content_type = sniff(data)
    count = await session.scalar(select(func.count()).where(ServiceImage.service_id == service.id))
    if content_type is None or not data or len(data) > max_bytes or (count or 0) >= MAX_IMAGES:
        raise ImageRefused(details={"field": "file", "max_bytes": max_bytes, "max": MAX_IMAGES})
    image_id = new_id("img")
    key = f"marketplace/services/{service.id}/{image_id}"
    await storage.put(key, data, content_type)
    image = ServiceImage(
        id=image_id,
        service_id=service.id,
        key=key,
        content_type=content_type,
        size=len(data),
        position=count or 0,
    )
    session.add(image)
    await session.flush()
    return image


async def of_service(session: AsyncSession, service_id: str) -> list[ServiceImage]:
    """A service's images in order."""
    stmt = (
        select(ServiceImage)
        .where(ServiceImage.service_id == service_id)
        .order_by(ServiceImage.position, ServiceImage.id)
    )
    return list((await session.execute(stmt)).scalars())


async def read(
    session: AsyncSession,
    storage: Storage,
    service_id: str,
    image_id: str,
) -> tuple[ServiceImage, bytes]:
    """An image of an active service and its bytes. Raises ServiceNotFound (404)."""
    service = await get_public(session, service_id)
    image = await session.get(ServiceImage, image_id)
    if image is None or image.service_id != service.id:
        raise ServiceNotFound()
    return image, await storage.get(image.key)


async def set_avatar(
    session: AsyncSession, storage: Storage, user_id: str, data: bytes, max_bytes: int
) -> SellerProfile:
    """Store the caller's avatar on their seller profile (replacing the previous one).
    Raises ServiceNotFound (404: no profile yet), ImageRefused (422)."""
    profile = await session.get(SellerProfile, user_id, with_for_update=True)
    if profile is None:
        raise ServiceNotFound("Create your seller profile first.")
    content_type = sniff(data)
    if content_type is None or not data or len(data) > max_bytes:
        raise ImageRefused(details={"field": "file", "max_bytes": max_bytes})
    key = f"marketplace/avatars/{user_id}/{new_id('img')}"
    await storage.put(key, data, content_type)
    profile.avatar_key = key
    await session.flush()
    return profile


async def avatar(session: AsyncSession, storage: Storage, user_id: str) -> tuple[str, bytes]:
    """A seller's avatar: its type and bytes. Raises ServiceNotFound (404: none)."""
    profile = await session.get(SellerProfile, user_id)
    if profile is None or profile.avatar_key is None:
        raise ServiceNotFound("No avatar.")
    data = await storage.get(profile.avatar_key)
    return sniff(data) or "application/octet-stream", data
