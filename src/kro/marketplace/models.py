"""Tables of ``kro.marketplace`` (imported by ``kro.registry``, so ``Base.metadata`` has them).

``mkt_categories`` (a tree), ``mkt_services`` with up to three ``mkt_packages``,
``mkt_orders`` with ``mkt_order_events`` (every transition) and ``mkt_deliveries``,
``mkt_earnings`` (a seller's share of one order through its clearance) and ``mkt_reviews``.
Users and payments are referred to by id, never by relationship. Amounts in minor units.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kro.kit.clock import utcnow
from kro.kit.db import Base, MinorUnits, UTCDateTime
from kro.kit.ids import new_id


class Category(Base):
    """A node of the admin-managed category tree; ``commission_bps`` overrides the default
    seller commission for services in it (null: the default)."""

    __tablename__ = "mkt_categories"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("cat"))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("mkt_categories.id"), default=None)
    name: Mapped[str] = mapped_column(String(100))
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    commission_bps: Mapped[int | None] = mapped_column(default=None, comment="basis points")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Service(Base):
    """A seller's service (gig). ``status``: draft | pending_review (when services are
    reviewed) | active | paused | rejected (``review_note`` says why) | suspended (by an
    admin). ``tags`` and ``requirements`` (the questions the buyer answers) are JSON lists
    of strings. ``rating_sum``/``rating_count`` aggregate the buyers' published reviews."""

    __tablename__ = "mkt_services"
    __table_args__ = (Index("ix_mkt_services_status_category", "status", "category_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("svc"))
    seller_id: Mapped[str] = mapped_column(String(32), index=True)
    category_id: Mapped[str] = mapped_column(ForeignKey("mkt_categories.id"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    requirements: Mapped[list[str]] = mapped_column(JSON, default=list)
    currency: Mapped[str] = mapped_column(String(3), default="NGN")
    status: Mapped[str] = mapped_column(String(16), default="draft")
    min_price: Mapped[int] = mapped_column(MinorUnits, default=0, comment="cheapest package")
    min_delivery_days: Mapped[int] = mapped_column(default=0)
    rating_sum: Mapped[int] = mapped_column(default=0)
    rating_count: Mapped[int] = mapped_column(default=0)
    review_note: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ServiceImage(Base):
    """An image of a service, stored in :mod:`kro.kit.storage` under ``key``
    (``marketplace/services/{service}/{image}``); ``position`` orders them (0 first)."""

    __tablename__ = "mkt_service_images"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("img"))
    service_id: Mapped[str] = mapped_column(ForeignKey("mkt_services.id"), index=True)
    key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(comment="bytes")
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Package(Base):
    """One of a service's packages (basic / standard / premium): price in minor units,
    delivery days, revisions included, and what it includes (JSON list of strings)."""

    __tablename__ = "mkt_packages"
    __table_args__ = (UniqueConstraint("service_id", "tier"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("pkg"))
    service_id: Mapped[str] = mapped_column(ForeignKey("mkt_services.id"), index=True)
    tier: Mapped[str] = mapped_column(String(16), comment="basic | standard | premium")
    name: Mapped[str] = mapped_column(String(60))
    price: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    delivery_days: Mapped[int]
    revisions: Mapped[int]
    includes: Mapped[list[str]] = mapped_column(JSON, default=list)


class Order(Base):
    """A buyer's order of one package. ``price`` and ``service_fee`` (paid by the buyer on
    top) and ``commission`` (kept from the seller) are fixed at ordering, minor units, the
    extras chosen then included. ``answers`` are the buyer's answers to the service's
    requirements (JSON list). ``cancel_requested_*``: a party's pending request for a
    mutual cancellation (None: none pending)."""

    __tablename__ = "mkt_orders"
    __table_args__ = (Index("ix_mkt_orders_status", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("mko"))
    service_id: Mapped[str] = mapped_column(ForeignKey("mkt_services.id"), index=True)
    package_id: Mapped[str] = mapped_column(ForeignKey("mkt_packages.id"))
    buyer_id: Mapped[str] = mapped_column(String(32), index=True)
    seller_id: Mapped[str] = mapped_column(String(32), index=True)
    title: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3))
    price: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    service_fee: Mapped[int] = mapped_column(MinorUnits, comment="buyer's fee, minor units")
    commission: Mapped[int] = mapped_column(MinorUnits, comment="kept from the seller")
    delivery_days: Mapped[int]
    revisions_allowed: Mapped[int]
    revisions_used: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    late: Mapped[bool] = mapped_column(default=False)
    payment_id: Mapped[str | None] = mapped_column(String(32), default=None)
    answers: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    auto_complete_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    hard_limit_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    refunded_amount: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    cancel_requested_by: Mapped[str | None] = mapped_column(String(32), default=None)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def buyer_pays(self) -> int:
        """What the checkout charges: price + service fee, minor units."""
        return self.price + self.service_fee

    @property
    def seller_share(self) -> int:
        """What the seller earns on completion: price − commission, minor units."""
        return self.price - self.commission


class ServiceExtra(Base):
    """An option a buyer may add to a service's package (Fiverr's gig extras): ``price`` in
    minor units; ``extra_days`` added to the delivery time (negative: faster delivery; the
    order never takes less than a day); ``extra_revisions`` added to the revisions."""

    __tablename__ = "mkt_service_extras"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("sxt"))
    service_id: Mapped[str] = mapped_column(ForeignKey("mkt_services.id"), index=True)
    title: Mapped[str] = mapped_column(String(80))
    price: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    extra_days: Mapped[int] = mapped_column(default=0, comment="days; negative is faster")
    extra_revisions: Mapped[int] = mapped_column(default=0)


class OrderExtra(Base):
    """An extra on one order, its money fixed when it was added (minor units).

    ``status``: included (chosen when ordering: in the order's own price and payment) |
    pending (bought mid-order, awaiting its own payment) | held (paid; in its own escrow
    account, held like the order's) | released (posted with the order's completion) |
    refunded (voided and given back with the order's cancellation, or paid too late)."""

    __tablename__ = "mkt_order_extras"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("oxt"))
    order_id: Mapped[str] = mapped_column(ForeignKey("mkt_orders.id"), index=True)
    extra_id: Mapped[str] = mapped_column(ForeignKey("mkt_service_extras.id"))
    title: Mapped[str] = mapped_column(String(80))
    price: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    service_fee: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    commission: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    extra_days: Mapped[int] = mapped_column(default=0)
    extra_revisions: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16))
    payment_id: Mapped[str | None] = mapped_column(String(32), default=None)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def buyer_pays(self) -> int:
        """What its own checkout charges (mid-order extras): price + fee, minor units."""
        return self.price + self.service_fee

    @property
    def seller_share(self) -> int:
        """price − commission, minor units."""
        return self.price - self.commission


class Tip(Base):
    """A buyer's tip on a completed order, paid through its own checkout. ``amount`` in
    minor units; ``commission`` the platform's cut (``marketplace_tip_commission_bps``,
    default none). ``status``: pending (awaiting payment) | clearing (in the seller's
    pending clearance until ``clears_at``) | cleared (in the wallet)."""

    __tablename__ = "mkt_tips"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("tip"))
    order_id: Mapped[str] = mapped_column(ForeignKey("mkt_orders.id"), index=True)
    buyer_id: Mapped[str] = mapped_column(String(32))
    seller_id: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    commission: Mapped[int] = mapped_column(MinorUnits, default=0, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    payment_id: Mapped[str | None] = mapped_column(String(32), default=None)
    clears_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def seller_share(self) -> int:
        """amount − commission, minor units."""
        return self.amount - self.commission


class OrderEvent(Base):
    """One recorded transition: who (null for the system), when, from, to, why."""

    __tablename__ = "mkt_order_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("mev"))
    order_id: Mapped[str] = mapped_column(ForeignKey("mkt_orders.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(32), default=None)
    actor_role: Mapped[str] = mapped_column(String(8), comment="buyer | seller | system | admin")
    reason: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Delivery(Base):
    """A delivery (message and files, ``files`` a JSON list of storage keys) or a buyer's
    revision request (``kind``: delivery | revision)."""

    __tablename__ = "mkt_deliveries"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("dlv"))
    order_id: Mapped[str] = mapped_column(ForeignKey("mkt_orders.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    author_id: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    files: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Earning(Base):
    """A seller's share of one completed order in the ledger's pending clearance account.
    ``status``: pending (clearing until ``clears_at``) | cleared (moved to the wallet) |
    clawed_back (refunded within clearance) | frozen (a dispute holds it)."""

    __tablename__ = "mkt_earnings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("ern"))
    order_id: Mapped[str] = mapped_column(ForeignKey("mkt_orders.id"), unique=True)
    seller_id: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    clears_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(Base):
    """One side's review of a completed order (``role``: buyer reviews the seller and the
    service, seller reviews the buyer). Double-blind: ``published_at`` is set when both are
    in or the window closes; until then nobody else sees it."""

    __tablename__ = "mkt_reviews"
    __table_args__ = (UniqueConstraint("order_id", "role"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("rev"))
    order_id: Mapped[str] = mapped_column(ForeignKey("mkt_orders.id"), index=True)
    service_id: Mapped[str] = mapped_column(String(32), index=True)
    author_id: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(8))
    rating: Mapped[int] = mapped_column(comment="1-5")
    comment: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SellerProfile(Base):
    """What buyers see of a seller (seed 004): display name, headline, bio, skills and
    languages (JSON lists of strings), where they are, an avatar (a storage key)."""

    __tablename__ = "mkt_seller_profiles"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    headline: Mapped[str] = mapped_column(String(200), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    country: Mapped[str] = mapped_column(String(2), default="NG")
    state: Mapped[str] = mapped_column(String(60), default="")
    avatar_key: Mapped[str | None] = mapped_column(String(300), default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SellerSuspension(Base):
    """A seller an admin suspended (``reason`` shown to them): their services were
    suspended with it, and they may list nothing until it is lifted (the row deleted)."""

    __tablename__ = "mkt_seller_suspensions"

    user_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    reason: Mapped[str] = mapped_column(String(500))
    admin_id: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class FeeTerms(Base):
    """Money terms an admin put in force (:mod:`kro.marketplace.terms`); append-only, the
    newest in force. Basis points; ``service_fee_min``/``_cap`` minor units (cap 0: none)."""

    __tablename__ = "mkt_fee_terms"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: new_id("mft"))
    service_fee_bps: Mapped[int] = mapped_column(comment="basis points")
    service_fee_min: Mapped[int] = mapped_column(MinorUnits, comment="minor units")
    service_fee_cap: Mapped[int] = mapped_column(MinorUnits, comment="minor units; 0 none")
    commission_bps: Mapped[int] = mapped_column(comment="basis points")
    tip_commission_bps: Mapped[int] = mapped_column(comment="basis points")
    created_by: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(String(500), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
