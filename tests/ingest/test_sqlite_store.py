from __future__ import annotations

from pathlib import Path

import pytest

from ingest.stores import SqliteStore, open_store
from plantmeter.errors import ConfigError, StoreError
from plantmeter.store import Flag, SeriesPoint, SeriesRow
from tests.ingest import store_contract


@pytest.mark.parametrize("check", store_contract.ALL_CHECKS, ids=lambda c: c.__name__)
def test_sqlite_store_contract(tmp_path: Path, check) -> None:
    store = SqliteStore(tmp_path / "s.db")
    try:
        check(store)
    finally:
        store.close()


def test_open_store_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///var/a.db")
    assert isinstance(store, SqliteStore) and store.path == Path("var/a.db")
    store.close()
    absolute = open_store(f"sqlite:///{tmp_path}/b.db")
    assert isinstance(absolute, SqliteStore) and absolute.path == tmp_path / "b.db"
    absolute.close()
    with pytest.raises(ConfigError, match="unknown scheme"):
        open_store("postgres://x")


def test_wal_mode(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "w.db")
    try:
        mode = store._db.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"
    finally:
        store.close()


def test_a_value_that_is_not_a_number_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    rows = [SeriesRow("dairy", "m", store_contract.T0, {"power_total": 1.0, "frequency": "fifty"})]
    with pytest.raises(StoreError, match=r"dairy/m frequency: .*'fifty' must both be numbers"):
        store.write_rows(rows)
    assert store.read("dairy", "m").empty
    store.close()


def test_a_store_from_before_flag_costs_opens_and_keeps_its_flags(tmp_path: Path) -> None:
    """A store file written before flags carried excess and cost gets the columns on open."""
    import sqlite3

    from plantmeter.store import Flag

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE flags (site TEXT NOT NULL, meter TEXT NOT NULL, kind TEXT NOT NULL, "
        "quantity TEXT NOT NULL, start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, "
        "severity TEXT NOT NULL, reason TEXT NOT NULL, detector TEXT NOT NULL, "
        "PRIMARY KEY (site, meter, kind, quantity, start_ms));"
        "INSERT INTO flags VALUES ('dairy','m','gap','',1,2,'warning','no reading','comm_gaps');"
    )
    db.commit()
    db.close()
    store = SqliteStore(path)
    try:
        assert store.read_flags("dairy") == [
            Flag("dairy", "m", "gap", 1, 2, "warning", "no reading", "", "comm_gaps")
        ]
        store.write_flags(
            [Flag("dairy", "m", "excess", 5, 6, "warning", "more", "", "excess_use", 1.0, 2.0)]
        )
        assert store.read_flags("dairy")[-1].cost_per_day == 2.0
    finally:
        store.close()


# -- schema version 2, migration, durability, create=False and read-only ---------------------

V1_SCHEMA = """
CREATE TABLE readings (
    site TEXT NOT NULL, meter TEXT NOT NULL, quantity TEXT NOT NULL,
    ts INTEGER NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (site, meter, quantity, ts)
) WITHOUT ROWID;
CREATE TABLE flags (
    site TEXT NOT NULL, meter TEXT NOT NULL, kind TEXT NOT NULL, quantity TEXT NOT NULL,
    start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, severity TEXT NOT NULL,
    reason TEXT NOT NULL, detector TEXT NOT NULL,
    PRIMARY KEY (site, meter, kind, quantity, start_ms)
);
CREATE TABLE dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT, received_ms INTEGER NOT NULL, topic TEXT NOT NULL,
    reason TEXT NOT NULL, detail TEXT NOT NULL, payload BLOB NOT NULL
);
"""


def _v1_file(path: Path, n: int) -> None:
    """A store file as PlantMeter wrote it before schema version 2 (one row per value)."""
    import sqlite3

    db = sqlite3.connect(path)
    db.executescript(V1_SCHEMA)
    t0 = store_contract.T0
    rows = [
        ("dairy", m, q, t0 + i * 60_000, 1000.0 + i + k)
        for m in ("main-elec", "compressor")
        for k, q in enumerate(("energy_import_total", "power_total"))
        for i in range(n)
    ]
    db.executemany("INSERT INTO readings VALUES (?,?,?,?,?)", rows)
    db.execute("INSERT INTO flags VALUES ('dairy','main-elec','gap','',1,2,'info','gap','gaps')")
    db.commit()
    db.close()


def test_a_version_1_file_is_migrated_on_open_with_everything_in_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    _v1_file(path, 3000)  # two days and a bit of minutes: several blocks per series
    with pytest.raises(StoreError, match="old .*schema.*open it once for writing"):
        SqliteStore(path, read_only=True)
    with caplog.at_level("WARNING", logger="ingest.stores.sqlite_schema"):
        store = SqliteStore(path)
    assert (
        "migrating 12000 readings to version 2" in caplog.text and "migrated: 12000" in caplog.text
    )
    try:
        frame = store.read("dairy", "compressor")
        assert list(frame.columns) == ["energy_import_total", "power_total"] and len(frame) == 3000
        assert frame["power_total"].iloc[-1] == 1000.0 + 2999 + 1
        assert store.meters() == [("dairy", "compressor"), ("dairy", "main-elec")]
        assert len(store.read_flags()) == 1
        store.write_points(store_contract.points(n=2))  # and it is writable as version 2
    finally:
        store.close()
    db = sqlite3.connect(path)
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2 and "readings" not in tables
    db.close()
    caplog.clear()
    SqliteStore(path).close()  # once only
    assert "migrating" not in caplog.text


def test_a_new_file_records_schema_version_2_and_a_newer_one_is_refused(tmp_path: Path) -> None:
    import sqlite3

    SqliteStore(tmp_path / "s.db").close()
    db = sqlite3.connect(tmp_path / "s.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 2
    db.execute("PRAGMA user_version=3")
    db.close()
    with pytest.raises(StoreError, match="schema version 3, newer .*upgrade PlantMeter"):
        SqliteStore(tmp_path / "s.db")


def test_writes_are_durable_full_sync_unless_asked_otherwise(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path}/d.db")
    scratch = open_store(f"sqlite:///{tmp_path}/n.db?durable=false")
    try:
        assert isinstance(store, SqliteStore) and isinstance(scratch, SqliteStore)
        assert store._db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert scratch._db.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    finally:
        store.close()
        scratch.close()
    with pytest.raises(ConfigError, match="durable=true or durable=false"):
        open_store(f"sqlite:///{tmp_path}/d.db?durable=maybe")
    with pytest.raises(ConfigError, match="unknown parameter"):
        open_store(f"sqlite:///{tmp_path}/d.db?mode=rw")


def test_create_false_names_the_missing_file_and_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "plantmeter.db"
    for kwargs in ({"create": False}, {"read_only": True}):
        with pytest.raises(StoreError, match=rf"no SQLite store at {missing}: check the store URL"):
            open_store(f"sqlite:///{missing}", **kwargs)
    assert not missing.exists() and not missing.parent.exists()
    missing.parent.mkdir()
    missing.touch()  # an empty file is not a store either
    with pytest.raises(StoreError, match="empty file, not a PlantMeter store"):
        open_store(f"sqlite:///{missing}", create=False)
    (tmp_path / "notes.db").write_text("not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a SQLite store"):
        open_store(f"sqlite:///{tmp_path}/notes.db", create=False)


def test_read_only_store_reads_and_refuses_every_write(tmp_path: Path) -> None:
    from plantmeter.store import DeadLetter, Flag

    writer = SqliteStore(tmp_path / "s.db")
    writer.write_points(store_contract.points(n=3))
    reader = open_store(f"sqlite:///{tmp_path}/s.db", read_only=True)
    try:
        assert len(reader.read("dairy", "main-elec")) == 3
        writer.write_points(store_contract.points(n=4))  # a writer goes on beside the reader
        assert len(reader.read("dairy", "main-elec")) == 4
        T0 = store_contract.T0
        for write in (
            lambda: reader.write_points(store_contract.points(n=1)),
            lambda: reader.write_rows([SeriesRow("dairy", "m", T0, {"p": 1.0})]),
            lambda: reader.write_flags([Flag("dairy", "m", "gap", T0, T0 + 1, "info", "r")]),
            lambda: reader.write_dead_letters([DeadLetter(T0, "t", "r", "d", b"")]),
        ):
            with pytest.raises(
                StoreError, match="open read-only; open it without read_only to write"
            ):
                write()
        assert len(reader.read("dairy", "main-elec")) == 4
    finally:
        reader.close()
        writer.close()


def test_a_year_of_minutes_fits_in_under_16_bytes_a_value(tmp_path: Path) -> None:
    """Measured on a month of float32-like readings of 4 quantities (the bench does the year)."""
    import numpy as np

    rng = np.random.default_rng(7)
    n = 31 * 1440
    t0 = store_contract.T0
    cols = {
        "voltage_l1": np.float32(230 + rng.normal(0, 1.5, n)),
        "power_total": np.float32(5000 + rng.normal(0, 300, n)),
        "energy_import_total": np.float32(12345 + np.cumsum(rng.uniform(0, 0.1, n))),
        "frequency": np.float32(50 + rng.normal(0, 0.02, n)),
    }
    store = SqliteStore(tmp_path / "m.db")
    try:
        for day in range(31):
            sl = slice(day * 1440, (day + 1) * 1440)
            store.write_rows(
                [
                    SeriesRow(
                        "dairy", "m", t0 + i * 60_000, {q: float(v[i]) for q, v in cols.items()}
                    )
                    for i in range(sl.start, sl.stop)
                ]
            )
        back = store.read("dairy", "m")
        assert back.shape == (n, 4) and back["voltage_l1"].iloc[-1] == float(cols["voltage_l1"][-1])
    finally:
        store.close()
    size = (tmp_path / "m.db").stat().st_size + sum(
        p.stat().st_size for p in tmp_path.glob("m.db-*")
    )
    assert size / (4 * n) < 16


def test_readings_written_one_by_one_are_folded_into_a_block_when_their_day_is_over(
    tmp_path: Path,
) -> None:
    """Ingest writes a message at a time: those rows wait in ``recent``, then become one block."""
    t0 = store_contract.T0
    store = SqliteStore(tmp_path / "s.db")
    try:
        for i in range(0, 1440 + 30, 10):  # every 10 minutes, past midnight
            store.write_rows(
                [SeriesRow("dairy", "m", t0 + i * 60_000, {"p": float(i), "e": 1.0 * i})]
            )
        count = lambda table: store._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: E731
        assert (
            count("blocks") == 2 and count("recent") == 2 * 3
        )  # day 1 folded; 3 rows of day 2 wait
        store.write_points(
            [SeriesPoint("dairy", "m", "p", t0 + 20 * 60_000, -5.0)]
        )  # late, into day 1
        frame = store.read("dairy", "m")
        assert len(frame) == 147 and frame["p"].iloc[2] == -5.0 and frame["p"].iloc[-1] == 1460.0
        buckets = store.read_buckets("dairy", "m", "1D", ["p"])
        assert buckets[("p", "min")].tolist() == [-5.0, 1440.0]
        assert buckets[("p", "count")].tolist() == [144, 3]
    finally:
        store.close()


def test_threads_writing_and_reading_at_once_store_every_value_once(tmp_path: Path) -> None:
    """One store shared by writer threads (one reading at a time, across midnight, and bulk
    days) and a reader: nothing lost, nothing doubled, reads never fail mid-fold."""
    import threading

    t0 = store_contract.T0
    store = SqliteStore(tmp_path / "s.db")
    errors: list[BaseException] = []
    done = threading.Event()

    def write(meter: str, bulk: bool) -> None:
        try:
            if bulk:
                for day in range(2):
                    store.write_rows(
                        store_contract.minute_rows(1440, meter=meter, t0=t0 + day * 86_400_000)
                    )
            else:
                for i in range(0, 2 * 1440, 30):
                    store.write_rows([SeriesRow("dairy", meter, t0 + i * 60_000, {"p": float(i)})])
        except BaseException as exc:  # noqa: BLE001  (reported below)
            errors.append(exc)

    def read() -> None:
        try:
            while not done.is_set():
                store.read("dairy", "one-by-one")
                store.read_buckets("dairy", "bulk", "1h")
                store.latest("dairy")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    writers = [
        threading.Thread(target=write, args=(m, b))
        for m, b in (("one-by-one", False), ("bulk", True))
    ]
    reader = threading.Thread(target=read)
    for t in [*writers, reader]:
        t.start()
    for t in writers:
        t.join()
    done.set()
    reader.join()
    try:
        assert not errors
        assert len(store.read("dairy", "one-by-one")) == 2 * 1440 // 30
        bulk = store.read_buckets("dairy", "bulk", "1D", ["energy_import_total"])
        assert bulk[("energy_import_total", "count")].tolist() == [1440, 1440]
    finally:
        store.close()


def test_a_version_2_file_without_flag_messages_reads_and_gains_the_column(tmp_path: Path) -> None:
    """Flags stored before messages existed: a read-only open (a report) reads them with no
    message (their English reason is shown), and the first open for writing adds the column."""
    import sqlite3

    path = tmp_path / "before-messages.db"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE flags DROP COLUMN message")
    db.execute(
        "INSERT INTO flags VALUES ('dairy','main-elec','gap','',1,2,'info','no reading for 2 h',"
        "'comm_gaps',NULL,NULL)"
    )
    db.commit()
    db.close()
    reader = SqliteStore(path, read_only=True)
    try:
        (old,) = reader.read_flags()
        assert (old.reason, old.message) == ("no reading for 2 h", "")
    finally:
        reader.close()
    writer = SqliteStore(path)
    try:
        flag = Flag(
            "dairy", "m", "stuck", 5, 6, "warning", "stuck", "", "stuck", message='{"id":"x"}'
        )
        writer.write_flags([flag])
        assert flag in writer.read_flags()
    finally:
        writer.close()
