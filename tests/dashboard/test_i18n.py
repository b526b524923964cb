"""gettext from the start: the locale of each request (Accept-Language or the user's own)
reaches the API's messages and the templates."""

from __future__ import annotations

import gettext

import pytest
from fastapi.testclient import TestClient

from dashboard import i18n

from .conftest import bearer


class Marked(gettext.NullTranslations):
    """A stand-in catalogue that marks every message with its locale."""

    def __init__(self, locale: str) -> None:
        super().__init__()
        self.locale = locale

    def gettext(self, message: str) -> str:
        return f"[{self.locale}] {message}"


def test_negotiate_picks_the_best_available_locale() -> None:
    # the browser's country is kept (issue #15: es_GT and es_CO format numbers differently)
    assert i18n.negotiate("es-GT,es;q=0.9,en;q=0.5", ["en", "es", "pt"]) == "es_GT"
    assert i18n.negotiate("pt-BR", ["en", "es", "pt"]) == "pt_BR"
    assert i18n.negotiate("pt", ["en", "es", "pt"]) == "pt"
    assert i18n.negotiate("es-CO", None) == "es_CO"  # the shipped catalogues: es, pt_BR
    assert i18n.negotiate("de-DE,fr;q=0.8", ["en", "es"]) == "en"
    assert i18n.negotiate(None, ["en", "es"]) == "en"
    assert i18n.negotiate("es;q=abc, pt;q=0.4", ["en", "es", "pt"]) == "pt"
    assert i18n.negotiate("xx", None) == "en"
    assert i18n.available_locales() == ["en", "es", "pt_BR"]


def test_messages_and_pages_follow_the_request_locale(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(i18n, "translations_for", Marked)
    monkeypatch.setattr(i18n, "available_locales", lambda: ["en", "es"])
    headers = bearer(client, "ada") | {"Accept-Language": "es-GT,es;q=0.9"}
    r = client.get("/api/v1/sites/nowhere", headers=headers)
    assert r.status_code == 404 and r.json()["detail"].startswith("[es_GT] No site")
    assert client.get("/api/v1/me", headers=headers).json()["locale"] == "es_GT"
    page = client.get("/login", headers={"Accept-Language": "es"})
    assert "[es] Log in" in page.text and '<html lang="es">' in page.text
    assert "[en] Log in" in client.get("/login").text
