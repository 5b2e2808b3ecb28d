"""An idempotent create costs two transactions: the claim (committed first, so that a twin in
any process meets it), then the request's own, in which the work and its stored response
commit together."""

from __future__ import annotations

from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from sqlalchemy import event, select

from kro.idempotency.models import IdempotencyKey
from kro.settings import Settings
from tests.idempotency.app import create_test_app
from tests.support.api import data, register_and_login


async def test_the_work_and_its_stored_response_commit_together(settings: Settings) -> None:
    app = create_test_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://kro.test") as client:
            alice = await register_and_login(client, "alice@example.com")
            log: list[tuple[str, bool]] = []  # (what, inside a transaction SQLAlchemy began)

            def executed(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
                autocommit = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
                log.append((" ".join(statement.split()[:3]), not autocommit))

            def committed(conn: Any) -> None:
                log.append(("COMMIT", True))

            engine = app.state.engine.sync_engine
            event.listen(engine, "before_cursor_execute", executed)
            event.listen(engine, "commit", committed)
            r = await client.post(
                "/v1/test/slow-tenants",
                json={"name": "Shop"},
                headers=alice | {"Idempotency-Key": "k-1"},
            )
            data(r, 201)
            event.remove(engine, "before_cursor_execute", executed)
            event.remove(engine, "commit", committed)

            async with app.state.sessions() as s:
                row = (await s.execute(select(IdempotencyKey))).scalar_one()
            assert row.status == "done" and row.response_body == r.content

    claim = next(i for i, (what, _) in enumerate(log) if what.startswith("INSERT INTO idempotency"))
    work = next(i for i, (what, _) in enumerate(log) if what.startswith("INSERT INTO tenants"))
    store = next(i for i, (what, _) in enumerate(log) if what.startswith("UPDATE idempotency"))
    assert claim < work < store
    # The work and the stored response are in one transaction, committed once after both.
    assert [what for what, _ in log[work:store] if what == "COMMIT"] == []
    assert log[-1][0] == "COMMIT"
    # The claim is committed on its own: alone in autocommit (PostgreSQL: one statement, its
    # own transaction), or by a COMMIT before the work starts (SQLite). Two in all.
    claim_alone = not log[claim][1]
    commits = [what for what, _ in log[claim:] if what == "COMMIT"]
    assert len(commits) + (1 if claim_alone else 0) == 2
