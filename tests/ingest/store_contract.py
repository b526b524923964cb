"""Behaviour every SeriesStore must have; each implementation's test module runs these."""

from __future__ import annotations

import pandas as pd

from plantmeter.store import DeadLetter, Flag, FlagRun, SeriesPoint, SeriesRow, SeriesStore

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def points(meter: str = "main-elec", n: int = 5, site: str = "dairy") -> list[SeriesPoint]:
    out = []
    for i in range(n):
        out.append(SeriesPoint(site, meter, "energy_import_total", T0 + i * 10_000, 100.0 + i))
        out.append(SeriesPoint(site, meter, "power_total", T0 + i * 10_000, 5000.0 + i))
    return out


def check_round_trip(store: SeriesStore) -> None:
    assert store.write_points(points()) == 10
    frame = store.read("dairy", "main-elec")
    assert list(frame.columns) == ["energy_import_total", "power_total"]
    assert frame.index.name == "timestamp"
    assert str(frame.index.tz) == "UTC"
    assert frame.index[0] == pd.Timestamp(T0, unit="ms", tz="UTC")
    assert frame["energy_import_total"].tolist() == [100.0, 101.0, 102.0, 103.0, 104.0]


def check_idempotent(store: SeriesStore) -> None:
    store.write_points(points())
    store.write_points(points())
    frame = store.read("dairy", "main-elec")
    assert len(frame) == 5


def check_rows_are_points(store: SeriesStore) -> None:
    """A row is the same as a point per value: same frame, and the two forms overwrite each other."""
    rows = [SeriesRow("dairy", "main-elec", T0 + i * 10_000,
                      {"energy_import_total": 100.0 + i, "power_total": 5000.0 + i}) for i in range(5)]
    assert store.write_rows(rows) == 10
    assert store.write_rows([SeriesRow("dairy", "main-elec", T0, {})]) == 0
    from_rows = store.read("dairy", "main-elec")
    store.write_points(points())
    pd.testing.assert_frame_equal(store.read("dairy", "main-elec"), from_rows)
    store.write_rows([SeriesRow("dairy", "main-elec", T0, {"power_total": 1.5})])
    frame = store.read("dairy", "main-elec")
    assert len(frame) == 5
    assert frame["power_total"].iloc[0] == 1.5
    assert frame["energy_import_total"].iloc[0] == 100.0  # a row carrying one quantity keeps the others


def check_numpy_scalars_are_numbers(store: SeriesStore) -> None:
    """Analytics hands over numpy scalars; they are stored as the numbers they are."""
    import numpy as np

    store.write_points([SeriesPoint("dairy", "np", "power_total", np.int64(T0), np.float64(2.5))])
    store.write_rows([SeriesRow("dairy", "np", np.int64(T0 + 1000), {"power_total": np.float32(3.5)})])
    frame = store.read("dairy", "np")
    assert frame.index.tolist() == [pd.Timestamp(T0, unit="ms", tz="UTC"), pd.Timestamp(T0 + 1000, unit="ms", tz="UTC")]
    assert frame["power_total"].tolist() == [2.5, 3.5]


def check_filters(store: SeriesStore) -> None:
    store.write_points(points())
    store.write_points(points(meter="compressor"))
    frame = store.read(
        "dairy", "main-elec", ["power_total"],
        start=pd.Timestamp(T0 + 10_000, unit="ms", tz="UTC"),
        end=pd.Timestamp(T0 + 40_000, unit="ms", tz="UTC"),
    )
    assert list(frame.columns) == ["power_total"]
    assert frame["power_total"].tolist() == [5001.0, 5002.0, 5003.0]
    assert store.meters("dairy") == [("dairy", "compressor"), ("dairy", "main-elec")]
    assert store.read("dairy", "nothing-here").empty


def check_flags(store: SeriesStore) -> None:
    flag = Flag("dairy", "cip-water", "leak", T0, T0 + 3_600_000, "warning", "night flow 0.4 m3/h", "flow_rate", "leak")
    store.write_flags([flag])
    store.write_flags([flag])
    assert store.read_flags(site="dairy") == [flag]
    assert store.read_flags(meter="other") == []


def check_flag_costs(store: SeriesStore) -> None:
    """An excess flag keeps its excess and cost a day; a data fault has neither."""
    excess = Flag("dairy", "cip-water", "excess", T0, T0 + 86_400_000, "warning", "0.3 m³/h more",
                  "volume_total", "excess_use", excess_per_day=7.25, cost_per_day=15.225)
    fault = Flag("dairy", "cip-water", "stuck", T0, T0 + 1000, "warning", "stuck", "volume_total", "stuck")
    store.write_flags([excess, fault])
    assert set(store.read_flags(site="dairy")) == {excess, fault}
    got = {f.kind: f for f in store.read_flags(site="dairy")}
    assert got["excess"].cost_per_day == 15.225 and got["excess"].excess_per_day == 7.25
    assert got["stuck"].cost_per_day is None and got["stuck"].excess_per_day is None


def check_flag_runs(store: SeriesStore) -> None:
    """A flag run says flags were computed over a window: the mark of "no flags" vs "never computed"."""
    assert store.read_flag_runs("dairy") == []
    a = FlagRun("dairy", "cip-water", T0, T0 + 86_400_000, T0 + 90_000_000)
    b = FlagRun("dairy", "cip-water", T0, T0 + 2 * 86_400_000, T0 + 180_000_000)  # same start, longer
    c = FlagRun("dairy", "main-elec", T0 + 1000, T0 + 86_400_000, T0 + 90_000_000)
    assert store.write_flag_runs([c, a, b]) == 3
    again = FlagRun("dairy", "cip-water", T0, T0 + 86_400_000, T0 + 95_000_000)
    store.write_flag_runs([again])  # the same window computed again: one record, the last time
    assert store.read_flag_runs("dairy") == [again, b, c]
    assert store.read_flag_runs("dairy", "main-elec") == [c]
    assert store.read_flag_runs("other") == []


def check_dead_letters(store: SeriesStore) -> None:
    letter = DeadLetter(T0, "plantmeter/dairy/x/reading", "not_json", "payload is not JSON", b"\xff")
    store.write_dead_letters([letter])
    assert store.read_dead_letters() == [letter]


ALL_CHECKS = [check_round_trip, check_idempotent, check_rows_are_points, check_numpy_scalars_are_numbers,
              check_filters, check_flags, check_flag_costs, check_flag_runs, check_dead_letters]
