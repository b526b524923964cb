"""One notification per episode: opened once, extended while flagged, reminded while open and
unacknowledged, closed with its totals; a first evaluation does not announce history. The
ledger (real SQLite) repeats nothing across a restart and keeps a failed notice until sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from alerts.episodes import Observation, changes
from alerts.ledger import Ledger, Notice, backoff_s
from services.accounts import Acknowledgement

H = 3_600_000
T0 = int(datetime(2025, 11, 5, 7, tzinfo=UTC).timestamp() * 1000)


def leak(start: int, end: int) -> Observation:
    return Observation("cip-water", "leak", "volume_total", "water_leak", "critical",
                       "0.3 m³/h at night", start, end, 7.2, 15.12)  # fmt: skip


def apply(ledger: Ledger, found: list) -> None:  # type: ignore[type-arg]
    ids: dict[int, int] = {}
    with ledger.transaction() as db:
        for ch in found:
            if ch.action == "open":
                ids[ch.episode.id] = ep_id = ledger.open_episode(db, ch.episode)
            else:
                ep_id = ids.get(ch.episode.id, ch.episode.id)
                from dataclasses import replace

                ledger.update_episode(db, replace(ch.episode, id=ep_id))


def step(ledger: Ledger, obs: list[Observation], until: int, now: int, first: bool = False,
         acks: tuple[Acknowledgement, ...] = ()) -> list[str]:  # fmt: skip
    found = changes("dairy", ledger.episodes("dairy", open_only=True), obs, until_ms=until, now_ms=now,
                    first=first, reminder_after_s=24 * 3600, acks=acks)  # fmt: skip
    apply(ledger, found)
    return [c.action for c in found]


def test_an_episode_opens_once_is_reminded_then_closes(tmp_path: Path) -> None:
    with Ledger(tmp_path / "alerts.db") as ledger:
        assert step(ledger, [leak(T0 - 6 * H, T0)], T0, T0) == ["open"]
        assert step(ledger, [leak(T0 - 6 * H, T0 + H)], T0 + H, T0 + H) == ["extend"]
        assert step(ledger, [leak(T0 - 6 * H, T0 + H)], T0 + 2 * H, T0 + 2 * H) == []  # nothing new
        assert step(ledger, [leak(T0 - 6 * H, T0 + 25 * H)], T0 + 25 * H, T0 + 25 * H) == [
            "extend",
            "remind",
        ]
        [ep] = ledger.episodes("dairy")
        assert (ep.reminders, ep.end_ms) == (1, T0 + 25 * H)
        # the leak is fixed: 36 h of data past its last flagged instant without it close the episode
        assert step(ledger, [], T0 + 60 * H, T0 + 60 * H) == ["remind"]  # 35 h after the first
        assert step(ledger, [], T0 + 61 * H, T0 + 61 * H) == ["close"]
        [ep] = ledger.episodes("dairy")
        assert (
            ep.closed_ms == T0 + 61 * H
            and ep.reminders == 2
            and ledger.episodes("dairy", open_only=True) == []
        )


def test_an_acknowledgement_silences_the_reminders(tmp_path: Path) -> None:
    ack = Acknowledgement(
        "dairy", "cip-water", "water_leak", "volume_total", T0 - 6 * H, "ana", 0.0, "valve"
    )
    with Ledger(tmp_path / "alerts.db") as ledger:
        step(ledger, [leak(T0 - 6 * H, T0)], T0, T0)
        assert step(
            ledger, [leak(T0 - 6 * H, T0 + 30 * H)], T0 + 30 * H, T0 + 30 * H, acks=(ack,)
        ) == ["extend"]


def test_a_first_evaluation_records_past_episodes_without_notifying(tmp_path: Path) -> None:
    with Ledger(tmp_path / "alerts.db") as ledger:
        found = changes("dairy", [], [leak(T0 - 200 * H, T0 - 150 * H), leak(T0 - 6 * H, T0)], until_ms=T0,
                        now_ms=T0, first=True, reminder_after_s=None)  # fmt: skip
        assert [(c.action, c.notify) for c in found] == [("open", False), ("open", True)]
        apply(ledger, found)
        assert [e.is_open for e in ledger.episodes("dairy")] == [False, True]


def test_offline_closes_when_the_meter_reports_again(tmp_path: Path) -> None:
    off = Observation("main-elec", "offline", "", "freshness", "warning", "no reading", T0, T0 + H)
    with Ledger(tmp_path / "alerts.db") as ledger:
        assert step(ledger, [off], T0, T0 + H) == ["open"]
        assert step(ledger, [], T0 + 2 * H, T0 + 2 * H) == ["close"]


def test_the_outbox_records_each_intent_once_and_keeps_it_until_sent(tmp_path: Path) -> None:
    path = tmp_path / "alerts.db"
    notice = Notice("email", "manager@dairy.example", {"subject": "s", "text": "t"}, T0)
    with Ledger(path) as ledger:
        step(ledger, [leak(T0 - 6 * H, T0)], T0, T0)
        [ep] = ledger.episodes("dairy")
        with ledger.transaction() as db:
            assert ledger.record(db, ep.id, "open", 0, [notice], T0) == 1
    with Ledger(path) as ledger:  # a restart: the same intent again is not a second notice
        with ledger.transaction() as db:
            assert ledger.record(db, ep.id, "open", 0, [notice], T0) == 0
        [item] = ledger.due(T0)
        assert ledger.mark_failed(item.id, "SMTP down", T0) == backoff_s(1) == 60.0
        assert ledger.due(T0 + 59_000) == []
        [again] = ledger.due(T0 + 60_000)
        assert again.attempts == 1 and again.last_error == "SMTP down"
        assert ledger.mark_failed(item.id, "SMTP down", T0 + 60_000) == 120.0
        ledger.mark_sent(item.id, T0 + 200_000)
        assert ledger.due(T0 + 10**9) == []
        assert [i.sent_ms for i in ledger.outbox()] == [T0 + 200_000]


def test_a_counter_reset_is_announced_once_and_never_reminded(tmp_path: Path) -> None:
    reset = Observation("compressor", "counter_reset", "energy_import_total", "counter_events", "warning",
                        "counter dropped", T0, T0 + H // 4)  # fmt: skip
    with Ledger(tmp_path / "alerts.db") as ledger:
        found = changes(
            "dairy", [], [reset], until_ms=T0 + H, now_ms=T0 + H, first=False, reminder_after_s=3600
        )
        assert [(c.action, c.notify, c.episode.closed_ms) for c in found] == [
            ("open", True, T0 + H)
        ]
        apply(ledger, found)
        # the same flag reaches the next window again, a day later: not news, nothing to remind
        again = changes("dairy", ledger.episodes("dairy", open_only=True), [reset], until_ms=T0 + 30 * H,
                        now_ms=T0 + 30 * H, first=False, reminder_after_s=3600,
                        closed=ledger.episodes("dairy"))  # fmt: skip
        assert again == []


def test_an_acknowledged_leak_silences_its_incidents_reminders(tmp_path: Path) -> None:
    """The dashboard shows the leak; acknowledging it silences the excess that leads its incident."""
    excess = Observation("cip-water", "excess", "volume_total", "excess_use", "warning",
                         "7.1 m³ a day more", T0 - 30 * H, T0, 7.1, None)  # fmt: skip
    ack = Acknowledgement(
        "dairy", "cip-water", "water_leak", "volume_total", T0 - 6 * H, "ana", 0.0, "valve"
    )
    with Ledger(tmp_path / "alerts.db") as ledger:
        assert step(ledger, [excess], T0, T0) == ["open"]
        step(ledger, [excess, leak(T0 - 6 * H, T0 + H)], T0 + H, T0 + H)
        later = replace(excess, end_ms=T0 + 30 * H)
        assert "remind" in step(
            ledger, [later, leak(T0 - 6 * H, T0 + 30 * H)], T0 + 30 * H, T0 + 30 * H
        )
        assert "remind" not in step(
            ledger, [later, leak(T0 - 6 * H, T0 + 60 * H)], T0 + 60 * H, T0 + 60 * H, acks=(ack,)
        )
