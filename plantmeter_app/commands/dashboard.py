"""``plantmeter user add|list|remove|passwd`` and ``plantmeter serve``: the dashboard's users
and the dashboard itself (uvicorn over the sites' store, opened read-only)."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from pathlib import Path
from typing import Any

from plantmeter.i18n import _

__all__ = ["read_password", "register"]

logger = logging.getLogger(__name__)

PASSWORD_ENV = "PLANTMETER_PASSWORD"


def read_password(username: str) -> str:
    """``PLANTMETER_PASSWORD``, else a prompt (asked twice) on the terminal; never echoed."""
    from plantmeter.errors import ConfigError

    if PASSWORD_ENV in os.environ:
        password = os.environ[PASSWORD_ENV]
    elif sys.stdin.isatty():
        password = getpass.getpass(_("password for {user}: ").format(user=username))
        if password and getpass.getpass(_("again: ")) != password:
            raise ConfigError(_("the two passwords differ; run the command again"))
    else:
        raise ConfigError(
            _(
                "no password: set {variable} or run the command on a terminal to be asked for one"
            ).format(variable=PASSWORD_ENV)
        )
    if not password:
        raise ConfigError(
            _("the password is empty; give one ({variable} or the prompt)").format(
                variable=PASSWORD_ENV
            )
        )
    return password


def _users(args: argparse.Namespace) -> Any:
    from dashboard.settings import default_data_dir
    from dashboard.users import UserStore

    data_dir = args.data_dir if args.data_dir is not None else default_data_dir()
    return UserStore(Path(data_dir) / "users.db")


def _add(args: argparse.Namespace) -> int:
    from dashboard.users import check_username

    check_username(args.username)
    password = read_password(args.username)
    with _users(args) as users:
        u = users.add_user(
            args.username,
            password,
            args.role,
            sites=args.site,
            loans=args.loan,
            email=args.email,
            locale=args.locale,
        )
        print(
            _("user {user} added: {role}{scope} ({path})").format(
                user=u.username, role=u.role.value, scope=_scope(u), path=users.path
            )
        )
    return 0


def _scope(u: Any) -> str:
    parts = []
    if u.sites:
        parts.append(_("sites {ids}").format(ids=", ".join(u.sites)))
    if u.loans:
        parts.append(_("loans {ids}").format(ids=", ".join(u.loans)))
    return "; " + "; ".join(parts) if parts else ""


def _list(args: argparse.Namespace) -> int:
    with _users(args) as users:
        rows = users.users()
        if not rows:
            print(
                _(
                    "no users yet in {path}; add one with `plantmeter user add NAME --role admin`"
                ).format(path=users.path)
            )
            return 0
        print(f"{_('username'):<20} {_('role'):<14} {_('sites'):<24} {_('loans'):<24} {_('email')}")
        for u in rows:
            print(
                f"{u.username:<20} {u.role.value:<14} {','.join(u.sites) or '-':<24} "
                f"{','.join(u.loans) or '-':<24} {u.email or '-'}"
            )
    return 0


def _remove(args: argparse.Namespace) -> int:
    with _users(args) as users:
        users.remove_user(args.username)
    print(_("user {user} removed (their sessions and tokens too)").format(user=args.username))
    return 0


def _passwd(args: argparse.Namespace) -> int:
    with _users(args) as users:
        users.user(args.username)  # an unknown user fails before the prompt
        users.set_password(args.username, read_password(args.username))
    print(
        _("password of {user} changed; their sessions and tokens were ended").format(
            user=args.username
        )
    )
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from dashboard import DashboardSettings, create_app
    from dashboard.context import DashboardContext
    from dashboard.settings import default_data_dir
    from ingest.stores import open_store
    from plantmeter.errors import ConfigError

    settings = DashboardSettings(
        sites=tuple(args.sites),
        plans=tuple(args.plan),
        data_dir=args.data_dir if args.data_dir is not None else default_data_dir(),
        secure_cookies=not args.insecure_cookies,
    )
    url = _store_url(args.sites, args.plan)
    store = open_store(url, read_only=True)  # the dashboard only reads (the same store as ingest)
    try:
        context = DashboardContext.load(settings.sites, settings.plans, store)
        app = create_app(settings, store, context=context)
        if not args.insecure_cookies and args.host not in ("127.0.0.1", "localhost", "::1"):
            logger.info(
                _(
                    "cookies are Secure: serve behind HTTPS, or pass --insecure-cookies on a "
                    "plain-HTTP plant LAN"
                )
            )
        shown = f"[{args.host}]" if ":" in args.host else args.host
        logger.info(
            _(
                "dashboard at {url} (OpenAPI at /api/v1/openapi.json) over {store}; users in "
                "{users}; Ctrl-C stops"
            ).format(url=f"http://{shown}:{args.port}/", store=_safe(url), users=settings.users_db)
        )
        config = uvicorn.Config(
            app, host=args.host, port=args.port, log_config=None, access_log=False, lifespan="on"
        )
        server = uvicorn.Server(config)
        try:
            server.run()
        except KeyboardInterrupt:  # uvicorn shut down cleanly, then re-raised the Ctrl-C
            pass
        except OSError as exc:
            raise ConfigError(
                _("cannot listen on {address}: {error}; choose --port").format(
                    address=f"{args.host}:{args.port}", error=exc.strerror
                )
            ) from exc
    finally:
        store.close()
    logger.info(_("dashboard stopped"))
    return 0


def _store_url(sites: list[Path], plans: list[Path]) -> str:
    """The one store every site and plan reads (PLANTMETER_STORE_URL overrides); ConfigError if they differ."""
    from plantmeter.config import load_site
    from plantmeter.errors import ConfigError
    from reports.load import load_plan

    urls = {str(p): load_site(p).store.url for p in sites}
    urls |= {str(p): load_plan(p).store_url for p in plans}
    distinct = set(urls.values())
    if len(distinct) > 1:
        listed = "; ".join(f"{k}: {_safe(v)}" for k, v in urls.items())
        raise ConfigError(
            _(
                "the sites and plans name different stores ({stores}): serve the sites of one "
                "store together (one `plantmeter serve` per store), or set PLANTMETER_STORE_URL"
            ).format(stores=listed)
        )
    return distinct.pop()


def _safe(url: str) -> str:
    import re

    return re.sub(r"//[^@/]*@", "//***@", url)


def register(subparsers: Any) -> None:
    """Add ``user`` (add, list, remove, passwd) and ``serve`` to the ``plantmeter`` parser."""
    from dashboard.roles import ROLES
    from dashboard.settings import DEFAULT_DATA_DIR_HELP

    data_help = _("folder of users.db (default {default})").format(default=DEFAULT_DATA_DIR_HELP)
    p = subparsers.add_parser("user", help=_("dashboard users: add, list, remove, passwd"))
    sub = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = sub.add_parser(
        "add",
        help=_("add a user (password from PLANTMETER_PASSWORD or a prompt)"),
        description=_(
            "Add a dashboard user. admin sees everything; plant_manager and auditor see the "
            "sites given with --site; financier sees only the loans given with --loan."
        ),
    )
    add.add_argument("username", help=_("the login name"))
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--site", action="append", default=[], metavar="ID", help=_("a site they see (repeat)")
    )
    add.add_argument(
        "--loan", action="append", default=[], metavar="ID", help=_("a loan they fund (repeat)")
    )
    add.add_argument("--email", metavar="ADDRESS")
    add.add_argument(
        "--locale",
        metavar="LOCALE",
        help=_(
            "their language and number format: es_GT, es_MX, es_CO, pt_BR, en (default: the "
            "browser's Accept-Language on the dashboard, the site's site.locale in e-mails)"
        ),
    )
    add.set_defaults(func=_add)
    ls = sub.add_parser("list", help=_("list the users"))
    ls.set_defaults(func=_list)
    rm = sub.add_parser("remove", help=_("remove a user with their sessions and tokens"))
    rm.add_argument("username", help=_("the login name"))
    rm.set_defaults(func=_remove)
    pw = sub.add_parser(
        "passwd", help=_("set a new password (ends the user's sessions and tokens)")
    )
    pw.add_argument("username", help=_("the login name"))
    pw.set_defaults(func=_passwd)
    for s in (add, ls, rm, pw):
        s.add_argument("--data-dir", type=Path, default=None, help=data_help)

    serve = subparsers.add_parser(
        "serve",
        help=_("run the dashboard (uvicorn) over the sites' store, read-only"),
        description=_(
            "Serve the dashboard and its JSON API for the given sites (and their M&V plans: "
            "options, savings, loans). The store named by the site files (PLANTMETER_STORE_URL "
            "overrides) is opened read-only: run it beside `plantmeter ingest`. Stop with Ctrl-C."
        ),
    )
    serve.add_argument("sites", nargs="+", type=Path, metavar="SITE.yaml")
    serve.add_argument("--plan", action="append", default=[], type=Path, metavar="PLAN.yaml")
    serve.add_argument(
        "--host", default="127.0.0.1", help=_("address to listen on (default 127.0.0.1)")
    )
    serve.add_argument("--port", type=int, default=8000, help=_("port (default 8000)"))
    serve.add_argument("--data-dir", type=Path, default=None, help=data_help)
    serve.add_argument(
        "--insecure-cookies",
        action="store_true",
        help=_(
            "session cookies without the Secure flag, for a plain-HTTP plant LAN (default: Secure, HTTPS)"
        ),
    )
    serve.set_defaults(func=_serve)
