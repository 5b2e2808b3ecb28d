"""Payments in review: an admin's decision on a charge the provider took for another amount or
currency than ours (``needs_review``)."""
