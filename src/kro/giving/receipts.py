"""Receipts and yearly statements as PDFs through :mod:`kro.documents` (Typst templates in
``documents/``): the receipt number is sequential per year (``KG-2026-000042``), the amount
in figures and in words, the tip shown apart from the gift; the statement lists each gift of
the year once (refunded ones left out)."""

from __future__ import annotations

from num2words import num2words  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from kro import documents
from kro.giving import campaigns
from kro.giving.errors import DonationNotFound
from kro.giving.models import Campaign, Donation
from kro.payments.collect import service as payments
from kro.web.formatting import money, when


def in_words(amount: int) -> str:
    """``250_050`` kobo → ``"two thousand, five hundred naira and fifty kobo"``."""
    naira, kobo = divmod(amount, 100)
    words = f"{num2words(naira, lang='en')} naira"
    return words + (f" and {num2words(kobo, lang='en')} kobo" if kobo else "")


def beneficiary(campaign: Campaign, organizer_name: str) -> str:
    if campaign.beneficiary_type == "charity":
        return f"{campaign.beneficiary_name} (registered charity)"
    if campaign.beneficiary_type == "someone":
        return f"{campaign.beneficiary_name}, organized by {organizer_name}"
    return organizer_name


async def receipt_pdf(session: AsyncSession, donation: Donation) -> bytes:
    """The donation's receipt; DonationNotFound (404) before it is paid."""
    from kro.identity import service as identity

    if donation.receipt_number is None:
        raise DonationNotFound(details={"reason": "not paid yet"})
    campaign = await campaigns.get_any(session, donation.campaign_id)
    organizer = await identity.get_user(session, campaign.organizer_id)
    payment = await payments.get_payment(session, donation.payment_id or "")
    return documents.render(
        "giving/receipt.typ",
        {
            "number": donation.receipt_number,
            "date": when(donation.paid_at),
            "donor": donation.donor_name,
            "campaign": campaign.title,
            "beneficiary": beneficiary(campaign, organizer.full_name),
            "amount": money(donation.amount, donation.currency),
            "amount_words": in_words(donation.amount),
            "tip": money(donation.tip, donation.currency),
            "cover": money(donation.cover, donation.currency),
            "total": money(donation.total, donation.currency),
            "reference": payment.reference,
            "message": donation.message or "",
        },
    )


async def statement_pdf(session: AsyncSession, email: str, year: int) -> bytes:
    """Every paid gift of ``email`` with a receipt of ``year``, each once."""
    stmt = (
        select(Donation, Campaign.title)
        .join(Campaign, Campaign.id == Donation.campaign_id)
        .where(
            Donation.donor_email == email.lower(),
            Donation.receipt_year == year,
            Donation.status.in_(("paid", "refund_requested")),
        )
        .order_by(Donation.receipt_seq)
    )
    rows = (await session.execute(stmt)).all()
    total = sum(d.amount for d, _ in rows)
    return documents.render(
        "giving/statement.typ",
        {
            "year": year,
            "email": email.lower(),
            "total": money(total),
            "rows": [
                {
                    "number": d.receipt_number,
                    "date": when(d.paid_at),
                    "campaign": title,
                    "amount": money(d.amount, d.currency),
                }
                for d, title in rows
            ],
        },
    )
