"""From what the detectors see now to what changes in the ledger: a pure function.

* A **flag** (or an ``offline`` observation) extends the open episode of the same meter, type
  and quantity when it starts no later than ``close_after`` after that episode's last seen
  instant; otherwise it opens a new episode.
* An open flag episode that no flag extended closes once the evaluated data reaches
  ``close_after`` beyond its last seen instant (the detectors looked and found it gone); an
  ``offline`` episode closes as soon as its meter reports again. A flag's end is clipped to the
  newest reading (a daily detector dates its flag to the end of the local day).
* A flag of one instant (``EVENT_TYPES``: counter reset or rollover, spike) is announced once
  and closed at once: no reminder, no closing notice; a flag that started an episode already
  closed is not news again.
* On a site's **first** evaluation the whole history is flagged: an episode already over by
  the rule above is recorded closed and never notified (history, not news).
* A **reminder** falls due ``reminder_after`` after the opening (or the last reminder) while the
  episode is open and nobody acknowledged one of its flags on the dashboard.
* **Incidents.** One fault seen by several detectors is one incident: an episode of a
  consumption type (``GROUPED_TYPES``: excess, leak, use out of hours) that opens while another
  one of the same meter and quantity is open joins its incident (``Episode.incident``), and so
  does a meter going offline while another meter, the gateway or ingest is down (a bus or the
  link failed: ``STATE_TYPES``), and a meter's data going wrong on one quantity (``DATA_TYPES``:
  a stuck register, then its jump); several opening in one evaluation join the most severe
  (a state before an instant event). Only
  the incident's earliest open episode is reminded, and only the last one to close gives a
  closing notice; which recipients are told is the service's part (nobody twice about one
  incident).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from plantmeter.store import Flag
from services.accounts import Acknowledgement

from .ledger import Episode

__all__ = [
    "CLOSE_AFTER_S",
    "DATA_TYPES",
    "EVENT_TYPES",
    "GROUPED_TYPES",
    "SEVERITY_RANK",
    "STATE_TYPES",
    "Change",
    "Observation",
    "acknowledged",
    "changes",
    "from_flag",
    "incident_key",
]

CLOSE_AFTER_S = 36 * 3600.0
"""A flag episode is over once the detectors ran this far past its last flagged instant (a
daily detector's next day and a night's leak window) without flagging it again."""

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}

EVENT_TYPES = frozenset({"counter_reset", "counter_rollover", "spike"})
"""Flags of one instant, not a state: announced once, closed at once (no reminder, no closing)."""

STATE_TYPES = frozenset({"offline", "gateway_down", "ingest_down"})
"""Observed now rather than flagged in the data: open while seen, closed as soon as not."""

DATA_TYPES = frozenset({"stuck", "spike", "gap", "impossible", "counter_reset", "counter_rollover"})
"""A meter's data going wrong: one fault often shows as several (a stuck register, then the
jump when it moves again)."""

GROUPED_TYPES = frozenset({"excess", "leak", "out_of_hours"})
"""Use above normal on one meter: one fault that several detectors see (a leak raises the
night flow, the use out of hours and the daily total), so one incident."""


@dataclass(frozen=True, slots=True)
class Observation:
    """Something wrong now: a stored flag, or a meter without readings (``offline``)."""

    meter: str
    type: str
    quantity: str
    detector: str
    severity: str
    reason: str
    start_ms: int
    end_ms: int
    excess_per_day: float | None = None
    cost_per_day: float | None = None
    message: str = ""  # ``reason`` as a message to translate (``plantmeter.text``); "" if none


@dataclass(frozen=True, slots=True)
class Change:
    """One ledger change: ``open`` (new episode; ``notify`` False for history), ``extend``,
    ``remind`` (``number``: the reminder's count, from 1) or ``close``."""

    action: str
    episode: Episode
    notify: bool = True
    number: int = 0


def from_flag(flag: Flag) -> Observation:
    return Observation(
        flag.meter,
        flag.kind,
        flag.quantity,
        flag.detector,
        flag.severity,
        flag.reason,
        flag.start_ms,
        flag.end_ms,
        flag.excess_per_day,
        flag.cost_per_day,
        flag.message,
    )


def acknowledged(episode: Episode, acks: Iterable[Acknowledgement]) -> bool:
    """Whether one of the episode's flags was acknowledged on the dashboard."""
    return any(
        a.meter == episode.meter
        and a.detector == episode.detector
        and a.quantity == episode.quantity
        and episode.start_ms <= a.start_ms <= episode.end_ms
        for a in acks
    )


def changes(
    site: str,
    open_episodes: Sequence[Episode],
    observations: Sequence[Observation],
    *,
    until_ms: int,
    now_ms: int,
    first: bool,
    reminder_after_s: float | None,
    acks: Sequence[Acknowledgement] = (),
    close_after_s: float = CLOSE_AFTER_S,
    closed: Sequence[Episode] = (),
) -> list[Change]:
    """What to do with the ledger given the open episodes and what is seen now (a new
    episode has a negative id, unique in the result, until the ledger stores it).

    ``until_ms``: the newest reading the evaluation saw; ``now_ms``: the wall clock (opening,
    reminder and closing times).
    """
    gap = int(close_after_s * 1000)
    # a flag that reaches the evaluation window again but started an episode already closed
    # (an event type, a stretch already over) is not news
    done = {(e.meter, e.type, e.quantity, e.start_ms) for e in closed}
    current: dict[tuple[str, str, str], Episode] = {
        (e.meter, e.type, e.quantity): e for e in open_episodes
    }
    touched: set[int] = set()
    out: list[Change] = []
    for seen in sorted(observations, key=lambda o: (o.start_ms, o.meter, o.type)):
        # a daily detector's flag ends at the end of the local day: no later than the data
        obs = seen if seen.type in STATE_TYPES else replace(seen, end_ms=min(seen.end_ms, until_ms))
        key = (obs.meter, obs.type, obs.quantity)
        if (*key, obs.start_ms) in done:
            continue
        ep = current.get(key)
        if ep is not None and obs.start_ms <= ep.end_ms + gap:
            worse = SEVERITY_RANK.get(obs.severity, 0) > SEVERITY_RANK.get(ep.severity, 0)
            grown = replace(
                ep,
                start_ms=min(ep.start_ms, obs.start_ms),
                end_ms=max(ep.end_ms, obs.end_ms),
                severity=obs.severity if worse else ep.severity,
                reason=obs.reason if obs.end_ms >= ep.end_ms else ep.reason,
                message=obs.message if obs.end_ms >= ep.end_ms else ep.message,
                excess_per_day=obs.excess_per_day
                if obs.excess_per_day is not None
                else ep.excess_per_day,
                cost_per_day=obs.cost_per_day if obs.cost_per_day is not None else ep.cost_per_day,
            )
            current[key] = grown
            touched.add(grown.id)
            if grown != ep:
                out.append(Change("extend", grown))
            continue
        if ep is not None:  # a new stretch of the same trouble: the old one is over
            out.append(Change("close", replace(ep, closed_ms=now_ms), notify=ep.notify))
        over = obs.type not in STATE_TYPES and until_ms - obs.end_ms >= gap
        instant = obs.type in EVENT_TYPES
        new = Episode(
            -1 - len(out), site, obs.meter, obs.type, obs.quantity, obs.detector, obs.severity, obs.reason,
            obs.start_ms, obs.end_ms, obs.excess_per_day, obs.cost_per_day, now_ms,
            now_ms if (first and over) or instant else None, None, 0, not (first and over),
            message=obs.message,
        )  # fmt: skip
        out.append(Change("open", new, notify=new.notify))
        done.add((*key, obs.start_ms))
        if new.closed_ms is None:
            current[key] = new
    seen_now = {(o.meter, o.type) for o in observations if o.type in STATE_TYPES}
    for ep in open_episodes:
        latest = current.get((ep.meter, ep.type, ep.quantity), ep)
        if latest.id != ep.id:
            continue  # closed above for a new stretch
        if ep.type in STATE_TYPES:
            gone = (ep.meter, ep.type) not in seen_now
        else:
            gone = ep.id not in touched and until_ms - latest.end_ms >= gap
        if gone:
            out.append(Change("close", replace(latest, closed_ms=now_ms), notify=ep.notify))
            continue
        if (
            reminder_after_s is not None
            and ep.notify
            and now_ms - (latest.reminded_ms or latest.opened_ms) >= reminder_after_s * 1000
            and not acknowledged(latest, acks)
        ):
            number = latest.reminders + 1
            out.append(
                Change(
                    "remind", replace(latest, reminded_ms=now_ms, reminders=number), number=number
                )
            )
    return _incidents(out, open_episodes, acks)


def incident_key(episode: Episode) -> tuple[str, ...] | None:
    """What makes episodes one fault: use above normal on one meter and quantity
    (``GROUPED_TYPES``), a meter's data going wrong (``DATA_TYPES``: a stuck counter catches up
    in a spike when it moves again), or the site's readings not arriving (``STATE_TYPES``:
    meters offline together, the gateway or ingest down: a bus, a gateway or the link failed)."""
    if episode.type in GROUPED_TYPES:
        return ("use", episode.meter, episode.quantity)
    if episode.type in DATA_TYPES:
        return ("data", episode.meter, episode.quantity)
    if episode.type in STATE_TYPES:
        return ("link",)
    return None


def _incidents(
    out: list[Change], open_episodes: Sequence[Episode], acks: Sequence[Acknowledgement] = ()
) -> list[Change]:
    """Group the new episodes into incidents (``incident_key``); keep only the incident's
    earliest open episode's reminders and the last closing's notice."""
    state: dict[int, Episode] = {e.id: e for e in open_episodes}
    for ch in out:
        state[ch.episode.id] = ch.episode
    still_open = [e for e in state.values() if e.is_open]
    fresh: dict[tuple[str, ...], list[Change]] = {}
    for ch in out:
        key = incident_key(ch.episode)
        if ch.action == "open" and ch.notify and key is not None:
            fresh.setdefault(key, []).append(ch)  # an event (closed at once) may join too
    joined: dict[int, int] = {}  # new episode id -> its incident
    for key, opening in fresh.items():
        ongoing = [e for e in still_open if e.id >= 0 and incident_key(e) == key]
        if ongoing:
            root = min(ongoing, key=lambda e: (e.opened_ms, e.id)).root
            joined |= {ch.episode.id: root for ch in opening}
            continue
        lead = max(  # a state before an event, then the most severe, then the first
            opening,
            key=lambda ch: (
                ch.episode.is_open,
                SEVERITY_RANK.get(ch.episode.severity, 0),
                -ch.episode.start_ms,
            ),
        )
        joined |= {ch.episode.id: lead.episode.id for ch in opening if ch is not lead}
    grouped = []
    for ch in out:
        if ch.episode.id in joined:
            ch = replace(ch, episode=replace(ch.episode, incident=joined[ch.episode.id]))
        grouped.append(ch)
    state |= {ch.episode.id: ch.episode for ch in grouped}
    members: dict[int, list[Episode]] = {}
    for e in state.values():
        if e.is_open:
            members.setdefault(e.root, []).append(e)
    last_close = {ch.episode.root: i for i, ch in enumerate(grouped) if ch.action == "close"}
    result = []
    for i, ch in enumerate(grouped):
        ep = ch.episode
        others = [m for m in members.get(ep.root, []) if m.id != ep.id]
        if ch.action == "remind" and any(
            (m.opened_ms, m.id) < (ep.opened_ms, ep.id) for m in others
        ):
            continue  # the incident's earliest open episode reminds for it
        if ch.action == "remind" and any(acknowledged(m, acks) for m in others):
            continue  # one of the incident's flags was acknowledged: the incident is
        if ch.action == "close" and (others or last_close[ep.root] != i):
            ch = replace(ch, notify=False)  # the incident goes on: its last closing tells
        result.append(ch)
    return result
