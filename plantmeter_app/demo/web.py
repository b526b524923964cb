"""The demo's dashboard process: ``plantmeter serve``'s app plus one page, ``/demo/mail``, the
e-mails the demo's mail sink received (each user sees those sent to their address; an admin
sees all). Run as ``python -m plantmeter_app.demo.web SITE PLAN DATA_DIR PORT [LANG]`` by
``plantmeter demo``: a process of its own, so report rendering never holds up the gateway."""

# no `from __future__ import annotations`: FastAPI reads the route's annotation (PageUser,
# imported inside _app) when the route is defined
import html
import logging
import sys
from pathlib import Path
from typing import Any

__all__ = ["mail_page", "main"]

logger = logging.getLogger(__name__)


def mail_page(mails: list[Any], who: str) -> str:
    """The mail sink's page (plain HTML on the dashboard's stylesheet)."""
    rows = []
    for m in mails:
        attached = (
            f"<p>Attached: {html.escape(', '.join(m.attachments))}</p>" if m.attachments else ""
        )
        rows.append(
            f"<article class='card'><h3>{html.escape(m.subject)}</h3>"
            f"<p>To {html.escape(', '.join(m.recipients))} · {html.escape(m.date)}</p>"
            f"<pre>{html.escape(m.text)}</pre>{attached}</article>"
        )
    body = "\n".join(rows) or "<p>No e-mail yet: the alert service sends its first round soon.</p>"
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>Demo mail</title>"
        "<link rel='stylesheet' href='/static/css/dashboard.css'></head><body><main>"
        f"<p><a href='/'>← dashboard</a></p><h1>E-mail sent by the alert service</h1>"
        f"<p>What the demo's mail sink received for {html.escape(who)}, newest first "
        "(nothing leaves this machine).</p>"
        f"{body}</main></body></html>"
    )


def _app(site: Path, plan: Path, data_dir: Path, store: Any) -> Any:
    from fastapi.responses import HTMLResponse

    from dashboard import DashboardSettings, create_app
    from dashboard.context import DashboardContext
    from dashboard.deps import PageUser

    from .mail import stored_mail

    settings = DashboardSettings(
        sites=(site,), plans=(plan,), data_dir=data_dir, secure_cookies=False
    )
    app = create_app(settings, store, context=DashboardContext.load((site,), (plan,), store))

    @app.get("/demo/mail", response_class=HTMLResponse, include_in_schema=False)
    def demo_mail(user: PageUser) -> HTMLResponse:
        everyone = user.role.value == "admin"
        mails = stored_mail(data_dir / "mail", None if everyone else (user.email or "-"))
        return HTMLResponse(mail_page(mails, "everyone" if everyone else user.username))

    return app


def main(argv: list[str] | None = None) -> int:
    import uvicorn

    from ingest.stores import open_store
    from plantmeter.config import load_site
    from plantmeter_app.runtime import configure_logging

    args = sys.argv[1:] if argv is None else argv
    site, plan, data_dir, port = Path(args[0]), Path(args[1]), Path(args[2]), int(args[3])
    configure_logging(args[4] if len(args) > 4 else "INFO")
    store = open_store(load_site(site).store.url, read_only=True)
    try:
        app = _app(site, plan, data_dir, store)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"
        )
        try:
            uvicorn.Server(config).run()
        except KeyboardInterrupt:
            pass
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
