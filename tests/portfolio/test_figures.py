"""The portfolio's figures against the simulator's known truth and closed forms."""

from __future__ import annotations

import math

from plantmeter.catalogue import load_catalogue
from portfolio import portfolio_document, portfolio_summary

from .conftest import Tiny


def test_each_meters_savings_are_the_simulated_change_within_its_band(tiny: Tiny) -> None:
    cat = load_catalogue()
    for plant, result in zip(tiny.generated.plants, tiny.in_process, strict=True):
        assert result.error is None, result.error
        sector = cat.sectors[plant.sector]
        for o in sector.options:
            m = next(f for f in result.meters if f.meter == o.meter)
            assert m.savings is not None and m.adjusted_baseline and m.band_90 is not None
            truth = -plant.true_change[o.id] * m.adjusted_baseline  # the meter's own load only
            # 90 % band, widened by 2 % of the baseline for the daily model's own bias
            assert abs(m.savings - truth) <= m.band_90 + 0.02 * m.adjusted_baseline, (
                plant.site_id,
                o.id,
            )


def test_ranking_loans_and_totals_follow_from_the_sites(tiny: Tiny) -> None:
    summary = portfolio_summary(tiny.in_process, tiny.loaded)
    shortfalls = [r.shortfall for r in summary.ranked]
    assert all(s is not None for s in shortfalls)
    assert shortfalls == sorted(shortfalls, reverse=True)  # type: ignore[type-var]
    for r in summary.ranked:
        assert math.isclose(r.shortfall or 0.0, r.promised_cost - (r.verified_cost or 0.0))
    assert math.isclose(
        summary.verified_cost["USD"], sum(r.verified_cost or 0 for r in tiny.in_process)
    )
    factors = tiny.loaded.spec.emission_factors
    co2 = sum(
        v * factors[c].value for r in tiny.in_process for c, v in r.savings_by_carrier.items()
    )
    assert summary.co2_kg is not None and math.isclose(summary.co2_kg, co2)
    at_risk = {(a["site"], a["id"]) for a in summary.at_risk}
    for r in tiny.in_process:
        for loan in r.loans:
            unmet = any(c["result"] == "not met" for c in loan["covenants"])
            assert ((r.site, loan["id"]) in at_risk) == unmet
    doc = portfolio_document(summary)
    assert [row[1] for row in doc.sections[0].tables[0].rows] == [r.site for r in summary.ranked]
