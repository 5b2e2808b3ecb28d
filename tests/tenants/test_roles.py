"""kro.tenants.roles and kro.tenants.keys: the pure rules (no database)."""

from __future__ import annotations

from kro.identity import keys
from kro.tenants import roles


def test_key_modes_per_role() -> None:
    allowed = {r: {m for m in roles.MODES if roles.can_manage_keys(r, m)} for r in roles.ROLES}
    assert allowed == {
        "owner": {"test", "live"},
        "admin": {"test", "live"},
        "developer": {"test"},
        "viewer": set(),
    }


def test_only_owners_touch_owners() -> None:
    assert roles.can_manage_member("owner", "owner", "admin")
    assert not roles.can_manage_member("admin", "owner")
    assert not roles.can_manage_member("admin", "viewer", "owner")
    assert roles.can_manage_member("admin", "viewer", "developer")
    assert not roles.can_manage_member("developer", "viewer", "viewer")


def test_generated_keys_parse_and_differ() -> None:
    a, b = keys.generate("test"), keys.generate("live")
    assert keys.parse(a.secret) == ("test", a.prefix) and keys.parse(b.secret) == ("live", b.prefix)
    assert a.digest == keys.digest(a.secret) and len(a.prefix) == keys.PREFIX_LENGTH
    assert keys.parse("sk_prod_" + "x" * 40) is None
    assert keys.parse("pk_test_" + "x" * 40) is None
