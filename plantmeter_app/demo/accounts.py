"""The demo's dashboard users: one per role, with the password from ``PLANTMETER_PASSWORD``
or a fresh random one each run (printed with the dashboard's address)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from plantmeter.i18n import _

from .sitefile import DEMO_EMAILS

__all__ = ["DemoUser", "demo_users", "ensure_users"]

PASSWORD_ENV = "PLANTMETER_PASSWORD"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    sites: tuple[str, ...] = ()
    loans: tuple[str, ...] = ()

    @property
    def email(self) -> str:
        return DEMO_EMAILS[self.username]

    def describe(self) -> str:
        scope = ", ".join(
            (
                *(_("site {id}").format(id=s) for s in self.sites),
                *(_("loan {id}").format(id=x) for x in self.loans),
            )
        )
        return f"{self.role}" + (f" ({scope})" if scope else "")


def demo_users(site: str, loan: str) -> tuple[DemoUser, ...]:
    """admin; the site's plant manager and its CP-centre auditor; the financier of ``loan``."""
    return (
        DemoUser("admin", "admin"),
        DemoUser("manager", "plant_manager", sites=(site,)),
        DemoUser("lender", "financier", loans=(loan,)),
        DemoUser("auditor", "auditor", sites=(site,)),
    )


def ensure_users(users_db: Path, users: tuple[DemoUser, ...], locale: str | None = None) -> str:
    """Create the users (or reset their passwords: a run prints the one it set), in ``locale``
    (``--lang``: their pages and e-mails in it; None: each browser's language); the password."""
    from dashboard.users import UserStore

    password = os.environ.get(PASSWORD_ENV) or secrets.token_urlsafe(9)
    with UserStore(users_db) as store:
        known = {u.username for u in store.users()}
        for u in users:
            if u.username in known:
                store.set_password(u.username, password)
                store.set_locale(u.username, locale)
            else:
                store.add_user(
                    u.username, password, u.role, sites=u.sites, loans=u.loans, email=u.email,
                    locale=locale,
                )  # fmt: skip
    return password
