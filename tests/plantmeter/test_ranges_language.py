"""The plausibility reasons and interval errors a CSV import shows, in the user's language, with
the locale's decimal mark (issue #15). Expected texts written out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from ingest.interval_use import interval_step
from plantmeter.errors import InputError
from plantmeter.i18n import use_locale
from plantmeter.ranges import check_values


def test_a_fahrenheit_file_read_as_celsius_is_named_in_colombian_spanish() -> None:
    with use_locale("es_CO"):
        reason = check_values("temperature", "°C", [74.0, 75.5, 76.0])
    assert reason == (
        "media 75,17 °C fuera del rango plausible -40…45 °C "
        "(mín. 74, máx. 76, media 75,1667, n 3); parece °F: convierta con °C = (°F − 32) × 5/9"
    )


def test_a_negative_counter_in_portuguese() -> None:
    with use_locale("pt_BR"):
        reason = check_values("volume_total", "m3", [-1.5, 2.0, 3.0], counter=True)
    assert reason is not None
    assert reason.startswith("1 valores negativos (mín. -1,5, máx. 3, média 1,16667, n 3)")
    assert "um contador acumulado nunca é negativo" in reason


def test_a_gap_in_interval_rows_in_spanish() -> None:
    index = pd.DatetimeIndex(["2025-03-01 00:00", "2025-03-01 00:15", "2025-03-01 00:45"], tz="UTC")
    with use_locale("es_MX"), pytest.raises(InputError) as caught:
        interval_step(index, None, "uso.csv")
    text = str(caught.value)
    assert text.startswith(
        "uso.csv: los intervalos duran 15m pero 1 separaciones difieren "
        "(después de 2025-03-01T00:15:00+00:00 la fila siguiente llega 30m más tarde)"
    )
    assert "faltan unos 1 intervalos" in text
    assert "agregue esas filas (0 si la planta estaba detenida)" in text
