"""PlantMeter reports: M&V plans, the verification engine, loan monitoring, option audits
and consumption reports (HTML, PDF, JSON).

Public interface:

* ``load_plan(path) -> LoadedPlan`` (``reports.load``), the plan models (``reports.plan``)
* ``reports.finance``: repayment schedules, NPV, IRR, simple payback
* ``reports.verify``: ``Verifier`` (verified savings per option and period)
* ``reports.approval``: ``approve`` (pin the baselines), ``pins_for``, ``baseline_changes``;
  ``reports.record``: the approval record file; ``reports.readings``: readings fingerprints
* the ``plantmeter report loan|audit|consumption`` and ``plantmeter plan approve|show``
  commands live in ``plantmeter_app.commands.reports``
"""

from __future__ import annotations

from .load import LoadedPlan, PlanVersion, load_plan, plan_digest

__all__ = ["LoadedPlan", "PlanVersion", "load_plan", "plan_digest"]
