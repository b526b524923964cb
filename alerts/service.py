"""One evaluation of a site: what the detectors and the store's freshness say now, turned into
episode changes and notices recorded in the ledger (one transaction), then the due notices
sent. ``plantmeter alerts --once`` is one call of ``evaluate`` and one of ``dispatch``.

Flags: ``services.compute_flags`` over the data since the last evaluation recorded in the
ledger (flags reaching that instant; the detectors' reference is fixed on the first evaluation:
the plan's baseline period with a plan, else the first four weeks of data). Offline: a meter
whose newest reading is older than ``alerts.offline_after`` (default: the services' stale
rule, 3 polls) is an ``offline`` observation; a meter that never reported is not one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

import pandas as pd

from plantmeter.alertconfig import SEVERITIES, AlertRule, AlertsConfig
from plantmeter.config import SiteConfig
from plantmeter.counters import meter_counter
from plantmeter.i18n import N_, use_locale
from plantmeter.store import SeriesStore
from plantmeter.text import Num, Text
from reports.load import LoadedPlan
from services.accounts import AccountStore
from services.flags import compute_flags
from services.live import latest_values

from .email import ChannelError
from .episodes import SEVERITY_RANK, Change, Observation, changes, from_flag
from .ledger import Episode, Ledger, Notice
from .messages import MeterTerms, notification
from .status import components, read_retained, status_observations
from .topic import alert_event_topic

__all__ = ["Channel", "Dispatch", "Evaluation", "dispatch", "evaluate", "notices_for"]

logger = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    def send(self, recipient: str, payload: dict[str, object]) -> None: ...


@dataclass(frozen=True, slots=True)
class Evaluation:
    """What one evaluation found and recorded."""

    site: str
    since_ms: int | None
    until_ms: int | None
    changes: tuple[Change, ...]
    notices: tuple[tuple[str, Notice], ...]  # (event, notice) recorded (or, dry run, planned)


@dataclass(slots=True)
class Dispatch:
    sent: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def _utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, UTC)


def _quiet_until(rule: AlertRule, tz: str, now: datetime) -> datetime | None:
    """The end of the rule's quiet hours when ``now`` is inside them, else None."""
    window = rule.quiet()
    if window is None:
        return None
    start, end = window
    local = now.astimezone(ZoneInfo(tz))
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    day = local.date() if (start < end or t < end) else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=ZoneInfo(tz)).astimezone(UTC)


def notices_for(
    alerts: AlertsConfig,
    tz: str,
    episode_type: str,
    meter: str,
    severity: str,
    payload: dict[str, object],
    now: datetime,
) -> list[Notice]:
    """One notice per e-mail recipient whose rule takes this alert (quiet hours delay it), one
    for the webhook and one for the MQTT event topic."""
    by_address: dict[str, int] = {}
    now_ms = _ms(now)
    for rule in alerts.rules:
        if SEVERITY_RANK.get(severity, 0) < SEVERITIES.index(rule.severity):
            continue
        if rule.meters is not None and meter not in rule.meters:
            continue
        if rule.types is not None and episode_type not in rule.types:
            continue
        quiet = _quiet_until(rule, tz, now)
        not_before = _ms(quiet) if quiet else now_ms
        for address in rule.to:
            by_address[address] = min(by_address.get(address, not_before), not_before)
    out = [Notice("email", a, dict(payload), nb) for a, nb in by_address.items()]
    if alerts.webhook is not None:
        out.append(Notice("webhook", alerts.webhook.url, dict(payload), now_ms))
    if alerts.mqtt:
        out.append(Notice("mqtt", alert_event_topic(str(payload["site"])), dict(payload), now_ms))
    return out


def _observations_offline(
    store: SeriesStore, site: SiteConfig, alerts: AlertsConfig, now: datetime, base_dir: Path | None
) -> list[Observation]:
    out = []
    for fresh in latest_values(store, site, now=now, base_dir=base_dir):
        if fresh.last_time is None or fresh.age_s is None:
            continue  # never reported: the dashboard shows it silent, no alarm
        limit = alerts.offline_after if alerts.offline_after is not None else fresh.stale_after_s
        if fresh.age_s > limit:
            said = Text(
                N_("no reading since {last} UTC ({age}; polled every {poll} s)"),
                last=f"{fresh.last_time:%Y-%m-%d %H:%M}",
                age=_age(fresh.age_s),
                poll=Num(fresh.poll_s, None),
            )
            out.append(
                Observation(
                    fresh.meter,
                    "offline",
                    "",
                    "freshness",
                    "warning",
                    said.english(),
                    _ms(fresh.last_time),
                    _ms(now),
                    message=said.dumps(),
                )  # fmt: skip
            )
    return out


def _age(seconds: float) -> Text:
    """A silence in the unit a person reads it in: 45 min, 5.2 h, 388 days."""
    if seconds < 5400:
        return Text(N_("{n} min"), n=Num(seconds / 60))
    if seconds < 2 * 86400:
        return Text(N_("{n} h"), n=Num(seconds / 3600, 1))
    return Text(N_("{n} days"), n=Num(seconds / 86400))


def _observations_status(
    site: SiteConfig, alerts: AlertsConfig, known: Sequence[Episode], now: datetime
) -> list[Observation]:
    """Gateway or ingest down, from their retained status; while the broker cannot be read,
    what was down stays down (unknown is not recovered)."""
    watched = components(site)
    retained = read_retained(site, [c.topic for c in watched])
    if retained is not None:
        return status_observations(site, retained, now, alerts.status_stale_after)
    types = {c.type for c in watched}
    return [
        Observation(
            e.meter,
            e.type,
            e.quantity,
            e.detector,
            e.severity,
            e.reason,
            e.start_ms,
            _ms(now),
            message=e.message,
        )  # fmt: skip
        for e in known
        if e.is_open and e.type in types
    ]


def evaluate(
    store: SeriesStore,
    site: SiteConfig,
    ledger: Ledger,
    *,
    accounts: AccountStore | None = None,
    plan: LoadedPlan | None = None,
    now: datetime | None = None,
    base_dir: Path | None = None,
    record: bool = True,
) -> Evaluation:
    """Evaluate ``site`` now; record the episode changes and their notices (``record=False``:
    only say what would be recorded)."""
    alerts = site.alerts or AlertsConfig()
    now = datetime.now(UTC) if now is None else now
    now_ms = _ms(now)
    sid, tz = site.site.id, site.site.timezone
    since_ms, reference_ms = ledger.evaluated(sid)
    newest = [lv.ts_ms for lv in store.latest(sid, [m.id for m in site.meters])]
    until_ms = max(newest) if newest else None
    flags = []
    if until_ms is not None and (since_ms is None or until_ms > since_ms):
        flags = compute_flags(
            store, site,
            since=_utc(since_ms) if since_ms is not None else None,
            reference=_utc(reference_ms) if reference_ms is not None and plan is None else None,
            plan=plan, base_dir=base_dir, now=pd.Timestamp(now), incremental=True,
        )  # fmt: skip
        if reference_ms is None and plan is None:
            runs = [r.start_ms for r in store.read_flag_runs(sid) if r.computed_ms == now_ms]
            reference_ms = min(runs) if runs else None
    observations = [from_flag(f) for f in flags] + _observations_offline(
        store, site, alerts, now, base_dir
    )
    known = ledger.episodes(sid)
    if alerts.status_topics:
        observations += _observations_status(site, alerts, known, now)
    acks = accounts.acknowledgements(sid) if accounts is not None else []
    languages = {  # e-mail address -> the user's own locale
        u.email: u.locale
        for u in (accounts.users() if accounts is not None else [])
        if u.email and u.locale
    }
    found = changes(
        sid, [e for e in known if e.is_open], observations,
        until_ms=until_ms if until_ms is not None else now_ms, now_ms=now_ms,
        first=since_ms is None, reminder_after_s=alerts.reminder_after, acks=acks,
        closed=[e for e in known if not e.is_open],
    )  # fmt: skip
    terms = _terms(site, plan, base_dir)
    planned: list[tuple[str, Notice]] = []
    ids: dict[int, int] = {}  # a new episode's id is negative until it is stored
    # an incident's first episode is stored (and its recipients told) before those joining it
    ordered = sorted(found, key=lambda ch: ch.action == "open" and ch.episode.incident is not None)
    try:
        with ledger.transaction() as db:
            stored: list[Episode] = []
            for ch in ordered:
                ep = ch.episode
                if ep.incident is not None and ep.incident < 0:
                    ep = replace(ep, incident=ids[ep.incident])
                if ch.action == "open":
                    ids[ep.id] = ep_id = ledger.open_episode(db, ep)
                else:
                    ep_id = ids.get(ep.id, ep.id)
                    ledger.update_episode(db, replace(ep, id=ep_id))
                stored.append(replace(ep, id=ep_id))
            state = {e.id: e for e in known} | {e.id: e for e in stored}
            for ch, ep in zip(ordered, stored, strict=True):
                if ch.action == "extend" or not ch.notify:
                    continue
                incident = [e for e in state.values() if e.root == ep.root]
                related = [
                    e for e in incident if e.id != ep.id and (e.is_open or ch.action == "close")
                ]
                terms_of = terms.get(ep.meter, MeterTerms())
                payload = _notice_payload(ch, ep, related, tz, terms_of, alerts, site.site.locale)
                worst = max(
                    (e.severity for e in [ep, *related]), key=lambda v: SEVERITY_RANK.get(v, 0)
                )
                notices = notices_for(alerts, tz, ep.type, ep.meter, worst, payload, now)
                told = ledger.told(db, [e.id for e in incident])
                if ch.action == "open":  # nobody hears twice of one incident's opening
                    notices = [n for n in notices if (n.channel, n.recipient) not in told]
                else:  # reminders and the closing go to whom the opening went
                    notices = [n for n in notices if (n.channel, n.recipient) in told]
                by_locale = {site.site.locale: payload}  # the webhook's and MQTT's: the site's
                for k, n in enumerate(notices):  # each e-mail in its recipient's language
                    lang = (
                        languages.get(n.recipient, site.site.locale)
                        if n.channel == "email"
                        else site.site.locale
                    )
                    if lang not in by_locale:
                        by_locale[lang] = _notice_payload(
                            ch, ep, related, tz, terms_of, alerts, lang
                        )
                    notices[k] = replace(n, payload=by_locale[lang])
                ledger.record(db, ep.id, ch.action, ch.number, notices, now_ms)  # type: ignore[arg-type]
                planned.extend((ch.action, n) for n in notices)
            if until_ms is not None:
                ledger.mark_evaluated(db, sid, max(until_ms, since_ms or 0), reference_ms, now_ms)
            if not record:
                raise _DryRun  # roll the whole evaluation back
    except _DryRun:
        pass
    return Evaluation(sid, since_ms, until_ms, tuple(found), tuple(planned))


def _notice_payload(
    ch: Change, ep: Episode, related: list[Episode], tz: str, terms: MeterTerms,
    alerts: AlertsConfig, locale: str,
) -> dict[str, object]:  # fmt: skip
    with use_locale(locale):
        return notification(
            ch.action, ep, timezone=tz, terms=terms, dashboard_url=alerts.dashboard_url,
            number=ch.number, related=related,
        )  # fmt: skip


class _DryRun(Exception):
    pass


def _terms(
    site: SiteConfig, plan: LoadedPlan | None, base_dir: Path | None
) -> Mapping[str, MeterTerms]:
    currency = plan.as_of(None)[0].currency if plan is not None else ""
    out = {}
    for m in site.meters:
        counter = meter_counter(m, base_dir=base_dir)
        out[m.id] = MeterTerms(counter.unit if counter is not None else "", currency)
    return out


def dispatch(ledger: Ledger, channels: Sequence[Channel], now: datetime | None = None) -> Dispatch:
    """Send every due notice through its channel; a failure is retried later with backoff."""
    by_name = {c.name: c for c in channels}
    result = Dispatch()
    now_ms = _ms(datetime.now(UTC) if now is None else now)
    down: set[str] = set()
    for item in ledger.due(now_ms):
        channel = by_name.get(item.channel)
        if channel is None or item.channel in down:
            continue
        try:
            channel.send(item.recipient, item.payload)
        except ChannelError as exc:
            wait = ledger.mark_failed(item.id, str(exc), now_ms)
            result.failed.append((item.id, str(exc)))
            down.add(item.channel)  # the rest of this channel waits for the next round
            logger.error(
                "alert %d to %s not delivered (%s); retry in %.0f s",
                item.id,
                item.recipient,
                exc,
                wait,
            )
            continue
        ledger.mark_sent(item.id, now_ms)
        result.sent.append(item.id)
    return result
