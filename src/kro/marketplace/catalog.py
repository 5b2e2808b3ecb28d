"""The catalog: categories (admin), services with packages (sellers), search and browse.

Search is full-text over title, description and tags: PostgreSQL's ``to_tsvector`` /
``websearch_to_tsquery`` (``simple`` configuration, ranked with ``ts_rank``); on SQLite the
equivalent is every query word found (case-insensitively) in the same text, ranked by how
many times. Browse filters by category, price range (the cheapest package), delivery days
and rating; sorts by relevance, rating, price or newest; cursor pagination by offset token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select
from sqlalchemy import Text as _TEXT
from sqlalchemy.ext.asyncio import AsyncSession

from kro.kit.ids import new_id
from kro.kyc import service as kyc
from kro.marketplace import extras, sellers, states
from kro.marketplace.errors import (
    CategoryCycle,
    CategoryNotFound,
    InvalidPackages,
    InvalidServiceStatus,
    KycRequired,
    SellerSuspended,
    ServiceNotFound,
)
from kro.marketplace.extras import ExtraSpec
from kro.marketplace.models import (
    Category,
    Order,
    Package,
    Review,
    SellerSuspension,
    Service,
)

TIERS = ("basic", "standard", "premium")
SERVICE_STATES = frozenset({"draft", "pending_review", "active", "paused", "rejected", "suspended"})


@dataclass(frozen=True)
class PackageSpec:
    """A package as the seller gives it; ``price`` in minor units."""

    tier: str
    name: str
    price: int
    delivery_days: int
    revisions: int
    includes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ServiceSpec:
    """A service as the seller gives it."""

    category_id: str
    title: str
    description: str
    packages: list[PackageSpec]
    tags: list[str] = field(default_factory=list)
    requirements: list[str] = field(default_factory=list)
    extras: list[ExtraSpec] = field(default_factory=list)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:100] or "category"


async def create_category(
    session: AsyncSession,
    name: str,
    parent_id: str | None = None,
    commission_bps: int | None = None,
) -> Category:
    """A new category (admin). Raises CategoryNotFound (404) for an unknown parent."""
    if parent_id is not None and await session.get(Category, parent_id) is None:
        raise CategoryNotFound(details={"field": "parent_id"})
    slug = _slug(name)
    if await session.scalar(select(Category.id).where(Category.slug == slug)) is not None:
        slug = f"{slug[:90]}-{new_id('cat')[-8:]}"  # two categories may share a name
    category = Category(name=name, slug=slug, parent_id=parent_id, commission_bps=commission_bps)
    session.add(category)
    await session.flush()
    return category


async def update_category(
    session: AsyncSession,
    category_id: str,
    name: str,
    parent_id: str | None,
    commission_bps: int | None,
) -> Category:
    """Rename, move (``parent_id`` None: to the top) and set the commission (None: the
    default) of a category (admin); its slug stays. Raises CategoryNotFound (404),
    CategoryCycle (422: under itself or one of its subcategories)."""
    category = await session.get(Category, category_id, with_for_update=True)
    if category is None:
        raise CategoryNotFound()
    above = parent_id
    while above is not None:
        if above == category.id:
            raise CategoryCycle(details={"field": "parent_id"})
        parent = await session.get(Category, above)
        if parent is None:
            raise CategoryNotFound(details={"field": "parent_id"})
        above = parent.parent_id
    category.name, category.parent_id, category.commission_bps = name, parent_id, commission_bps
    await session.flush()
    return category


async def categories(session: AsyncSession, parent_id: str | None = None) -> list[Category]:
    """Every category by name (the tree is rebuilt from ``parent_id``), or only the children
    of ``parent_id`` (CategoryNotFound, 404, for an unknown one)."""
    stmt = select(Category).order_by(Category.name)
    if parent_id is not None:
        if await session.get(Category, parent_id) is None:
            raise CategoryNotFound(details={"field": "parent_id"})
        stmt = stmt.where(Category.parent_id == parent_id)
    return list((await session.execute(stmt)).scalars())


def _check_packages(packages: list[PackageSpec]) -> None:
    tiers = [p.tier for p in packages]
    if not 1 <= len(packages) <= 3 or len(set(tiers)) != len(tiers):
        raise InvalidPackages(details={"field": "packages"})
    for p in packages:
        if p.tier not in TIERS or p.price <= 0 or p.delivery_days < 1 or p.revisions < 0:
            raise InvalidPackages(details={"field": "packages", "tier": p.tier})


async def create_service(
    session: AsyncSession,
    seller_id: str,
    spec: ServiceSpec,
    *,
    kyc_to_list: bool,
    review: bool = False,
) -> Service:
    """A new service with its packages and extras: ``active``, or ``pending_review`` when
    services are reviewed (``review``) until an admin approves it (``kyc_to_list``: the
    seller must be verified first). Raises CategoryNotFound (404), InvalidPackages,
    InvalidExtras (422), KycRequired, SellerSuspended (403)."""
    if kyc_to_list and not await kyc.is_verified(session, seller_id):
        raise KycRequired()
    if await session.get(SellerSuspension, seller_id) is not None:
        raise SellerSuspended()
    if await session.get(Category, spec.category_id) is None:
        raise CategoryNotFound(details={"field": "category_id"})
    _check_packages(spec.packages)
    extras.check(spec.extras, min(p.delivery_days for p in spec.packages))
    service = Service(
        seller_id=seller_id,
        category_id=spec.category_id,
        title=spec.title,
        description=spec.description,
        tags=[t.strip().lower() for t in spec.tags if t.strip()][:10],
        requirements=spec.requirements,
        status="pending_review" if review else "active",
        min_price=min(p.price for p in spec.packages),
        min_delivery_days=min(p.delivery_days for p in spec.packages),
    )
    session.add(service)
    await session.flush()
    for p in spec.packages:
        session.add(
            Package(
                service_id=service.id,
                tier=p.tier,
                name=p.name,
                price=p.price,
                delivery_days=p.delivery_days,
                revisions=p.revisions,
                includes=p.includes,
            )
        )
    await session.flush()
    await extras.add(session, service.id, spec.extras)
    return service


async def add_extras(
    session: AsyncSession, seller_id: str, service_id: str, specs: list[ExtraSpec]
) -> Service:
    """The seller adds extras to their service (up to ten in all). Raises ServiceNotFound
    (404), InvalidExtras (422)."""
    service = await get_own(session, seller_id, service_id)
    current = await extras.of_service(session, service.id)
    extras.check([*[ExtraSpec(e.title, e.price) for e in current], *specs])
    extras.check(specs, min(p.delivery_days for p in await packages(session, service.id)))
    await extras.add(session, service.id, specs)
    return service


async def get_public(session: AsyncSession, service_id: str) -> Service:
    """An active service anyone may see; ServiceNotFound (404) otherwise."""
    service = await session.get(Service, service_id)
    if service is None or service.status != "active":
        raise ServiceNotFound()
    return service


async def get_own(session: AsyncSession, seller_id: str, service_id: str) -> Service:
    """A service of the caller's in any state; ServiceNotFound (404) for anyone else's."""
    service = await session.get(Service, service_id, with_for_update=True)
    if service is None or service.seller_id != seller_id:
        raise ServiceNotFound()
    return service


async def set_status(
    session: AsyncSession, seller_id: str, service_id: str, status: str
) -> Service:
    """The seller pauses (``paused``) or reopens (``active``) their service."""
    service = await get_own(session, seller_id, service_id)
    if status not in ("active", "paused") or service.status not in ("active", "paused"):
        raise InvalidServiceStatus(details={"field": "status", "status": service.status})
    service.status = status
    await session.flush()
    return service


async def packages(session: AsyncSession, service_id: str) -> list[Package]:
    """A service's packages, cheapest first."""
    stmt = select(Package).where(Package.service_id == service_id).order_by(Package.price)
    return list((await session.execute(stmt)).scalars())


@dataclass(frozen=True)
class Query:
    """Search and filters; ``min_price``/``max_price`` in minor units; ``sort``: relevance |
    rating | price | newest; ``cursor`` an opaque offset from the previous page;
    ``min_seller_rating`` the seller's average published rating (1-5); ``seller_level``
    the seller's level at least (new | level_one | level_two | top_rated)."""

    text: str = ""
    category_id: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    max_delivery_days: int | None = None
    min_rating: float | None = None
    sort: str = "relevance"
    limit: int = 20
    cursor: str | None = None
    min_seller_rating: float | None = None
    seller_level: str | None = None


def _text_clause(dialect: str, text: str) -> tuple[ColumnElement[bool], ColumnElement[Any]]:
    """(where, rank) for a full-text query on this backend."""
    tags_text = func.coalesce(func.cast(Service.tags, _TEXT), "")
    document = Service.title + " " + Service.description + " " + tags_text
    if dialect == "postgresql":
        vector = func.to_tsvector("simple", document)
        query = func.websearch_to_tsquery("simple", text)
        return vector.op("@@")(query), func.ts_rank(vector, query)
    words = [w for w in re.findall(r"\w+", text.lower()) if w][:8]
    lowered = func.lower(document)
    where = and_(*[lowered.contains(w) for w in words]) if words else and_(True)
    # Rank: how many characters the query words take up in the text (their occurrences).
    rank: ColumnElement[Any] = literal(0)
    for w in words:
        rank = rank + (func.length(lowered) - func.length(func.replace(lowered, w, "")))
    return where, rank


async def search(session: AsyncSession, q: Query) -> tuple[list[Service], str | None]:
    """Active services matching ``q`` and the cursor of the next page (None: last page)."""
    stmt: Select[Any] = select(Service).where(Service.status == "active")
    rank: ColumnElement[Any] | None = None
    if q.text.strip():
        where, rank = _text_clause(session.get_bind().dialect.name, q.text.strip())
        stmt = stmt.where(where)
    if q.category_id:
        children = select(Category.id).where(Category.parent_id == q.category_id)
        stmt = stmt.where(
            or_(Service.category_id == q.category_id, Service.category_id.in_(children))
        )
    if q.min_price is not None:
        stmt = stmt.where(Service.min_price >= q.min_price)
    if q.max_price is not None:
        stmt = stmt.where(Service.min_price <= q.max_price)
    if q.max_delivery_days is not None:
        stmt = stmt.where(Service.min_delivery_days <= q.max_delivery_days)
    stmt = _seller_filters(stmt, q)
    rating = Service.rating_sum * 1.0 / func.nullif(Service.rating_count, 0)
    if q.min_rating is not None:
        stmt = stmt.where(rating >= q.min_rating)
    sorts: dict[str, list[Any]] = {
        "rating": [func.coalesce(rating, 0).desc(), Service.rating_count.desc()],
        "price": [Service.min_price.asc()],
        "newest": [Service.created_at.desc()],
    }
    order = sorts.get(q.sort) or ([rank.desc()] if rank is not None else sorts["newest"])
    offset = int(q.cursor) if q.cursor and q.cursor.isdigit() else 0
    stmt = stmt.order_by(*order, Service.id).offset(offset).limit(q.limit + 1)
    rows: list[Service] = list((await session.execute(stmt)).scalars())
    more = str(offset + q.limit) if len(rows) > q.limit else None
    return rows[: q.limit], more


def _rated_at_least(rating: float) -> Select[Any]:
    """Sellers whose published buyer reviews average at least ``rating`` (as
    :func:`kro.marketplace.sellers.stats` computes it)."""
    return (
        select(Order.seller_id)
        .join(Review, Review.order_id == Order.id)
        .where(Review.role == "buyer", Review.published_at.is_not(None))
        .group_by(Order.seller_id)
        .having(func.sum(Review.rating) * 1.0 >= rating * func.count(Review.id))
    )


def _seller_filters(stmt: Select[Any], q: Query) -> Select[Any]:
    """The seller filters: rating, and level — the thresholds of
    :data:`kro.marketplace.sellers.LEVELS` in SQL (each level's are stricter than the one
    below in every respect, so "at least a level" is that level's test)."""
    if q.min_seller_rating is not None:
        stmt = stmt.where(Service.seller_id.in_(_rated_at_least(q.min_seller_rating)))
    level = next((row for row in sellers.LEVELS if row[0] == q.seller_level), None)
    if level is not None:
        _, completed, min_rating, on_time = level
        on_time_count = func.sum(case((Order.late.is_(True), 0), else_=1))
        done = (
            select(Order.seller_id)
            .where(Order.status == states.COMPLETED)
            .group_by(Order.seller_id)
            .having(func.count() >= completed, on_time_count * 1.0 >= on_time * func.count())
        )
        stmt = stmt.where(
            Service.seller_id.in_(done), Service.seller_id.in_(_rated_at_least(min_rating))
        )
    return stmt


async def services_of(session: AsyncSession, seller_id: str) -> list[Service]:
    """The seller's own services in every state, newest first."""
    stmt = select(Service).where(Service.seller_id == seller_id).order_by(Service.created_at.desc())
    return list((await session.execute(stmt)).scalars())
