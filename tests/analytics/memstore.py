"""An in-memory SeriesStore for unit tests of analytics.jobs.

The real stores have their own contract suite.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from plantmeter.store import DeadLetter, Flag, SeriesPoint, to_ms


class MemoryStore:
    def __init__(self) -> None:
        self.points: dict[tuple[str, str, str, int], float] = {}
        self.flags: dict[tuple[str, str, str, str, int], Flag] = {}
        self.letters: list[DeadLetter] = []

    def write_points(self, points: Sequence[SeriesPoint]) -> int:
        for p in points:
            self.points[(p.site, p.meter, p.quantity, p.ts_ms)] = p.value
        return len(points)

    def read(self, site, meter, quantities=None, start=None, end=None) -> pd.DataFrame:  # type: ignore[no-untyped-def]
        s, e = to_ms(start), to_ms(end)
        rows = [
            (q, t, v)
            for (si, me, q, t), v in self.points.items()
            if si == site
            and me == meter
            and (quantities is None or q in quantities)
            and (s is None or t >= s)
            and (e is None or t < e)
        ]
        if not rows:
            return pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC", name="timestamp"))
        df = pd.DataFrame(rows, columns=["q", "t", "v"]).pivot(index="t", columns="q", values="v")
        df.index = pd.to_datetime(df.index, unit="ms", utc=True).rename("timestamp")
        df.columns.name = None
        return df.sort_index()

    def meters(self, site=None) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
        return sorted({(s, m) for (s, m, _, _) in self.points if site is None or s == site})

    def write_flags(self, flags: Sequence[Flag]) -> int:
        for f in flags:
            self.flags[(f.site, f.meter, f.kind, f.quantity, f.start_ms)] = f
        return len(flags)

    def read_flags(self, site=None, meter=None, start=None, end=None) -> list[Flag]:  # type: ignore[no-untyped-def]
        s, e = to_ms(start), to_ms(end)
        out = [
            f
            for f in self.flags.values()
            if (site is None or f.site == site)
            and (meter is None or f.meter == meter)
            and (s is None or f.end_ms >= s)
            and (e is None or f.start_ms < e)
        ]
        return sorted(out, key=lambda f: f.start_ms)

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> int:
        self.letters += list(letters)
        return len(letters)

    def read_dead_letters(self, limit: int = 1000) -> list[DeadLetter]:
        return self.letters[-limit:]

    def close(self) -> None:
        pass
