"""services.accounts: the alert service reads the users and acknowledgements the dashboard wrote
(one SQLite file, two processes), without the dashboard package."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.users import UserStore
from plantmeter.errors import ConfigError
from services.accounts import AccountStore, Role, check_email


def test_accounts_read_what_the_dashboard_wrote(tmp_path: Path) -> None:
    path = tmp_path / "data" / "users.db"
    with UserStore(path, clock=lambda: 1000.0) as users:
        users.add_user("ana", "pw-ana", "plant_manager", sites=["dairy"], email="ana@dairy.example")
        users.add_user("fin", "pw-fin", "financier", loans=["loan-1"])
        users.acknowledge("dairy", "cip-water", "level_shift", "volume", 123, "ana", "valve fixed")
        with AccountStore(path) as accounts:
            assert [(u.username, u.role, u.email) for u in accounts.users()] == [
                ("ana", Role.plant_manager, "ana@dairy.example"),
                ("fin", Role.financier, None),
            ]
            acks = accounts.acknowledgements("dairy")
            assert [(a.meter, a.start_ms, a.username) for a in acks] == [("cip-water", 123, "ana")]
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("bad", ["ana", "@dairy.example", "ana@", "ana @dairy.example"])
def test_a_bad_address_is_refused_with_the_form_to_write(bad: str) -> None:
    with pytest.raises(ConfigError, match="name@example.org"):
        check_email(bad)
