"""pydantic's messages for the mistakes people make in a YAML file, in the user's language, with
the values pydantic named (issue #15); a message pydantic words differently stays as it is."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field

from plantmeter.errors import ConfigError
from plantmeter.i18n import use_locale
from plantmeter.yamlconf import load_yaml_model


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    poll: float = Field(default=1.0, gt=0.5)
    retries: int = 3
    mode: Literal["live", "history"] = "live"


@pytest.mark.parametrize(
    ("locale", "text", "expected"),
    [
        ("es_CO", "poll: 0.2\n", "poll: El valor debe ser mayor que 0,5"),
        ("pt_BR", "poll: 0.2\n", "poll: O valor deve ser maior que 0,5"),
        ("es_MX", "poll: 0.2\n", "poll: El valor debe ser mayor que 0.5"),
        (
            "es_GT",
            "retries: tres\n",
            "retries: El valor debe ser un número entero; el texto no se puede leer como entero",
        ),
        ("pt_BR", "mode: replay\n", "mode: O valor deve ser 'live' ou 'history'"),
        ("en", "poll: 0.2\n", "poll: Input should be greater than 0.5"),
    ],
)
def test_pydantic_messages_in_the_users_language(
    tmp_path: Path, locale: str, text: str, expected: str
) -> None:
    path = tmp_path / "settings.yaml"
    path.write_text(text)
    with use_locale(locale), pytest.raises(ConfigError) as caught:
        load_yaml_model(path, Settings)
    assert f"{path}:1: {expected}" in str(caught.value), str(caught.value)
