"""The savings and flags subcommands, end to end through argparse (and one subprocess run)."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from plantmeter.errors import AnalyticsError, InputError
from plantmeter_app.commands import analytics as cli

from .synth import daily_frame
from .test_jobs import _plant

ROOT = Path(__file__).resolve().parents[2]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="plantmeter")
    cli.register(p.add_subparsers(dest="command"))
    return p


def _csvs(tmp_path: Path) -> tuple[Path, Path, Path]:
    df = daily_frame(seed=21, prod=2.0)
    df.loc[df.index >= pd.Timestamp("2024-01-01", tz="UTC"), "usage"] -= 40
    out = []
    for col in ("usage", "temperature", "production"):
        p = tmp_path / f"{col}.csv"
        df[[col]].rename_axis("timestamp").reset_index().assign(
            timestamp=lambda d: d["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
        ).to_csv(p, index=False)
        out.append(p)
    return out[0], out[1], out[2]


def _args(tmp_path: Path, *extra: str) -> list[str]:
    u, t, p = _csvs(tmp_path)
    return [
        "savings",
        "--usage",
        str(u),
        "--temperature",
        str(t),
        "--production",
        str(p),
        "--baseline",
        "2023-01-01..2024-01-01",
        "--reporting",
        "2024-01-01..2025-01-01",
        "--temperature-unit",
        "F",
        *extra,
    ]


def test_savings_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(_args(tmp_path, "--json"))
    assert args.func(args) == 0
    d = json.loads(capsys.readouterr().out)
    for key in (
        "observed",
        "adjusted_baseline",
        "savings",
        "savings_fraction",
        "fsu_68",
        "fsu_90",
        "data_sufficiency",
    ):
        assert key in d
    assert set(d["model"]) >= {"type", "r2", "cvrmse", "nmbe", "n", "coefficients"}
    assert d["savings"] == pytest.approx(40 * 365, rel=0.1)
    assert d["model"]["type"] == "5P"


def test_savings_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = _parser().parse_args(_args(tmp_path))
    assert args.func(args) == 0
    out = capsys.readouterr().out
    assert "adjusted baseline" in out and "ASHRAE G14" in out and "check PASS" in out


def test_savings_bad_period_and_csv(tmp_path: Path) -> None:
    args = _parser().parse_args(_args(tmp_path)[:-2] + ["--baseline", "2023-01-01"])
    with pytest.raises(InputError, match="START..END"):
        args.func(args)
    bad = tmp_path / "bad.csv"
    bad.write_text("time,value\n2024-01-01,1\n")
    with pytest.raises(AnalyticsError, match="no `timestamp` column"):
        cli.read_series_csv(bad, "UTC")
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("timestamp,v\n2024-01-01T00:00:00+00:00,1\n2024-01-02T00:00:00,2\n")
    with pytest.raises(AnalyticsError, match="some timestamps carry a UTC offset"):
        cli.read_series_csv(mixed, "UTC")


def test_savings_subprocess(tmp_path: Path) -> None:
    argv = _args(tmp_path, "--json")
    code = (
        "import argparse, sys; from plantmeter_app.commands.analytics import register; "
        "p = argparse.ArgumentParser(); register(p.add_subparsers()); "
        "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["model"]["type"] == "5P"


def test_cli_import_does_not_load_numba() -> None:
    code = "import sys, plantmeter_app.commands.analytics; print('numba' in sys.modules)"
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert r.stdout.strip() == "False", r.stderr


def test_flags_command_on_a_site_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.db"
    store, _ = _plant(path=str(db))
    store.close()
    site = tmp_path / "site.yaml"
    site.write_text(
        "site: {id: dairy, name: Test dairy, timezone: UTC}\n"
        f"store: {{url: 'sqlite:///{db}'}}\n"
        "buses: [{id: b, transport: tcp, host: 127.0.0.1, port: 5020}]\n"
        "meters: [{id: cip-water, bus: b, unit_id: 10, profile: tuf2000, kind: water, poll: 30s}]\n"
    )
    bad = _parser().parse_args(["flags", str(site), "--since", "2024-02-01", "--reference", "soon"])
    with pytest.raises(AnalyticsError, match="--reference 'soon' is not a date"):
        bad.func(bad)
    args = _parser().parse_args(
        ["flags", str(site), "--since", "2024-01-01", "--reference", "2024-01-01"]
    )
    assert args.func(args) == 0
    out = capsys.readouterr()
    assert "leak" in out.out and "flags written for site dairy" in out.err
    _, reopened = cli._open_site(site)
    try:
        assert any(f.kind == "leak" for f in reopened.read_flags("dairy"))
    finally:
        reopened.close()


def test_flags_with_a_plan_judge_by_its_baseline_and_cost_at_its_tariff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--plan: the plan's baseline period is the reference (not the first weeks read), excess is
    valued at its tariff, flags come costliest first in local time, and the run is recorded."""
    db = tmp_path / "store.db"
    store, _ = _plant(days=56, path=str(db))  # leak of 0.8 m³/h from 2024-02-01 on
    store.close()
    (tmp_path / "site.yaml").write_text(
        "site: {id: dairy, name: Test dairy, timezone: UTC}\n"
        f"store: {{url: 'sqlite:///{db}'}}\n"
        "buses: [{id: b, transport: tcp, host: 127.0.0.1, port: 5020}]\n"
        "meters: [{id: cip-water, bus: b, unit_id: 10, profile: tuf2000, kind: water, poll: 30s}]\n"
    )
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "id: test-mv\nsite_config: site.yaml\ncurrency: USD\n"
        "baseline: {start: 2024-01-01, end: 2024-01-29}\n"
        "reporting: {start: 2024-01-29, end: 2024-03-01}\n"
        "baselines: {cip-water: {model: towt, granularity: hourly}}\n"
        "tariffs: {water: {type: flat, price: 2.10}}\n"
        "options: [{id: o, title: An option, level: housekeeping, meters: [cip-water]}]\n"
    )
    from plantmeter_app.cli import build_parser

    both = build_parser().parse_args(["flags", "--plan", str(plan), "--reference", "2024-01-01"])
    with pytest.raises(AnalyticsError, match="drop --reference"):
        both.func(both)
    # the window opens on the leak's first day: only the plan's baseline says it is not normal
    args = build_parser().parse_args(["flags", "--plan", str(plan), "--since", "2024-02-01"])
    assert args.func(args) == 0
    out = capsys.readouterr()
    first = out.out.splitlines()[0]
    assert "cip-water: leak: 0.8 m³/h at night since 01:00 on 1 Feb 2024" in first, out.out
    assert "≈ 40 USD a day" in first  # 0.8 m³/h x 24 h x 2.10 USD/m³
    assert "below" not in out.out
    # the same run from a Colombian terminal: kind, severity and reason in Spanish, 0,8 m³/h
    from plantmeter.i18n import use_locale

    with use_locale("es_CO"):
        assert args.func(args) == 0
    first_es = capsys.readouterr().out.splitlines()[0]
    assert first_es.startswith("crítica"), first_es
    assert "cip-water: fuga: 0,8 m³/h de noche desde las 01:00" in first_es, first_es
    _, reopened = cli._open_site(tmp_path / "site.yaml")
    try:
        runs = reopened.read_flag_runs("dairy")
        assert [(r.meter, r.start_ms) for r in runs] == [
            ("cip-water", int(pd.Timestamp("2024-02-01", tz="UTC").value // 1_000_000))
        ]
        leak = next(f for f in reopened.read_flags("dairy") if f.kind == "leak")
        assert leak.cost_per_day == pytest.approx(0.8 * 24 * 2.10, rel=0.05)
    finally:
        reopened.close()
