"""Which optional extra of the distribution provides a module, and the message when it is missing.

The base install (``pip install plantmeter``) runs the gateway, ingest and the simulator; the
heavy parts are extras (pyproject.toml ``[project.optional-dependencies]``). A command that needs
one names it instead of failing with a traceback. ``tests/test_dependencies.py`` keeps this table
equal to pyproject.toml.
"""

from __future__ import annotations

from plantmeter.i18n import _

__all__ = ["EXTRAS", "missing_extra_message"]

# top-level module -> the extra that installs it
EXTRAS: dict[str, str] = {
    "numba": "analytics",
    "scipy": "analytics",
    "matplotlib": "analytics",
    "fastapi": "dashboard",
    "uvicorn": "dashboard",
    "starlette": "dashboard",
    "argon2": "dashboard",  # argon2-cffi
    "jinja2": "dashboard",
    "python_multipart": "dashboard",
    "sse_starlette": "dashboard",
    "amqtt": "demo",
    "dask": "portfolio",
    "distributed": "portfolio",
    "aiosmtpd": "demo",
}


def missing_extra_message(exc: ModuleNotFoundError) -> str | None:
    """What to install for ``exc``, or None when the missing module belongs to no extra."""
    module = (exc.name or "").split(".")[0]
    extra = EXTRAS.get(module)
    if extra is None:
        return None
    return _(
        "this command needs {module}, which this install does not have; "
        "install the {extra} extra: pip install 'plantmeter[{name}]'"
    ).format(module=module, extra=repr(extra), name=extra)
