from __future__ import annotations

from pathlib import Path

from gateway.outbox import Outbox
from gateway.poller import next_boundary


def test_fifo_ack_and_state_survive_reopen(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    for i in range(5):
        box.put(
            "t", f"m{i}".encode(), i, meter_state=("main", i + 1, {"energy_import_total": float(i)})
        )
    first = box.after(0, 3)
    assert [m.payload for m in first] == [b"m0", b"m1", b"m2"]
    box.ack([first[0].id, first[1].id])
    box.close()
    box = Outbox(tmp_path / "o.db")
    assert box.depth == 3
    assert [m.payload for m in box.after(0, 10)] == [b"m2", b"m3", b"m4"]
    assert box.meter_state("main") == (5, {"energy_import_total": 4.0})
    assert box.meter_state("new") == (0, {})
    box.close()


def test_cap_policies(tmp_path: Path) -> None:
    oldest = Outbox(tmp_path / "a.db", max_messages=100, policy="drop-oldest")
    for i in range(120):
        assert oldest.put("t", str(i).encode(), i)
    assert oldest.depth == 100 and oldest.dropped == 20
    assert oldest.after(0, 1)[0].payload == b"20"
    oldest.close()
    newest = Outbox(tmp_path / "b.db", max_messages=100, policy="drop-newest")
    results = [newest.put("t", str(i).encode(), i) for i in range(120)]
    assert results.count(False) == 20 and newest.depth == 100
    assert newest.after(0, 1)[0].payload == b"0"
    newest.close()


def test_polls_align_to_wall_clock() -> None:
    assert next_boundary(1000.5, 60) == 1020.0
    assert next_boundary(1020.0, 60) == 1080.0
    assert next_boundary(7.2, 10) == 10.0


def test_a_failed_write_keeps_every_staged_reading_for_the_retry(tmp_path: Path) -> None:
    """A full disk (here SQLite's own page limit, the same SQLITE_FULL) must not drop what was staged."""
    import sqlite3

    import pytest

    box = Outbox(tmp_path / "o.db")
    box.put("t", b"first", 0, meter_state=("main", 1, {}))
    pages = box._db.execute("PRAGMA page_count").fetchone()[0]
    box._db.execute(f"PRAGMA max_page_count = {pages}")
    for i in range(200):
        box.stage("t", b"x" * 500 + str(i).encode(), i, meter_state=("main", i + 2, {}))
    with pytest.raises(sqlite3.OperationalError, match="full"):
        box.flush()
    assert box.staged == 200 and box.depth == 1
    box._db.execute("PRAGMA max_page_count = 1000000")
    assert box.flush() == 200
    assert box.depth == 201 and box.staged == 0
    assert box.meter_state("main")[0] == 201
    box.close()


def test_acknowledged_messages_are_kept_for_a_replay_then_purged(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.db")
    for i in range(4):
        box.put("t", f"m{i}".encode(), i)
    ids = [m.id for m in box.after(0, 10)]
    box.ack(ids[:3], now_ms=1_000)
    assert box.depth == 1 and [m.payload for m in box.after(0, 10)] == [b"m3"]
    box.ack(ids[:1], now_ms=2_000)  # a second PUBACK of one message changes nothing
    assert box.depth == 1
    # the broker crashed: what it acknowledged since 1000 ms goes out again, oldest first
    assert box.requeue(since_ms=1_000) == 3
    assert box.depth == 4 and [m.payload for m in box.after(0, 10)] == [b"m0", b"m1", b"m2", b"m3"]
    box.ack(ids, now_ms=5_000)
    box.purge(before_ms=5_000)
    assert box.requeue(since_ms=0) == 4  # kept until purged...
    box.ack(ids, now_ms=5_000)
    box.purge(before_ms=5_001)
    assert box.requeue(since_ms=0) == 0  # ...and gone after
    assert box.depth == 0
    box.close()
