"""The Jinja2 environment of the pages (autoescaped, gettext wired in) and ``render_page``.

Every page template gets ``request``, ``user`` (None on the login page), ``csrf_token`` (the
session's, for every form: ``<input type="hidden" name="csrf_token" value="{{ csrf_token }}">``)
and ``locale``; ``base.html`` puts the logout form in the header when a user is logged in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape

from .i18n import DEFAULT_LOCALE, install_jinja

__all__ = ["TEMPLATE_DIR", "build_templates", "render_page"]

TEMPLATE_DIR = Path(__file__).parent / "templates"


def build_templates(directory: Path = TEMPLATE_DIR) -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(str(directory)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    install_jinja(env)
    return Jinja2Templates(env=env)


def render_page(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    csrf_token: str = "",
    user: Any = None,
) -> Response:
    """``name`` rendered with the page basics (see the module) plus ``context``."""
    templates: Jinja2Templates = request.app.state.templates
    base = {
        "user": user,
        "csrf_token": csrf_token,
        "locale": getattr(request.state, "locale", DEFAULT_LOCALE),
    }
    return templates.TemplateResponse(
        request, name, base | (context or {}), status_code=status_code
    )
