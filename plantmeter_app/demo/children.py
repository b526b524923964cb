"""The demo's child processes (the dashboard, the alert service): started in their own session
so a terminal's Ctrl-C reaches the demo alone, which then stops them in order (SIGINT, the
clean stop of both commands; SIGTERM, then SIGKILL, only for one that does not end). On Linux
each child also gets SIGTERM if the demo itself dies, so nothing is left running."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass

from plantmeter.i18n import _

__all__ = ["Child", "start_child", "wait_http"]

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the demo's own shutdown still stops its children


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGINT and wait; SIGTERM, then SIGKILL, for a child that does not end; its status."""
        for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            if self.process.poll() is not None:
                break
            if sig != signal.SIGINT:
                logger.warning(
                    _("demo: {name} did not stop; sending {signal}").format(
                        name=self.name, signal=sig.name
                    )
                )
            self.process.send_signal(sig)
            try:
                self.process.wait(wait)
            except subprocess.TimeoutExpired:
                continue
        return self.process.poll()


def start_child(name: str, argv: Sequence[str], env: dict[str, str] | None = None) -> Child:
    """``python -m plantmeter_app ...`` (or any module) as a child of the demo."""
    process = subprocess.Popen(
        [sys.executable, *argv],
        env=env if env is not None else dict(os.environ),
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,  # noqa: PLW1509
    )
    logger.info(_("demo: started {name} (pid {pid})").format(name=name, pid=process.pid))
    return Child(name, process)


def wait_http(url: str, child: Child, timeout: float) -> bool:
    """Poll ``url`` until it answers 200, the child exits or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and child.alive():
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False
