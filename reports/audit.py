"""Option audit report for a cleaner-production centre.

Per implemented option: before/after evidence (monthly use in the baseline year and after
implementation, with the adjusted baseline), verified savings since implementation vs the
expected savings (pro rata), status. Then the options still proposed with their expected
savings and simple payback, ordered by payback (zero-cost first).
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

import pandas as pd

from plantmeter.catalogue import load_catalogue
from plantmeter.errors import ConfigError, DataSufficiencyError
from plantmeter.i18n import _, current_locale, format_date

from .common import ReportContext
from .document import Chart, Document, Section, Series, Table, fmt, jsonable, pct
from .finance import simple_payback
from .loan import annualised_note
from .loan_doc import expected_text, status_text, verification_rows
from .verify import Verification, Window
from .words import term

__all__ = ["audit_data_end", "audit_document", "audit_report", "peer_options"]

logger = logging.getLogger(__name__)


def audit_data_end(ctx: ReportContext) -> date:
    """The day after the last complete day of data on any implemented option's meters.

    Meters without readings are left out (their options show as insufficient data); an
    option whose meters stop earlier shows its lower completeness, it does not cut the audit.
    """
    meters = sorted({m for o in ctx.plan.options for m in o.meters if o.implemented})
    ends: list[date] = []
    for m in meters:
        try:
            ends.append(ctx.data.data_end(m).tz_convert(ctx.data.tz).date())
        except DataSufficiencyError as exc:
            logger.warning("audit: %s", exc)
    if not ends:
        raise ConfigError(
            f"no implemented option's meter ({', '.join(meters) or 'none'}) has readings in "
            "the store; import or ingest them, or give --period YYYY-MM"
        )
    return max(ends)


def audit_report(ctx: ReportContext, as_of: date) -> dict[str, Any]:
    """Every number of the audit as of ``as_of`` (exclusive end of the data used)."""
    plan, v = ctx.plan, ctx.verifier
    done, proposed, evidence = [], [], {}
    for o in plan.options:
        if o.status in ("implemented", "verified") and o.implemented and o.implemented < as_of:
            ver = v.verify(o.id, Window("since", f"since {o.implemented}", o.implemented, as_of))
            annual = {u: x * 365.0 / max(ver.days, 1) for u, x in ver.savings.items()}
            done.append(
                {
                    "option": o.model_dump(mode="json"),
                    "verification": ver,
                    "annualised": annual,
                    "annualised_cost": (ver.cost or 0) * 365.0 / max(ver.days, 1)
                    if ver.has_number
                    else None,
                    "annualised_note": annualised_note(ver.days) if ver.has_number else "",
                }
            )
            for m in o.meters:
                try:
                    use = v.usage(m).resample("MS").sum(min_count=1)
                except DataSufficiencyError as exc:  # no readings: the table says so
                    logger.warning("audit: no evidence chart for %s: %s", m, exc)
                    continue
                use = use[
                    (use.index >= pd.Timestamp(plan.baseline.start).tz_localize(ctx.data.tz))
                    & (use.index < pd.Timestamp(as_of).tz_localize(ctx.data.tz))
                ]
                try:
                    t = v.trace(m, o.implemented, as_of)
                    base = t["adjusted_baseline"].resample("MS").sum(min_count=1)
                except Exception as exc:  # noqa: BLE001 - evidence chart only
                    logger.warning("audit: no adjusted baseline for %s: %s", m, exc)
                    base = pd.Series(dtype=float)
                evidence[(o.id, m)] = (use, base.reindex(use.index))
        elif o.status in ("proposed", "approved"):
            pb = simple_payback(o.investment, o.expected_annual.cost)
            proposed.append({"option": o.model_dump(mode="json"), "payback_years": pb})
    proposed.sort(
        key=lambda p: (
            p["payback_years"] is None,
            p["payback_years"] or 0.0,
            p["option"]["investment"],
        )
    )
    return {
        "as_of": as_of,
        "implemented": done,
        "proposed": proposed,
        "evidence": evidence,
        "peers": peer_options(ctx),
    }


def peer_options(ctx: ReportContext) -> list[dict[str, Any]]:
    """Typical options of the site's sector (``site.sector``, ``plantmeter/catalogue.yaml``)
    that its plan does not list yet: "plants like yours also implemented"."""
    sector = ctx.loaded.site.site.sector
    if sector is None:
        return []
    cat = load_catalogue()
    listed = {o.id for o in ctx.plan.options} | {o.title.lower() for o in ctx.plan.options}
    return [
        {
            "id": o.id,
            "title": o.title,
            "level": o.level,
            "typical_saving": o.saving,
            "meter": o.meter,
            "source": cat.source(o),
        }
        for o in cat.implemented_by_peers(sector)
        if o.id not in listed and o.title.lower() not in listed
    ]


def _unit(ver: Verification | None, meter: str) -> str:
    units = {ms.meter: ms.unit for ms in (ver.meters if ver is not None else [])}
    return units.get(meter, _("use"))


def _peer_section(peers: list[dict[str, Any]]) -> list[Section]:
    if not peers:
        return []
    rows = [
        [p["title"], p["level"],
         _("{share} of {meter}").format(share=pct(p["typical_saving"], 0), meter=p["meter"]), p["source"]]
        for p in peers
    ]  # fmt: skip
    return [
        Section(
            _("Plants like yours also implemented"),
            [_("Typical options of the sector (plantmeter/catalogue.yaml) that this plan does not "
               "list; typical savings are shares of the named meter's own use, with their sources.")],
            [Table([_("option"), _("level"), _("typical saving"), _("source")], rows)],
        )
    ]  # fmt: skip


def audit_document(r: dict[str, Any], meta: list[str], currency: str, site: str) -> Document:
    rows = []
    for d in r["implemented"]:
        o, ver = d["option"], d["verification"]
        unit = next(iter(ver.savings), "")
        exp = o["expected_annual"].get({"kWh": "kwh", "m3": "m3"}.get(unit, "cost"), 0)
        rows.append(
            [
                o["id"],
                term(o["level"]),
                format_date(o["implemented"]),
                status_text(ver.status, ver.extrapolated),
                (fmt(d["annualised"].get(unit), 0, unit) + (" *" if d["annualised_note"] else ""))
                if ver.has_number
                else "—",
                fmt(exp, 0, unit),
                fmt(d["annualised_cost"], 0, currency),
                fmt(o["expected_annual"]["cost"], 0, currency),
                pct(ver.completeness),
            ]
        )
    impl = Table(
        [
            _("option"),
            _("level"),
            _("implemented"),
            _("status"),
            _("verified / year"),
            _("expected / year"),
            _("verified cost / year"),
            _("expected cost / year"),
            _("data"),
        ],
        rows,
        _("Implemented options: verified since implementation, annualised"),
    )
    prop = Table(
        [_("option"), _("title"), _("level"), _("investment"), _("expected / year"), _("payback")],
        [
            [
                p["option"]["id"],
                p["option"]["title"],
                term(p["option"]["level"]),
                fmt(p["option"]["investment"], 0, currency),
                expected_text(p["option"]["expected_annual"], currency),
                "—"
                if p["payback_years"] is None
                else _("{years} years").format(years=fmt(p["payback_years"], 1)),
            ]
            for p in r["proposed"]
        ],
        _("Options still proposed, by payback (zero-cost first)"),
    )
    charts = []
    vers_by_id = {d["option"]["id"]: d["verification"] for d in r["implemented"]}
    for (oid, m), (use, base) in r["evidence"].items():
        imp = next(d["option"]["implemented"] for d in r["implemented"] if d["option"]["id"] == oid)
        charts.append(
            Chart(
                _("{option} on {meter}: monthly use before and after implementation").format(
                    option=oid, meter=m
                ),
                list(use.index.tz_localize(None)),
                [
                    Series(_("actual"), list(use)),
                    Series(_("adjusted baseline (after)"), list(base), "dashed"),
                ],
                _("{unit} per month").format(unit=_unit(vers_by_id.get(oid), m)),
                [(pd.Timestamp(imp), term("implemented"))],
            )
        )
    vers = [d["verification"] for d in r["implemented"]]
    n_ok = sum(v.status == "on track" for v in vers)
    n_extra = sum(v.extrapolated for v in vers)
    summary = _(
        "{n} options implemented at {site}: {ok} on track, {below} below promise, {short} with "
        "insufficient data; {proposed} still proposed"
    ).format(
        n=len(vers),
        site=site,
        ok=n_ok,
        below=sum(v.status == "below promise" for v in vers),
        short=sum(v.status == "insufficient data" for v in vers),
        proposed=len(r["proposed"]),
    ) + (
        _(
            "; {n} of the verified figures EXTRAPOLATED (drivers outside the baseline's range)."
        ).format(n=n_extra)
        if n_extra
        else "."
    )
    caveats = [str(c) for c in sorted({c for v in vers for c in v.caveats})]
    caveats += [
        f"* {d['option']['id']}: {d['annualised_note']}."
        for d in r["implemented"]
        if d["annualised_note"]
    ]
    caveats += [
        _("{option}: drivers outside the baseline's range — {note}").format(option=v.option, note=n)
        for v in vers
        for n in v.driver_notes
    ]
    data = {
        "report": "audit",
        "as_of": r["as_of"],
        "implemented": [
            {
                **d["option"],
                "verification": d["verification"].to_dict(),
                "annualised": d["annualised"],
                "annualised_cost": d["annualised_cost"],
                "annualised_note": d["annualised_note"],
            }
            for d in r["implemented"]
        ],
        "proposed": [{**p["option"], "payback_years": p["payback_years"]} for p in r["proposed"]],
        **({"peers": r["peers"]} if r.get("peers") else {}),
    }
    return Document(
        _("Cleaner-production option audit — {site} — data to {day}").format(
            site=site, day=r["as_of"] - timedelta(days=1)
        ),
        summary,
        meta,
        [
            Section(
                _("Implemented options"),
                [
                    _(
                        "Verified savings = adjusted baseline − actual on each option's meters "
                        "since its implementation; ± is the 90 % interval. Expected figures are "
                        "the plan's."
                    ),
                    *caveats,
                ],
                [impl, verification_rows(vers, currency)],
            ),
            Section(_("Options still proposed"), [], [prop]),
            *_peer_section(r.get("peers", [])),
            Section(_("Before / after evidence"), [], [], charts),
        ],
        jsonable(data),
        current_locale(),
    )
