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

__all__ = ["read_password", "register"]

logger = logging.getLogger(__name__)

PASSWORD_ENV = "PLANTMETER_PASSWORD"


def read_password(username: str) -> str:
    """``PLANTMETER_PASSWORD``, else a prompt (asked twice) on the terminal; never echoed."""
    from plantmeter.errors import ConfigError

    if PASSWORD_ENV in os.environ:
        password = os.environ[PASSWORD_ENV]
    elif sys.stdin.isatty():
        password = getpass.getpass(f"password for {username}: ")
        if password and getpass.getpass("again: ") != password:
            raise ConfigError("the two passwords differ; run the command again")
    else:
        raise ConfigError(
            f"no password: set {PASSWORD_ENV} or run the command on a terminal to be asked for one"
        )
    if not password:
        raise ConfigError(f"the password is empty; give one ({PASSWORD_ENV} or the prompt)")
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
        print(f"user {u.username} added: {u.role.value}{_scope(u)} ({users.path})")
    return 0


def _scope(u: Any) -> str:
    parts = []
    if u.sites:
        parts.append("sites " + ", ".join(u.sites))
    if u.loans:
        parts.append("loans " + ", ".join(u.loans))
    return "; " + "; ".join(parts) if parts else ""


def _list(args: argparse.Namespace) -> int:
    with _users(args) as users:
        rows = users.users()
        if not rows:
            print(
                f"no users yet in {users.path}; add one with `plantmeter user add NAME --role admin`"
            )
            return 0
        print(f"{'username':<20} {'role':<14} {'sites':<24} {'loans':<24} email")
        for u in rows:
            print(
                f"{u.username:<20} {u.role.value:<14} {','.join(u.sites) or '-':<24} "
                f"{','.join(u.loans) or '-':<24} {u.email or '-'}"
            )
    return 0


def _remove(args: argparse.Namespace) -> int:
    with _users(args) as users:
        users.remove_user(args.username)
    print(f"user {args.username} removed (their sessions and tokens too)")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    with _users(args) as users:
        users.user(args.username)  # an unknown user fails before the prompt
        users.set_password(args.username, read_password(args.username))
    print(f"password of {args.username} changed; their sessions and tokens were ended")
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
                "cookies are Secure: serve behind HTTPS, or pass --insecure-cookies on a plain-HTTP plant LAN"
            )
        shown = f"[{args.host}]" if ":" in args.host else args.host
        logger.info(
            "dashboard at http://%s:%d/ (OpenAPI at /api/v1/openapi.json) over %s; users in %s; Ctrl-C stops",
            shown,
            args.port,
            _safe(url),
            settings.users_db,
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
                f"cannot listen on {args.host}:{args.port}: {exc.strerror}; choose --port"
            ) from exc
    finally:
        store.close()
    logger.info("dashboard stopped")
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
            f"the sites and plans name different stores ({listed}): serve the sites of one store "
            "together (one `plantmeter serve` per store), or set PLANTMETER_STORE_URL"
        )
    return distinct.pop()


def _safe(url: str) -> str:
    import re

    return re.sub(r"//[^@/]*@", "//***@", url)


def register(subparsers: Any) -> None:
    """Add ``user`` (add, list, remove, passwd) and ``serve`` to the ``plantmeter`` parser."""
    from dashboard.roles import ROLES
    from dashboard.settings import DEFAULT_DATA_DIR_HELP

    data_help = f"folder of users.db (default {DEFAULT_DATA_DIR_HELP})"
    p = subparsers.add_parser("user", help="dashboard users: add, list, remove, passwd")
    sub = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = sub.add_parser(
        "add",
        help="add a user (password from PLANTMETER_PASSWORD or a prompt)",
        description="Add a dashboard user. admin sees everything; plant_manager and auditor see the "
        "sites given with --site; financier sees only the loans given with --loan.",
    )
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument(
        "--site", action="append", default=[], metavar="ID", help="a site they see (repeat)"
    )
    add.add_argument(
        "--loan", action="append", default=[], metavar="ID", help="a loan they fund (repeat)"
    )
    add.add_argument("--email", metavar="ADDRESS")
    add.add_argument(
        "--locale",
        metavar="LOCALE",
        help="their language and number format: es_GT, es_MX, es_CO, pt_BR, en (default: the "
        "browser's Accept-Language on the dashboard, the site's site.locale in e-mails)",
    )
    add.set_defaults(func=_add)
    ls = sub.add_parser("list", help="list the users")
    ls.set_defaults(func=_list)
    rm = sub.add_parser("remove", help="remove a user with their sessions and tokens")
    rm.add_argument("username")
    rm.set_defaults(func=_remove)
    pw = sub.add_parser("passwd", help="set a new password (ends the user's sessions and tokens)")
    pw.add_argument("username")
    pw.set_defaults(func=_passwd)
    for s in (add, ls, rm, pw):
        s.add_argument("--data-dir", type=Path, default=None, help=data_help)

    serve = subparsers.add_parser(
        "serve",
        help="run the dashboard (uvicorn) over the sites' store, read-only",
        description="Serve the dashboard and its JSON API for the given sites (and their M&V plans: "
        "options, savings, loans). The store named by the site files (PLANTMETER_STORE_URL "
        "overrides) is opened read-only: run it beside `plantmeter ingest`. Stop with Ctrl-C.",
    )
    serve.add_argument("sites", nargs="+", type=Path, metavar="SITE.yaml")
    serve.add_argument("--plan", action="append", default=[], type=Path, metavar="PLAN.yaml")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--data-dir", type=Path, default=None, help=data_help)
    serve.add_argument(
        "--insecure-cookies",
        action="store_true",
        help="session cookies without the Secure flag, for a plain-HTTP plant LAN (default: Secure, HTTPS)",
    )
    serve.set_defaults(func=_serve)
