"""plantmeter_app: the composition root — the ``plantmeter`` command, the demo, logging set-up.

The only package that imports every other one: it loads configuration, opens stores and
brokers from their URLs, builds the services' objects and hands them to the packages, which
never see a URL themselves. See plantmeter_app/README.md.
"""

from __future__ import annotations

__all__: list[str] = []
