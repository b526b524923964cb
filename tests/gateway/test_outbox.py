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
