"""``kro demo giving`` against the whole platform (API, worker, sandboxes) on a real port:
every scenario exits 0 and its checks (totals, receipt text, refunds, the ledger invariant
asked of the server) hold."""

from __future__ import annotations

import pytest

from kro.demo import giving
from tests.support.platform import run_platform


@pytest.mark.parametrize("scenario", giving.SCENARIOS)
def test_the_giving_demo_succeeds(
    scenario: str,
    db_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox_db = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sandbox')}/sandbox.db"
    with run_platform(db_url, sandbox_db) as platform:
        code = giving.run(
            platform.base_url, "admin@kro.example.com", "kro-admin-dev-password", scenario
        )
        assert code == 0, capsys.readouterr().out
    assert "Ledger invariant holds" in capsys.readouterr().out
