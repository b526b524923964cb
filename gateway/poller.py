"""Poll one meter on its schedule, decode it, and queue the reading in the outbox.

Schedule: polls are aligned to wall-clock multiples of the meter's interval (a 60 s
meter is read at :00). After a failed poll the meter backs off exponentially (one
interval, two, four ... up to ``MAX_BACKOFF``) and is marked offline; the first good
poll marks it online again. Logging follows the rule "ERROR when a failure starts,
DEBUG while it persists, INFO on recovery".
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from plantmeter.config import MeterConfig
from plantmeter.errors import MeterReadError
from plantmeter.logstate import Problems
from plantmeter.message import Reading, encode_reading, reading_topic
from plantmeter.profile import DeviceProfile

from .decoding import CounterWatch, Rejected, add_derived, decode_response
from .modbus import MeterClient, ModbusExceptionReply
from .outbox import Outbox
from .requests import ReadRequest, plan_requests

__all__ = ["MAX_BACKOFF", "MeterHealth", "MeterPoller", "PollResult", "next_boundary"]

logger = logging.getLogger(__name__)

MAX_BACKOFF = 300.0


def next_boundary(now: float, interval: float) -> float:
    """The next wall-clock multiple of ``interval`` strictly after ``now`` (epoch seconds)."""
    return (math.floor(now / interval) + 1) * interval


@dataclass
class MeterHealth:
    """What the meter's retained status topic says.

    ``online`` is None until the first poll: the state is then ``starting``, which is not
    ``online``, so nothing (Home Assistant's availability, an alert) takes an unread meter
    for a live one.
    """

    online: bool | None = None
    polls_ok: int = 0
    polls_failed: int = 0
    consecutive_failures: int = 0
    last_error: str = ""
    last_ok_ms: int = 0
    reported_mismatch: set[tuple[int, int]] = field(default_factory=set)

    def as_dict(self) -> dict[str, object]:
        return {
            "state": {None: "starting", True: "online", False: "offline"}[self.online],
            "polls_ok": self.polls_ok,
            "polls_failed": self.polls_failed,
            "last_error": self.last_error,
            "last_ok_ms": self.last_ok_ms,
        }


@dataclass
class PollResult:
    """One poll: the values read, the values rejected, and the requests that failed."""

    ts_ms: int
    values: dict[str, float]
    rejected: list[Rejected]
    errors: list[str]


class MeterPoller:
    """Reads one meter through its bus and queues readings."""

    def __init__(
        self,
        site: str,
        gateway_id: str,
        meter: MeterConfig,
        profile: DeviceProfile,
        bus: MeterClient,
        outbox: Outbox | None,
        on_queued: Callable[[], None] = lambda: None,
        on_status: Callable[[MeterConfig, MeterHealth], None] = lambda m, h: None,
    ) -> None:
        self.site = site
        self.gateway_id = gateway_id
        self.meter = meter
        self.profile = profile
        self.bus = bus
        self.outbox = outbox
        self.requests: list[ReadRequest] = plan_requests(profile, meter.quantities)
        self.health = MeterHealth()
        self.on_queued = on_queued
        self.on_status = on_status
        seq, counters = outbox.meter_state(meter.id) if outbox else (0, {})
        self.seq = seq
        self.counters = CounterWatch(counters)
        self.dropped = Problems(logger)  # a register that reads NaN every poll is one warning
        self._last_ts = 0  # ms of this meter's last reading (its timestamps only go forward)
        self._clock = Problems(logger)

    def _timestamp(self) -> int:
        """Now in ms, never at or before this meter's previous reading: a host clock stepped
        back (NTP, an operator) must not stamp a reading with the time of an earlier one,
        which the idempotent store would overwrite, nor put counters out of order. Until the
        clock is past the last reading again, readings are stamped 1 ms apart."""
        now = int(time.time() * 1000)
        if now <= self._last_ts:
            self._clock.report(
                "back",
                "meter %s: the clock went back %.1f s behind its last reading; stamping readings "
                "just after it until the clock catches up",
                self.meter.id,
                (self._last_ts - now) / 1000,
            )
            now = self._last_ts + 1
        else:
            self._clock.clear(
                "back", "meter %s: the clock is past its last reading again", self.meter.id
            )
        self._last_ts = now
        return now

    async def read_once(self) -> PollResult:
        """Run every planned request once. MeterReadError if nothing could be read."""
        ts_ms = self._timestamp()
        values: dict[str, float] = {}
        rejected: list[Rejected] = []
        errors: list[str] = []
        for request in self.requests:
            try:
                registers = await self.bus.read(
                    self.meter.unit_id, request.fc, request.address, request.count
                )
            except ModbusExceptionReply as exc:
                errors.append(str(exc))
                self._report_mismatch(request, exc)
                continue
            got, bad = decode_response(request, registers, self.meter.word_order)
            values.update(got)
            rejected.extend(bad)
        if not values:
            raise MeterReadError("; ".join(errors) or "no value could be decoded")
        add_derived(self.profile, values)
        if self.meter.quantities is not None:
            values = {k: v for k, v in values.items() if k in self.meter.quantities}
        return PollResult(ts_ms, values, rejected, errors)

    def _report_mismatch(self, request: ReadRequest, exc: ModbusExceptionReply) -> None:
        """A profile/config mismatch is reported once per meter and register range."""
        key = (request.fc, request.address)
        if exc.code != 2 or key in self.health.reported_mismatch:
            return
        self.health.reported_mismatch.add(key)
        names = ", ".join(p.name for p in request.points)
        logger.error(
            "meter %s (unit %d, profile %s): the device has no registers %#06x-%#06x (%s): %s; "
            "fix: check the meter's model matches the profile, or limit `quantities` in the site file",
            self.meter.id,
            self.meter.unit_id,
            self.profile.id,
            request.address,
            request.address + request.count - 1,
            names,
            exc,
        )

    def queue(self, result: PollResult) -> Reading:
        """Build the reading message and put it in the outbox with the meter's new state."""
        events = self.counters.check([*self.profile.points, *self.profile.derived], result.values)
        for event in events:
            logger.log(
                logging.INFO if event.type == "rollover" else logging.WARNING,  # a wrap is normal
                "meter %s: counter %s went from %g to %g (%s)",
                self.meter.id,
                event.quantity,
                event.previous,
                event.current,
                event.type,
            )
        for bad in result.rejected:
            self.dropped.report(
                bad.quantity,
                "meter %s: dropping %s = %r: %s",
                self.meter.id,
                bad.quantity,
                bad.value,
                bad.reason,
            )
        for quantity in self.dropped.keys():
            if quantity in result.values:
                self.dropped.clear(
                    quantity, "meter %s: %s reads valid values again", self.meter.id, quantity
                )
        self.seq += 1
        reading = Reading(
            site=self.site,
            meter=self.meter.id,
            gateway=self.gateway_id,
            seq=self.seq,
            ts=result.ts_ms,
            values=result.values,
            events=tuple(events),
        )
        if self.outbox is not None:
            self.outbox.stage(
                reading_topic(self.site, self.meter.id),
                encode_reading(reading),
                result.ts_ms,
                meter_state=(self.meter.id, self.seq, dict(self.counters.last)),
            )
            self.on_queued()
        return reading

    async def poll(self) -> bool:
        """One scheduled poll; returns True when it succeeded."""
        try:
            result = await self.read_once()
        except MeterReadError as exc:
            self._failed(str(exc))
            return False
        self.queue(result)
        self._succeeded(result.ts_ms)
        return True

    def _failed(self, error: str) -> None:
        h = self.health
        h.polls_failed += 1
        h.consecutive_failures += 1
        h.last_error = error
        if h.online is not False:
            h.online = False
            logger.error("meter %s is offline: %s", self.meter.id, error)
            self.on_status(self.meter, h)
        else:
            logger.debug("meter %s still offline: %s", self.meter.id, error)

    def _succeeded(self, ts_ms: int) -> None:
        h = self.health
        h.polls_ok += 1
        h.last_ok_ms = ts_ms
        was = h.online
        h.online = True
        h.consecutive_failures = 0
        if was is False:
            logger.info("meter %s is back online", self.meter.id)
        if was is not True:
            self.on_status(self.meter, h)

    def next_delay(self, now: float) -> float:
        """Seconds until the next poll: the next boundary, or later while backing off."""
        interval = self.meter.poll
        if self.health.consecutive_failures:
            backoff = min(interval * 2 ** (self.health.consecutive_failures - 1), MAX_BACKOFF)
            return next_boundary(now + backoff - interval, interval) - now
        return next_boundary(now, interval) - now

    async def run(self, stop: asyncio.Event, back_to_back: bool = False) -> None:
        """Poll on schedule until ``stop`` is set (``back_to_back``: no waiting, to measure capacity)."""
        while not stop.is_set():
            delay = 0.0 if back_to_back else self.next_delay(time.time())
            try:
                await asyncio.wait_for(stop.wait(), timeout=max(delay, 0.0))
                return
            except TimeoutError:
                pass
            await self.poll()
