"""The links in each area's navigation bar. A module adds its own when its pages are
imported (``navigation.add("app", "Orders", "/orders")``), so the shared layout names no
product."""

from __future__ import annotations

from dataclasses import dataclass

AREAS = ("app", "admin", "dashboard")


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    href: str
    order: int


_links: dict[str, list[Link]] = {area: [] for area in AREAS}


def add(area: str, label: str, href: str, *, order: int = 50) -> None:
    """Show ``label`` → ``href`` in ``area``'s bar (lower ``order`` first; idempotent)."""
    link = Link(label, href, order)
    if link not in _links[area]:
        _links[area].append(link)
        _links[area].sort(key=lambda item: (item.order, item.label))


def links(area: str) -> list[Link]:
    return list(_links.get(area, []))


def current(area: str, path: str) -> str | None:
    """The link of ``area`` the page at ``path`` belongs to: the longest ``href`` that is the
    path or a folder above it (``/wallet`` on ``/wallet/withdraw``, ``/orders/new`` on itself)."""
    found = [
        link.href
        for link in _links.get(area, [])
        if path == link.href or path.startswith(link.href.rstrip("/") + "/")
    ]
    return max(found, key=len) if found else None
