"""The words reports print from data (statuses, levels, kinds), marked for translation.

A report's JSON keeps these values in English (they are data: ``"status": "on track"``); the
PDF and HTML show ``term(value)``, the value translated into the report's locale. A value not
listed here (an id, a title from the plan) is shown as it is.
"""

from __future__ import annotations

from plantmeter.i18n import N_, _

__all__ = ["TERMS", "term"]

TERMS = frozenset(
    {
        # verification statuses
        N_("on track"),
        N_("below promise"),
        N_("insufficient data"),
        N_("not implemented"),
        N_("ok"),
        # covenant results (the PDF prints them in capitals)
        N_("met"),
        N_("not met"),
        N_("inconclusive"),
        N_("not yet determinable"),
        N_("not determinable"),
        # covenant and financial bases
        N_("month"),
        N_("cumulative"),
        N_("verified"),
        N_("promised"),
        # option levels and statuses
        N_("housekeeping"),
        N_("low-cost"),
        N_("investment"),
        N_("proposed"),
        N_("approved"),
        N_("implemented"),
        N_("rejected"),
        # measurement boundaries
        N_("isolation"),
        N_("whole-facility"),
        # meter kinds
        N_("electricity"),
        N_("water"),
        N_("gas"),
        N_("thermal"),
        N_("production"),
        N_("temperature"),
        # repayment schedules
        N_("annuity"),
        N_("linear"),
        # flag severities
        N_("info"),
        N_("warning"),
        N_("critical"),
        # reporting intervals (drivers outside the baseline's range)
        N_("days"),
        N_("hours"),
        # approval-record entries (a baseline is pinned by one)
        N_("approval"),
        N_("amendment"),
        # period kinds of the verification table
        N_("quarter"),
        N_("year to date"),
        N_("since implementation"),
    }
)


def term(value: str | None) -> str:
    """``value`` translated when it is one of ``TERMS``, else unchanged ('—' for None)."""
    if value is None:
        return "—"
    return _(value) if value in TERMS else value
