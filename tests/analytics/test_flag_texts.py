"""The detectors' sentences in the reader's language: a flag stores its reason in English and
as a message, and the message reads in Spanish and Portuguese with the locale's numbers and
month names. Expected sentences are written out by hand from the catalogues' wording."""

from __future__ import annotations

import pandas as pd

from analytics.anomalies import Target, comm_gaps, counter_events, stuck
from analytics.flagref import Costing, when_text
from plantmeter.i18n import use_locale
from plantmeter.store import Flag
from plantmeter.text import stored

TG = Target("dairy", "cip-water", "volume_total")
HOURS = pd.date_range("2025-10-01", periods=12, freq="h", tz="UTC")


def _said(flag: Flag, locale: str) -> str:
    with use_locale(locale):
        return stored(flag.message, flag.reason)


def test_a_stuck_meter() -> None:
    (flag,) = stuck(TG, pd.Series([1234.5] * 12, index=HOURS))
    assert flag.reason == "12 identical readings (1234.5): meter or register stuck"
    assert _said(flag, "es_CO") == "12 lecturas idénticas (1234,5): medidor o registro trabado"
    assert _said(flag, "pt_BR") == "12 leituras idênticas (1234,5): medidor ou registrador travado"
    assert _said(flag, "es_GT") == "12 lecturas idénticas (1234.5): medidor o registro trabado"


def test_a_communication_gap_in_hours_and_minutes() -> None:
    index = pd.DatetimeIndex([HOURS[0], HOURS[0] + pd.Timedelta(minutes=90)])
    (flag,) = comm_gaps(TG, index, pd.Timedelta(minutes=30))
    assert flag.reason == "no reading for 1 h 30 min (limit 30 min)"
    assert _said(flag, "es_GT") == "sin lecturas durante 1 h 30 min (límite 30 min)"
    assert _said(flag, "pt_BR") == "sem leituras durante 1 h 30 min (limite 30 min)"


def test_a_counter_reset() -> None:
    counter = pd.Series([98000.0, 98001.5, 0.4], index=HOURS[:3])
    (flag,) = counter_events(TG, counter)
    assert flag.kind == "counter_reset"
    assert _said(flag, "pt_BR") == (
        "o contador caiu de 98001,5 para 0,4: medidor zerado ou substituído; o consumo deste "
        "intervalo é desconhecido e fica de fora"
    )
    assert _said(flag, "es_CO").startswith("el contador bajó de 98001,5 a 0,4: medidor reiniciado")


def test_money_a_day_and_local_times() -> None:
    water = Costing.for_kind("water", currency="GTQ")
    with use_locale("es_CO"):
        assert str(water.per_day_text(7.2, 1515.2)) == "≈ 1.515 GTQ al día"
        assert str(water.per_day_text(1234.5, None)) == "≈ 1.234 m³ al día"
    with use_locale("pt_BR"):
        assert str(water.per_day_text(7.2, 2.25)) == "≈ 2,2 GTQ por dia"
    ms = int(pd.Timestamp("2025-10-01 08:00", tz="UTC").timestamp() * 1000)
    assert when_text(ms, "America/Guatemala").english() == "02:00 on 1 Oct 2025"
    with use_locale("es_GT"):
        assert str(when_text(ms, "America/Guatemala")) == "02:00 del 1 oct 2025"
    with use_locale("pt_BR"):
        assert str(when_text(ms, "America/Guatemala")) == "02:00 de 1 out. 2025"
