"""The chaos run's counting, on hand-made records (the run itself: tests/bench/test_chaos.py)."""

from __future__ import annotations

from bench.chaos_count import count_meter, recovery_seconds


def test_lost_duplicated_foreign_and_excused_are_told_apart() -> None:
    served = [(float(t), 100.0 + t / 10) for t in range(10)]
    stored = [(t * 1000, 100.0 + t / 10) for t in (0, 1, 2, 4, 6, 7, 8, 9)]
    stored += [(99_000, 100.1), (50_000, 7.5)]  # poll 1 stored twice; a value never served
    count = count_meter(served, stored, excused=[(3.0, 4.0)])  # poll 3: read as the gateway died
    assert (count.lost, count.duplicated, count.not_taken, count.foreign) == (1, 1, 1, 1)
    assert count.lost_times == (5.0,)
    # in time order the last stored reading is the duplicate (100.1), not poll 9
    assert count.energy_true == 100.9 - 100.0 and not count.energy_exact


def test_energy_is_exact_when_first_and_last_are_stored_in_order() -> None:
    served = [(float(t), 100.0 + t / 10) for t in range(5)]
    stored = [(t * 1000, 100.0 + t / 10) for t in (0, 2, 4)]
    count = count_meter(served, stored, excused=[])
    assert count.lost == 2 and count.energy_exact


def test_recovery_is_the_first_sample_with_every_meter_past_its_target() -> None:
    samples = [
        (9.0, {"a": 5.0, "b": 5.0}),
        (11.0, {"a": 6.0, "b": 4.0}),
        (12.5, {"a": 6.0, "b": 6.0}),
    ]
    assert recovery_seconds(10.0, {"a": 6.0, "b": 6.0}, samples) == 2.5
    assert recovery_seconds(10.0, {"a": 7.0}, samples) is None
