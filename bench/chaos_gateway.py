"""``plantmeter gateway`` with a wall clock that the chaos run can step (a clock jump on the gateway host).

    python -m bench.chaos_gateway CLOCK_FILE plantmeter-gateway-args...

``CLOCK_FILE`` holds an offset in seconds (``-60``: the host clock stepped back a minute), re-read
ten times a second. Only ``time.time`` moves, as when NTP or an operator steps CLOCK_REALTIME:
``time.monotonic`` (asyncio's timers, paho's keepalive) does not. libfaketime, which does the same
from outside, is not used because with ``FAKETIME_DONT_FAKE_MONOTONIC=1`` (needed so that
asyncio's timers do not all fire at once) its 0.9.10 build in Debian makes Python's
``time.sleep`` fail with EINVAL.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    clock_file = Path(args.pop(0))
    real_time = time.time
    offset = [0.0]

    def watch() -> None:
        while True:
            try:
                offset[0] = float(clock_file.read_text().strip() or 0)
            except (OSError, ValueError):
                pass
            time.sleep(0.1)

    threading.Thread(target=watch, name="chaos-clock", daemon=True).start()
    time.time = lambda: real_time() + offset[0]  # before the gateway modules are imported

    from plantmeter_app.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
