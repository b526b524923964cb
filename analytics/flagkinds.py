"""What each detector's flag kind is called in front of a person (reports, e-mails, pages).

The kinds themselves (``leak``, ``out_of_hours``) stay English identifiers in the store, the JSON
and the API; ``flag_title(kind)`` is the name in the current locale (``plantmeter.i18n``).
"""

from __future__ import annotations

from plantmeter.i18n import N_, _

__all__ = ["FLAG_TITLES", "flag_title"]

FLAG_TITLES = {
    "excess": N_("excess use"),
    "leak": N_("leak"),
    "out_of_hours": N_("use out of hours"),
    "stuck": N_("stuck meter"),
    "counter_reset": N_("counter reset"),
    "counter_rollover": N_("counter rollover"),
    "spike": N_("spike"),
    "gap": N_("readings missing"),
    "impossible": N_("impossible values"),
    "offline": N_("meter offline"),
    "cusum": N_("use off its baseline (CUSUM)"),
    "ewma": N_("use off its baseline (EWMA)"),
    "baseload_drift": N_("base load drift"),
}
"""The detectors' kinds, marked for translation."""


def flag_title(kind: str) -> str:
    """``kind``'s name in the current locale; an unknown kind as it is."""
    title = FLAG_TITLES.get(kind)
    return _(title) if title else kind
