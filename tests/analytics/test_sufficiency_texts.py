"""The data-sufficiency findings (CalTRACK's rules, EnPI Lite's driver range) read in the
report's language, while the JSON keeps English (issue #15). Expected texts by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.api import _reasons
from analytics.sufficiency import check_driver_range, check_period
from plantmeter.errors import DataSufficiencyError
from plantmeter.i18n import N_, use_locale
from plantmeter.text import Text


def _days(start: str, n: int) -> pd.DataFrame:
    index = pd.date_range(start, periods=n, freq="D", tz="UTC")
    return pd.DataFrame({"usage": np.linspace(10.0, 20.0, n), "coverage": 1.0}, index=index)


def test_a_short_baseline_is_named_in_spanish_and_portuguese_and_english_in_json() -> None:
    frame = _days("2025-01-01", 200)
    period = (frame.index[0], frame.index[0] + pd.Timedelta(days=200))
    (short,) = [w for w in check_period(frame, period, "daily", "baseline") if w.disqualifying]
    with use_locale("es_GT"):
        assert short.shown() == (
            "el período de línea base dura 200 días; se requieren 365 para que se vean todas "
            "las estaciones (CalTRACK 2.2.1). Extiéndalo o use allow_disqualified=True"
        )
    with use_locale("pt_BR"):
        assert short.shown().startswith("o período da linha de base tem 200 dias; são exigidos 365")
    assert short.to_dict()["description"].startswith("the baseline period is 200 days")
    assert short.to_dict()["message"]["id"].startswith("the {period} is {days} days")


def test_a_driver_outside_the_baseline_range_in_colombian_numbers() -> None:
    base = pd.DataFrame({"temperature": [10.5, 12.0, 14.0, 16.0]})
    rep = pd.DataFrame({"temperature": [30.25, 31.0]})
    (w,) = check_driver_range(base, rep, ["temperature"], "daily")
    with use_locale("es_CO"):
        text = w.shown()
    assert text.startswith(
        "temperatura fuera del rango de la línea base en 100% de los días del período de "  # CLDR es_CO: no space
        "reporte (2 de 2); su media del período de reporte, 30,62, está fuera de los límites"
    ), text
    assert "[10,5; 16]" in text and text.endswith("; la cifra está extrapolada")


def test_the_refusal_keeps_its_english_message_and_carries_the_translatable_text() -> None:
    frame = _days("2025-01-01", 200)
    period = (frame.index[0], frame.index[0] + pd.Timedelta(days=200))
    bad = [w for w in check_period(frame, period, "daily", "baseline") if w.disqualifying]
    text = Text(N_("baseline data not sufficient: {reasons}"), reasons=_reasons(bad))
    exc = DataSufficiencyError(text.english(), text)
    assert str(exc).startswith("baseline data not sufficient: the baseline period is 200 days")
    with use_locale("es_MX"):
        assert str(exc.text).startswith("datos insuficientes en la línea base: el período")
    with pytest.raises(DataSufficiencyError, match="not sufficient"):
        raise exc
