"""Who may do what in a tenant (seed 003 section 7.3), as data and pure functions.

- owner: everything, including owners and ownership;
- admin: the team (except owners) and both modes' keys;
- developer: test-mode keys only;
- viewer: read only.

A mode's configuration and money (providers, routing rules, webhook endpoints, refunds,
reconciliation runs) follow its keys: whoever may hold a mode's keys may act in that mode.
"""

from __future__ import annotations

from typing import Literal

Role = Literal["owner", "admin", "developer", "viewer"]
Mode = Literal["test", "live"]
ROLES: tuple[Role, ...] = ("owner", "admin", "developer", "viewer")
MODES: tuple[Mode, ...] = ("test", "live")

_KEY_MODES: dict[str, frozenset[str]] = {
    "owner": frozenset(MODES),
    "admin": frozenset(MODES),
    "developer": frozenset({"test"}),
    "viewer": frozenset(),
}


def can_manage_team(role: str) -> bool:
    """Invite, change roles, remove members."""
    return role in ("owner", "admin")


def can_manage_member(actor_role: str, target_role: str, new_role: str | None = None) -> bool:
    """Whether ``actor_role`` may change (to ``new_role``) or remove a ``target_role`` member:
    only owners touch owners or make owners."""
    if not can_manage_team(actor_role):
        return False
    if "owner" in (target_role, new_role):
        return actor_role == "owner"
    return True


def can_manage_keys(role: str, mode: str) -> bool:
    """Create, rotate, revoke keys of ``mode``."""
    return mode in _KEY_MODES.get(role, frozenset())


def can_configure(role: str, mode: str) -> bool:
    """Change ``mode``'s providers, routing rules and webhook endpoints, refund its payments,
    run its reconciliation: the roles that manage its keys (a key can do all of it anyway)."""
    return can_manage_keys(role, mode)


def can_read_audit_log(role: str) -> bool:
    """Owners and admins read the tenant's audit log."""
    return can_manage_team(role)


def visible_key_modes(role: str) -> frozenset[str]:
    """Which modes' keys a role sees listed: developers only test keys; viewers read all."""
    return frozenset({"test"}) if role == "developer" else frozenset(MODES)
