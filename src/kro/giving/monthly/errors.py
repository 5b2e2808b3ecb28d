"""Errors of monthly gifts."""

from __future__ import annotations

from kro.kit.errors import Conflict, NotFound


class MonthlyGiftNotFound(NotFound):
    code = "monthly_gift_not_found"
    message = "No such monthly gift."


class MonthlyGiftCancelled(Conflict):
    code = "monthly_gift_cancelled"
    message = "This monthly gift was cancelled."
