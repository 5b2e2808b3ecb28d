"""``kro demo pensions`` (both scenarios) against the whole platform on a real port: it must
exit 0 and its checks must hold."""

from __future__ import annotations

import pytest

from kro.demo import pensions
from tests.support.platform import run_platform


@pytest.mark.parametrize("scenario", pensions.SCENARIOS)
def test_the_pensions_demo_succeeds(
    scenario: str,
    db_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox_db = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('sandbox')}/sandbox.db"
    with run_platform(db_url, sandbox_db) as platform:
        code = pensions.run(
            platform.base_url,
            platform.settings.admin_email,
            platform.settings.admin_password,
            scenario,
        )
        assert code == 0, capsys.readouterr().out
    assert f"Pensions demo ({scenario}) succeeded" in capsys.readouterr().out
