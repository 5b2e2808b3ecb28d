"""Marketplace request and response bodies. Amounts in minor units."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from kro.marketplace import catalog, extras, images, states
from kro.marketplace.cancellation import requested_by_role
from kro.marketplace.catalog import PackageSpec, ServiceSpec
from kro.marketplace.extras import ExtraSpec
from kro.marketplace.models import (
    Category,
    Delivery,
    Order,
    OrderEvent,
    OrderExtra,
    Package,
    Review,
    SellerProfile,
    Service,
    ServiceExtra,
    ServiceImage,
    Tip,
)
from kro.marketplace.orders import OrderView, role_of
from kro.marketplace.sellers import SellerStats
from kro.marketplace.terms import Terms
from kro.payments.models import Payment


class CategoryIn(BaseModel):
    name: str = Field(min_length=2, max_length=100)
    parent_id: str | None = Field(None, max_length=32)
    commission_bps: int | None = Field(None, ge=0, le=10_000)


class CategoryUpdateIn(BaseModel):
    """The whole category: ``parent_id`` null moves it to the top; ``commission_bps`` null
    means the default commission."""

    name: str = Field(min_length=2, max_length=100)
    parent_id: str | None = Field(None, max_length=32)
    commission_bps: int | None = Field(None, ge=0, le=10_000)


class SuspendIn(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


class DayTotalOut(BaseModel):
    """One Lagos day: orders paid, GMV (what buyers paid) and the platform's fees, minor
    units."""

    day: date
    orders: int
    gmv: int
    fees: int


class TermsIn(BaseModel):
    """New money terms: basis points, the fee's minimum and cap in minor units (cap 0:
    none); a note; a fresh TOTP code."""

    service_fee_bps: int = Field(ge=0, le=10_000)
    service_fee_min: int = Field(ge=0, le=10_000_000_000)
    service_fee_cap: int = Field(ge=0, le=10_000_000_000)
    commission_bps: int = Field(ge=0, le=10_000)
    tip_commission_bps: int = Field(ge=0, le=10_000)
    note: str | None = Field(None, max_length=500)
    totp_code: str | None = Field(None, max_length=20)

    def to_terms(self) -> Terms:
        return Terms(
            self.service_fee_bps,
            self.service_fee_min,
            self.service_fee_cap,
            self.commission_bps,
            self.tip_commission_bps,
        )


class FeesOut(BaseModel):
    """The money terms in force (the newest an admin set, else the environment's): the
    buyer's service fee (bps, min, cap in minor units; cap 0: none), the default commission
    (bps), the tips' cut (bps); clearance (seconds, and per seller level: environment)."""

    service_fee_bps: int
    service_fee_min: int
    service_fee_cap: int
    commission_bps: int
    tip_commission_bps: int
    clearance: int
    clearance_by_level: dict[str, int]


class CategoryOut(BaseModel):
    id: str
    name: str
    slug: str
    parent_id: str | None
    commission_bps: int | None

    @classmethod
    def of(cls, c: Category) -> CategoryOut:
        return cls(
            id=c.id,
            name=c.name,
            slug=c.slug,
            parent_id=c.parent_id,
            commission_bps=c.commission_bps,
        )


class PackageIn(BaseModel):
    tier: str = Field(pattern="^(basic|standard|premium)$")
    name: str = Field(min_length=1, max_length=60)
    price: int = Field(gt=0, le=10_000_000_000, description="minor units")
    delivery_days: int = Field(ge=1, le=90)
    revisions: int = Field(ge=0, le=20)
    includes: list[str] = Field(default_factory=list, max_length=10)


class ExtraIn(BaseModel):
    """An extra: ``price`` minor units; ``extra_days`` added to the delivery (negative:
    faster delivery); ``extra_revisions`` added to the revisions."""

    title: str = Field(min_length=1, max_length=80)
    price: int = Field(gt=0, le=10_000_000_000, description="minor units")
    extra_days: int = Field(0, ge=-30, le=30)
    extra_revisions: int = Field(0, ge=0, le=10)

    def to_spec(self) -> ExtraSpec:
        return ExtraSpec(**self.model_dump())


class ExtrasIn(BaseModel):
    extras: list[ExtraIn] = Field(min_length=1, max_length=10)


class ServiceIn(BaseModel):
    category_id: str = Field(max_length=32)
    title: str = Field(min_length=5, max_length=120)
    description: str = Field(min_length=10, max_length=5_000)
    tags: list[str] = Field(default_factory=list, max_length=10)
    requirements: list[str] = Field(default_factory=list, max_length=10)
    packages: list[PackageIn] = Field(min_length=1, max_length=3)
    extras: list[ExtraIn] = Field(default_factory=list, max_length=10)

    def to_spec(self) -> ServiceSpec:
        return ServiceSpec(
            category_id=self.category_id,
            title=self.title,
            description=self.description,
            tags=self.tags,
            requirements=self.requirements,
            packages=[PackageSpec(**p.model_dump()) for p in self.packages],
            extras=[e.to_spec() for e in self.extras],
        )


class DecisionIn(BaseModel):
    """An admin's decision on a service; ``reason`` (shown to the seller) is required to
    reject or suspend."""

    reason: str | None = Field(None, min_length=3, max_length=500)


class ServiceStatusIn(BaseModel):
    status: str = Field(pattern="^(active|paused)$")


class PackageOut(BaseModel):
    id: str
    tier: str
    name: str
    price: int
    delivery_days: int
    revisions: int
    includes: list[str]

    @classmethod
    def of(cls, p: Package) -> PackageOut:
        return cls(
            id=p.id,
            tier=p.tier,
            name=p.name,
            price=p.price,
            delivery_days=p.delivery_days,
            revisions=p.revisions,
            includes=list(p.includes),
        )


class ExtraOut(BaseModel):
    id: str
    title: str
    price: int
    extra_days: int
    extra_revisions: int

    @classmethod
    def of(cls, e: ServiceExtra) -> ExtraOut:
        return cls.model_validate(e, from_attributes=True)


class ImageOut(BaseModel):
    """An image of a service; ``url`` serves its bytes."""

    id: str
    url: str
    content_type: str
    size: int

    @classmethod
    def of(cls, i: ServiceImage) -> ImageOut:
        return cls(
            id=i.id,
            url=f"/v1/marketplace/services/{i.service_id}/images/{i.id}",
            content_type=i.content_type,
            size=i.size,
        )


class ServiceOut(BaseModel):
    """``status``: draft | pending_review | active | paused | rejected | suspended;
    ``review_note`` the admin's reason for a rejection or suspension."""

    id: str
    seller_id: str
    category_id: str
    title: str
    description: str
    tags: list[str]
    requirements: list[str]
    currency: str
    status: str
    min_price: int
    rating: float | None
    reviews: int
    packages: list[PackageOut]
    extras: list[ExtraOut]
    images: list[ImageOut]
    review_note: str | None
    created_at: datetime

    @classmethod
    def of(
        cls,
        s: Service,
        packages: list[Package] | None = None,
        extras: list[ServiceExtra] | None = None,
        images: list[ServiceImage] | None = None,
    ) -> ServiceOut:
        return cls(
            id=s.id,
            seller_id=s.seller_id,
            category_id=s.category_id,
            title=s.title,
            description=s.description,
            tags=list(s.tags),
            requirements=list(s.requirements),
            currency=s.currency,
            status=s.status,
            min_price=s.min_price,
            rating=round(s.rating_sum / s.rating_count, 2) if s.rating_count else None,
            reviews=s.rating_count,
            packages=[PackageOut.of(p) for p in packages or []],
            extras=[ExtraOut.of(e) for e in extras or []],
            images=[ImageOut.of(i) for i in images or []],
            review_note=s.review_note,
            created_at=s.created_at,
        )

    @classmethod
    async def load(cls, session: AsyncSession, s: Service) -> ServiceOut:
        """The service with its packages, extras and images read."""
        return cls.of(
            s,
            await catalog.packages(session, s.id),
            await extras.of_service(session, s.id),
            await images.of_service(session, s.id),
        )


class OrderIn(BaseModel):
    service_id: str = Field(max_length=32)
    package_id: str = Field(max_length=32)
    extra_ids: list[str] = Field(default_factory=list, max_length=10)


class PayIn(BaseModel):
    callback_url: str | None = Field(None, max_length=500)


class BuyExtraIn(BaseModel):
    extra_id: str = Field(max_length=32)
    callback_url: str | None = Field(None, max_length=500)


class TipIn(BaseModel):
    amount: int = Field(ge=100, le=10_000_000_000, description="minor units")
    callback_url: str | None = Field(None, max_length=500)


class CancellationIn(BaseModel):
    reason: str = Field(min_length=3, max_length=500)


class RequirementsIn(BaseModel):
    answers: list[str] = Field(default_factory=list, max_length=10)


class DeliveryIn(BaseModel):
    message: str = Field(min_length=1, max_length=5_000)


class AdminMoneyIn(BaseModel):
    """An admin's money move: a reason and a fresh TOTP code."""

    reason: str = Field(min_length=3, max_length=500)
    totp_code: str | None = Field(None, max_length=20)


class CheckoutOut(BaseModel):
    """Send the buyer to ``authorization_url``; the order is ``paid`` once the provider's
    confirmation is verified."""

    status: str
    authorization_url: str | None
    reference: str
    amount: int
    currency: str

    @classmethod
    def of(cls, p: Payment) -> CheckoutOut:
        return CheckoutOut.model_validate(p, from_attributes=True)


class PurchaseOut(CheckoutOut):
    """The checkout of an extra bought mid-order or a tip (``purchase_id``: its id)."""

    purchase_id: str

    @classmethod
    def of(cls, p: Payment, purchase_id: str = "") -> PurchaseOut:
        return cls(**CheckoutOut.of(p).model_dump(), purchase_id=purchase_id)


class OrderExtraOut(BaseModel):
    """``status``: included (in the order's price) | pending (its checkout not paid) |
    held | released | refunded; ``price``, ``service_fee``, ``commission`` minor units (the
    fee and commission of an included extra are in the order's)."""

    id: str
    extra_id: str
    title: str
    price: int
    service_fee: int
    commission: int
    extra_days: int
    extra_revisions: int
    status: str

    @classmethod
    def of(cls, e: OrderExtra) -> OrderExtraOut:
        return cls.model_validate(e, from_attributes=True)


class TipOut(BaseModel):
    """``status``: pending (not paid) | clearing | cleared | refunded; minor units."""

    id: str
    amount: int
    seller_earns: int
    status: str
    clears_at: datetime | None

    @classmethod
    def of(cls, t: Tip) -> TipOut:
        return cls(
            id=t.id,
            amount=t.amount,
            seller_earns=t.seller_share,
            status=t.status,
            clears_at=t.clears_at,
        )


class CancellationOut(BaseModel):
    """A mutual cancellation request waiting for the other party's answer."""

    requested_by: str
    requested_at: datetime
    reason: str | None


class TransitionOut(BaseModel):
    action: str
    from_state: str
    to_state: str
    actor_role: str
    reason: str | None
    at: datetime

    @classmethod
    def of(cls, e: OrderEvent) -> TransitionOut:
        return cls(
            action=e.action,
            from_state=e.from_state,
            to_state=e.to_state,
            actor_role=e.actor_role,
            reason=e.reason,
            at=e.created_at,
        )


class DeliveryOut(BaseModel):
    id: str
    kind: str
    message: str
    files: list[str]
    at: datetime

    @classmethod
    def of(cls, d: Delivery) -> DeliveryOut:
        return cls(id=d.id, kind=d.kind, message=d.message, files=list(d.files), at=d.created_at)


class OrderSummaryOut(BaseModel):
    id: str
    title: str
    status: str
    role: str
    price: int
    currency: str
    created_at: datetime

    @classmethod
    def of(cls, o: Order, viewer_id: str) -> OrderSummaryOut:
        return cls(
            id=o.id,
            title=o.title,
            status=o.status,
            role=role_of(o, viewer_id) or "admin",
            price=o.price,
            currency=o.currency,
            created_at=o.created_at,
        )


class OrderOut(BaseModel):
    """An order as one of its parties sees it. ``buyer_pays`` = price + service fee;
    ``seller_earns`` = price − commission; ``earning_status``: pending clearance | cleared
    | clawed_back (null before completion)."""

    id: str
    service_id: str
    title: str
    status: str
    role: str
    late: bool
    currency: str
    price: int
    service_fee: int
    commission: int
    buyer_pays: int
    seller_earns: int
    refunded: int
    delivery_days: int
    revisions_allowed: int
    revisions_used: int
    answers: list[str] | None
    due_at: datetime | None
    auto_complete_at: datetime | None
    expires_at: datetime | None
    earning_status: str | None
    clears_at: datetime | None
    actions: list[str]
    transitions: list[TransitionOut]
    deliveries: list[DeliveryOut]
    extras: list[OrderExtraOut]
    tips: list[TipOut]
    cancellation: CancellationOut | None
    created_at: datetime

    @classmethod
    def of(cls, v: OrderView, viewer_id: str) -> OrderOut:
        o = v.order
        role = role_of(o, viewer_id) or "admin"
        asked = requested_by_role(o)
        cancellation = None
        if asked is not None and o.cancel_requested_at is not None:
            cancellation = CancellationOut(
                requested_by=asked, requested_at=o.cancel_requested_at, reason=o.cancel_reason
            )
        return cls(
            id=o.id,
            service_id=o.service_id,
            title=o.title,
            status=o.status,
            role=role,
            late=o.late,
            currency=o.currency,
            price=o.price,
            service_fee=o.service_fee,
            commission=o.commission,
            buyer_pays=o.buyer_pays,
            seller_earns=o.seller_share,
            refunded=o.refunded_amount,
            delivery_days=o.delivery_days,
            revisions_allowed=o.revisions_allowed,
            revisions_used=o.revisions_used,
            answers=o.answers,
            due_at=o.due_at,
            auto_complete_at=o.auto_complete_at,
            expires_at=o.expires_at,
            earning_status=v.earning.status if v.earning else None,
            clears_at=v.earning.clears_at if v.earning else None,
            actions=sorted(states.available(o.status, role, asked)),
            transitions=[TransitionOut.of(e) for e in v.events],
            deliveries=[DeliveryOut.of(d) for d in v.deliveries],
            extras=[OrderExtraOut.of(e) for e in v.extras],
            tips=[TipOut.of(t) for t in v.tips],
            cancellation=cancellation,
            created_at=o.created_at,
        )


class EarningsOut(BaseModel):
    """A seller's money: ``pending_clearance`` (completed, still clearing) and what the
    wallet holds (``available``, withdrawable through ``/v1/payouts``), minor units."""

    currency: str
    pending_clearance: int
    available: int


class ReviewIn(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str = Field("", max_length=2_000)


class ReviewOut(BaseModel):
    """``published``: false while the other side has not reviewed and the window is open
    (then only its author sees it)."""

    id: str
    role: str
    rating: int
    comment: str
    published: bool
    created_at: datetime

    @classmethod
    def of(cls, r: Review) -> ReviewOut:
        return cls(
            id=r.id,
            role=r.role,
            rating=r.rating,
            comment=r.comment,
            published=r.published_at is not None,
            created_at=r.created_at,
        )


class AdvanceIn(BaseModel):
    """Sandbox only: how far to move an order's clocks into the past, in seconds."""

    seconds: int = Field(gt=0, le=400 * 24 * 3600)


class DisputeIn(BaseModel):
    reason: str = Field(min_length=3, max_length=2_000)


class ResolveIn(BaseModel):
    """``outcome``: complete (pay the seller) | cancel (refund the buyer) | split
    (``seller_amount`` minor units to the seller); with a fresh TOTP code."""

    outcome: str = Field(pattern="^(complete|cancel|split)$")
    note: str = Field(min_length=3, max_length=500)
    totp_code: str | None = Field(None, max_length=20)
    seller_amount: int | None = Field(None, gt=0)


class ProfileIn(BaseModel):
    display_name: str = Field(min_length=2, max_length=100)
    headline: str = Field("", max_length=200)
    bio: str = Field("", max_length=5_000)
    skills: list[str] = Field(default_factory=list, max_length=15)
    languages: list[str] = Field(default_factory=list, max_length=10)
    country: str = Field("NG", pattern="^[A-Za-z]{2}$")
    state: str = Field("", max_length=60)


class SellerOut(BaseModel):
    """A seller's public profile with their stats; ``level``: new | level_one | level_two
    | top_rated; ``on_time`` the share of completed orders delivered before they were late."""

    user_id: str
    display_name: str
    headline: str
    bio: str
    skills: list[str]
    languages: list[str]
    country: str
    state: str
    completed_orders: int
    rating: float | None
    reviews: int
    on_time: float | None
    level: str
    avatar_url: str | None

    @classmethod
    def of(cls, p: SellerProfile, st: SellerStats) -> SellerOut:
        return cls(
            user_id=p.user_id,
            display_name=p.display_name,
            headline=p.headline,
            bio=p.bio,
            skills=list(p.skills),
            languages=list(p.languages),
            country=p.country,
            state=p.state,
            completed_orders=st.completed,
            rating=st.rating,
            reviews=st.reviews,
            on_time=st.on_time,
            level=st.level,
            avatar_url=f"/v1/marketplace/sellers/{p.user_id}/avatar" if p.avatar_key else None,
        )
