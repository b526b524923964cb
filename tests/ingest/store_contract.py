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
    rows = [
        SeriesRow(
            "dairy",
            "main-elec",
            T0 + i * 10_000,
            {"energy_import_total": 100.0 + i, "power_total": 5000.0 + i},
        )
        for i in range(5)
    ]
    assert store.write_rows(rows) == 10
    assert store.write_rows([SeriesRow("dairy", "main-elec", T0, {})]) == 0
    from_rows = store.read("dairy", "main-elec")
    store.write_points(points())
    pd.testing.assert_frame_equal(store.read("dairy", "main-elec"), from_rows)
    store.write_rows([SeriesRow("dairy", "main-elec", T0, {"power_total": 1.5})])
    frame = store.read("dairy", "main-elec")
    assert len(frame) == 5
    assert frame["power_total"].iloc[0] == 1.5
    assert (
        frame["energy_import_total"].iloc[0] == 100.0
    )  # a row carrying one quantity keeps the others


def check_numpy_scalars_are_numbers(store: SeriesStore) -> None:
    """Analytics hands over numpy scalars; they are stored as the numbers they are."""
    import numpy as np

    store.write_points([SeriesPoint("dairy", "np", "power_total", np.int64(T0), np.float64(2.5))])
    store.write_rows(
        [SeriesRow("dairy", "np", np.int64(T0 + 1000), {"power_total": np.float32(3.5)})]
    )
    frame = store.read("dairy", "np")
    assert frame.index.tolist() == [
        pd.Timestamp(T0, unit="ms", tz="UTC"),
        pd.Timestamp(T0 + 1000, unit="ms", tz="UTC"),
    ]
    assert frame["power_total"].tolist() == [2.5, 3.5]


def check_filters(store: SeriesStore) -> None:
    store.write_points(points())
    store.write_points(points(meter="compressor"))
    frame = store.read(
        "dairy",
        "main-elec",
        ["power_total"],
        start=pd.Timestamp(T0 + 10_000, unit="ms", tz="UTC"),
        end=pd.Timestamp(T0 + 40_000, unit="ms", tz="UTC"),
    )
    assert list(frame.columns) == ["power_total"]
    assert frame["power_total"].tolist() == [5001.0, 5002.0, 5003.0]
    assert store.meters("dairy") == [("dairy", "compressor"), ("dairy", "main-elec")]
    assert store.read("dairy", "nothing-here").empty


def check_flags(store: SeriesStore) -> None:
    flag = Flag(
        "dairy",
        "cip-water",
        "leak",
        T0,
        T0 + 3_600_000,
        "warning",
        "night flow 0.4 m3/h",
        "flow_rate",
        "leak",
    )
    store.write_flags([flag])
    store.write_flags([flag])
    assert store.read_flags(site="dairy") == [flag]
    assert store.read_flags(meter="other") == []


def check_flag_costs(store: SeriesStore) -> None:
    """An excess flag keeps its excess and cost a day; a data fault has neither."""
    excess = Flag(
        "dairy",
        "cip-water",
        "excess",
        T0,
        T0 + 86_400_000,
        "warning",
        "0.3 m³/h more",
        "volume_total",
        "excess_use",
        excess_per_day=7.25,
        cost_per_day=15.225,
    )
    fault = Flag(
        "dairy", "cip-water", "stuck", T0, T0 + 1000, "warning", "stuck", "volume_total", "stuck"
    )
    store.write_flags([excess, fault])
    assert set(store.read_flags(site="dairy")) == {excess, fault}
    got = {f.kind: f for f in store.read_flags(site="dairy")}
    assert got["excess"].cost_per_day == 15.225 and got["excess"].excess_per_day == 7.25
    assert got["stuck"].cost_per_day is None and got["stuck"].excess_per_day is None


def check_flag_messages(store: SeriesStore) -> None:
    """A flag keeps its message (the reason as a message id and parameters, to be shown in the
    reader's language) beside its English reason; a flag without one reads back ''."""
    said = '{"id":"{n} identical readings ({value}): meter or register stuck","params":{"n":12}}'
    stuck = Flag(
        "dairy", "cip-water", "stuck", T0, T0 + 1000, "warning", "12 identical readings (0.3): "
        "meter or register stuck", "volume_total", "stuck", message=said,
    )  # fmt: skip
    plain = Flag("dairy", "main-elec", "gap", T0, T0 + 5000, "warning", "no reading", "", "gaps")
    store.write_flags([stuck, plain])
    got = {f.kind: f for f in store.read_flags(site="dairy")}
    assert got["stuck"].message == said and got["stuck"] == stuck
    assert got["gap"].message == "" and got["gap"] == plain


def check_flag_runs(store: SeriesStore) -> None:
    """A flag run says flags were computed over a window: the mark of "no flags" vs "never computed"."""
    assert store.read_flag_runs("dairy") == []
    a = FlagRun("dairy", "cip-water", T0, T0 + 86_400_000, T0 + 90_000_000)
    b = FlagRun(
        "dairy", "cip-water", T0, T0 + 2 * 86_400_000, T0 + 180_000_000
    )  # same start, longer
    c = FlagRun("dairy", "main-elec", T0 + 1000, T0 + 86_400_000, T0 + 90_000_000)
    assert store.write_flag_runs([c, a, b]) == 3
    again = FlagRun("dairy", "cip-water", T0, T0 + 86_400_000, T0 + 95_000_000)
    store.write_flag_runs([again])  # the same window computed again: one record, the last time
    assert store.read_flag_runs("dairy") == [again, b, c]
    assert store.read_flag_runs("dairy", "main-elec") == [c]
    assert store.read_flag_runs("other") == []


def check_dead_letters(store: SeriesStore) -> None:
    letter = DeadLetter(
        T0, "plantmeter/dairy/x/reading", "not_json", "payload is not JSON", b"\xff"
    )
    store.write_dead_letters([letter])
    assert store.read_dead_letters() == [letter]


ALL_CHECKS = [
    check_round_trip,
    check_idempotent,
    check_rows_are_points,
    check_numpy_scalars_are_numbers,
    check_filters,
    check_flags,
    check_flag_costs,
    check_flag_messages,
    check_flag_runs,
    check_dead_letters,
]


# -- latest values and aggregated reads (the same closed forms on every store) ---------------

MINUTE, HOUR, DAY = 60_000, 3_600_000, 86_400_000


def minute_rows(n: int, meter: str = "main-elec", t0: int = T0) -> list[SeriesRow]:
    """A counter rising 1 a minute (1000, 1001, ...) and a saw power_total (minute of the hour)."""
    return [
        SeriesRow(
            "dairy",
            meter,
            t0 + i * MINUTE,
            {"energy_import_total": 1000.0 + i, "power_total": float(i % 60)},
        )
        for i in range(n)
    ]


def check_hourly_buckets_of_a_counter(store: SeriesStore) -> None:
    """A counter rising 1 a minute: 60 readings an hour, use 60 an hour (closed form)."""
    from analytics.buckets import use_per_bucket

    store.write_rows(minute_rows(180))
    frame = store.read_buckets("dairy", "main-elec", "1h")
    assert frame.index.name == "timestamp" and str(frame.index.tz) == "UTC"
    assert frame.index.tolist() == [
        pd.Timestamp(T0 + h * HOUR, unit="ms", tz="UTC") for h in range(3)
    ]
    assert list(frame.columns.get_level_values(0).unique()) == [
        "energy_import_total",
        "power_total",
    ]
    energy = frame["energy_import_total"]
    assert list(energy.columns) == ["first", "last", "min", "max", "mean", "count"]
    assert energy["count"].tolist() == [60, 60, 60] and str(energy["count"].dtype) == "int64"
    assert energy["first"].tolist() == [1000.0, 1060.0, 1120.0]
    assert energy["last"].tolist() == [1059.0, 1119.0, 1179.0]
    assert energy["min"].tolist() == energy["first"].tolist()
    assert energy["max"].tolist() == energy["last"].tolist()
    assert energy["mean"].tolist() == [1029.5, 1089.5, 1149.5]
    power = frame["power_total"]
    assert power["min"].tolist() == [0.0] * 3 and power["max"].tolist() == [59.0] * 3
    assert power["mean"].tolist() == [29.5] * 3
    use = use_per_bucket(energy["last"])
    assert use.isna().tolist() == [True, False, False] and use.iloc[1:].tolist() == [60.0, 60.0]
    assert use_per_bucket(energy["last"], before=999.0).tolist() == [60.0, 60.0, 60.0]


def check_buckets_range_widths_and_quantities(store: SeriesStore) -> None:
    store.write_rows(minute_rows(180))
    half = store.read_buckets(
        "dairy",
        "main-elec",
        1800,
        ["power_total"],
        start=pd.Timestamp(T0 + 45 * MINUTE, unit="ms", tz="UTC"),
        end=pd.Timestamp(T0 + 135 * MINUTE, unit="ms", tz="UTC"),
    )
    assert list(half.columns.get_level_values(0).unique()) == ["power_total"]
    assert half.index.tolist() == [
        pd.Timestamp(T0 + k * 30 * MINUTE, unit="ms", tz="UTC") for k in (1, 2, 3, 4)
    ]
    assert half[("power_total", "count")].tolist() == [15, 30, 30, 15]  # [start, end) cuts the ends
    assert half[("power_total", "first")].tolist() == [45.0, 0.0, 30.0, 0.0]
    assert half[("power_total", "last")].tolist() == [59.0, 29.0, 59.0, 14.0]
    asked = store.read_buckets("dairy", "main-elec", "1D", ["voltage_l1", "energy_import_total"])
    assert list(asked.columns.get_level_values(0).unique()) == ["voltage_l1", "energy_import_total"]
    assert (
        asked[("voltage_l1", "count")].tolist() == [0]
        and asked[("voltage_l1", "mean")].isna().all()
    )
    assert asked[("energy_import_total", "count")].tolist() == [180]
    assert asked[("energy_import_total", "last")].tolist() == [1179.0]
    assert store.read_buckets("dairy", "nothing-here", "1h").empty


def check_buckets_in_local_days(store: SeriesStore) -> None:
    """Guatemala is UTC-6 all year: its days start at 06:00 UTC."""
    rows = [
        SeriesRow("dairy", "m", T0 + h * HOUR, {"energy_import_total": float(h)}) for h in range(48)
    ]
    store.write_rows(rows)
    frame = store.read_buckets("dairy", "m", "1D", tz="America/Guatemala")
    assert frame.index.tolist() == [
        pd.Timestamp(T0 + d * DAY - 18 * HOUR, unit="ms", tz="UTC") for d in range(3)
    ]
    assert frame[("energy_import_total", "count")].tolist() == [6, 24, 18]
    assert frame[("energy_import_total", "last")].tolist() == [5.0, 29.0, 47.0]
    utc = store.read_buckets("dairy", "m", "1D")
    assert utc[("energy_import_total", "count")].tolist() == [24, 24]
    assert utc[("energy_import_total", "mean")].tolist() == [11.5, 35.5]
    kolkata = store.read_buckets("dairy", "m", "1D", tz="Asia/Kolkata")  # UTC+5:30: not on the hour
    midnights = [T0 - 5 * HOUR - HOUR // 2 + d * DAY for d in range(3)]
    assert kolkata.index.tolist() == [pd.Timestamp(t, unit="ms", tz="UTC") for t in midnights]
    assert kolkata[("energy_import_total", "count")].tolist() == [19, 24, 5]


def check_local_days_across_a_dst_change(store: SeriesStore) -> None:
    """Madrid moves to summer time on 2026-03-29: that local day has 23 hours."""
    t0 = int(pd.Timestamp("2026-03-28T00:00Z").value // 1_000_000)
    store.write_rows(
        [
            SeriesRow("dairy", "m", t0 + h * HOUR, {"energy_import_total": float(h)})
            for h in range(72)
        ]
    )
    frame = store.read_buckets("dairy", "m", "1D", tz="Europe/Madrid")
    assert frame.index.tolist() == [
        pd.Timestamp(d, tz="Europe/Madrid").tz_convert("UTC")
        for d in ("2026-03-28", "2026-03-29", "2026-03-30", "2026-03-31")
    ]
    assert frame[("energy_import_total", "count")].tolist() == [23, 23, 24, 2]
    assert frame[("energy_import_total", "last")].tolist() == [22.0, 45.0, 69.0, 71.0]


def check_bad_bucket_widths_are_named(store: SeriesStore) -> None:
    import pytest

    from plantmeter.errors import StoreError

    store.write_rows(minute_rows(2))
    for every, match in (
        ("1M", "fixed duration"),
        (0, "positive"),
        ("1.5ms", "whole number"),
        ("tomorrow", "fixed"),
    ):
        with pytest.raises(StoreError, match=match):
            store.read_buckets("dairy", "main-elec", every)
    with pytest.raises(StoreError, match="every='1D'"):
        store.read_buckets("dairy", "main-elec", "1h", tz="America/Guatemala")


def check_latest(store: SeriesStore) -> None:
    store.write_rows(minute_rows(30))
    store.write_rows(minute_rows(10, meter="compressor"))
    store.write_points([SeriesPoint("dairy", "main-elec", "power_total", T0 + 40 * MINUTE, 7.5)])
    store.write_points(
        [SeriesPoint("other-site", "main-elec", "power_total", T0 + 50 * MINUTE, 1.0)]
    )
    got = store.latest("dairy")
    assert [(v.meter, v.quantity, v.ts_ms, v.value) for v in got] == [
        ("compressor", "energy_import_total", T0 + 9 * MINUTE, 1009.0),
        ("compressor", "power_total", T0 + 9 * MINUTE, 9.0),
        ("main-elec", "energy_import_total", T0 + 29 * MINUTE, 1029.0),
        ("main-elec", "power_total", T0 + 40 * MINUTE, 7.5),
    ]
    assert all(v.site == "dairy" for v in got)
    store.write_points(
        [SeriesPoint("dairy", "compressor", "power_total", T0 + 9 * MINUTE, -1.0)]
    )  # redelivered
    only = store.latest("dairy", ["compressor"])
    assert [(v.quantity, v.value) for v in only] == [
        ("energy_import_total", 1009.0),
        ("power_total", -1.0),
    ]
    assert store.latest("dairy", []) == [] and store.latest("nowhere") == []


def check_last_write_wins_across_days(store: SeriesStore) -> None:
    """Bulk writes, single late writes and rewrites of old days: one value per key, the last."""
    three_days = minute_rows(3 * 1440)
    store.write_rows(three_days)
    store.write_points(
        [SeriesPoint("dairy", "main-elec", "power_total", T0 + 5 * MINUTE, 500.0)]
    )  # late fix
    store.write_rows(minute_rows(3, t0=T0 + 3 * DAY))  # a new day starts
    frame = store.read(
        "dairy", "main-elec", ["power_total"], end=pd.Timestamp(T0 + DAY, unit="ms", tz="UTC")
    )
    assert len(frame) == 1440 and frame["power_total"].iloc[5] == 500.0
    store.write_rows(three_days[:1440])  # the whole first day re-imported: its values win again
    assert store.read("dairy", "main-elec", ["power_total"])["power_total"].iloc[5] == 5.0
    store.write_points([SeriesPoint("dairy", "main-elec", "power_total", T0 + 6 * MINUTE, 600.0)])
    full = store.read("dairy", "main-elec")
    assert len(full) == 3 * 1440 + 3 and full.index.is_unique and full.index.is_monotonic_increasing
    days = store.read_buckets("dairy", "main-elec", "1D", ["power_total"])
    assert days[("power_total", "count")].tolist() == [1440, 1440, 1440, 3]
    assert days[("power_total", "max")].tolist() == [600.0, 59.0, 59.0, 2.0]
    assert days[("power_total", "mean")].iloc[1] == 29.5


ALL_CHECKS += [
    check_hourly_buckets_of_a_counter,
    check_buckets_range_widths_and_quantities,
    check_buckets_in_local_days,
    check_local_days_across_a_dst_change,
    check_bad_bucket_widths_are_named,
    check_latest,
    check_last_write_wins_across_days,
]
