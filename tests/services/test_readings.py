"""stored_readings: a meter's raw rows (export), unknown meters and quantities named."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.stores import open_store
from plantmeter.config import load_site
from plantmeter.errors import InputError
from plantmeter.store import SeriesRow
from services import stored_readings

SITE = Path(__file__).parents[2] / "examples" / "dairy" / "site.yaml"
T0 = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp() * 1000)


def test_rows_as_stored_and_bad_names_listed(tmp_path: Path) -> None:
    site = load_site(SITE, environ={})
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    try:
        store.write_rows(
            [
                SeriesRow("dairy", "main-elec", T0 + i * 60_000, {"energy_import_total": 10.0 + i})
                for i in range(5)
            ]
            + [
                SeriesRow("dairy", "old-boiler", T0, {"volume_total": 3.0})
            ]  # gone from the site file
        )
        rows = stored_readings(
            store, site, "main-elec", ["energy_import_total"], base_dir=SITE.parent
        )
        kept = stored_readings(store, site, "old-boiler")
        with pytest.raises(
            InputError, match=r"'boilr' is not in site 'dairy'.*also stored: old-boiler"
        ):
            stored_readings(store, site, "boilr")
        with pytest.raises(InputError, match=r"has no quantity 'energy_imported'; known: "):
            stored_readings(store, site, "main-elec", ["energy_imported"], base_dir=SITE.parent)
    finally:
        store.close()
    assert rows["energy_import_total"].tolist() == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert int(rows.index[0].value // 1_000_000) == T0
    assert kept["volume_total"].tolist() == [3.0]
