"""OpenEEmeter reference environment and the sample-data comparison.

eemeter 4.1.1 needs pandas < 2.4 and scikit-learn < 1.6, which PlantMeter's environment
does not have, so it lives in its own virtual environment (``.venv-eemeter``, gitignored)
created on first use. Data cross the boundary as CSV/JSON files in a temporary folder;
``bench/eemeter_runner.py`` is the script run inside that environment.

``python -m bench.eemeter_env`` prints the comparison table.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["EEMETER_PIN", "VENV", "compare_samples", "ensure_env", "run_eemeter"]

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv-eemeter"
EEMETER_PIN = ["eemeter==4.1.1", "pandas<2.4", "scikit-learn<1.6"]
RUNNER = Path(__file__).with_name("eemeter_runner.py")


def ensure_env(venv: Path = VENV) -> Path:
    """The eemeter venv's python, creating the venv and installing eemeter if missing."""
    py = venv / "bin" / "python"
    if py.exists():
        ok = subprocess.run([str(py), "-c", "import eemeter"], capture_output=True, timeout=120)
        if ok.returncode == 0:
            return py
    logger.info("creating %s with %s", venv, " ".join(EEMETER_PIN))
    base = "python3" if sys.prefix == sys.base_prefix else sys.base_prefix + "/bin/python3"
    subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(py), "-m", "pip", "install", "-q", *EEMETER_PIN], check=True, timeout=1200)
    return py


def run_eemeter(mode: str, outdir: Path, *args: str) -> None:
    """Run the runner script in the eemeter venv (``samples`` or ``bench``)."""
    py = ensure_env()
    r = subprocess.run(
        [str(py), str(RUNNER), mode, str(outdir), *args],
        capture_output=True,
        text=True,
        timeout=1200,
    )
    if r.returncode != 0:
        raise RuntimeError(f"eemeter runner failed ({r.returncode}):\n{r.stderr[-3000:]}")


def _ours(res: dict[str, Any], outdir: Path) -> dict[str, Any]:
    import pandas as pd

    from analytics.api import compute_savings
    from plantmeter_app.commands.analytics import read_series_csv

    name = res["name"]
    usage = read_series_csv(outdir / f"{name}.usage.csv", "UTC")
    temp = read_series_csv(outdir / f"{name}.temperature.csv", "UTC")
    b0, b1, r0, r1 = (pd.Timestamp(p) for p in res["periods"])
    if res["granularity"] == "hourly":
        usage = usage.resample("h").sum(min_count=1)
    r = compute_savings(
        usage,
        (b0, b1),
        (r0, r1),
        temp,
        granularity=res["granularity"],
        temperature_unit="F",
        allow_disqualified=True,
    )
    return {
        "observed": r.observed,
        "adjusted_baseline": r.adjusted_baseline,
        "savings": r.savings,
        "fsu_68": r.fsu_68,
        "fsu_90": r.fsu_90,
        "model": r.model.type,
        "cvrmse": r.model.cvrmse,
    }


def compare_samples(outdir: Path | None = None) -> list[dict[str, Any]]:
    """Fit eemeter and PlantMeter on eemeter's samples (same baseline and reporting years)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(outdir or tmp)
        run_eemeter("samples", out)
        rows = []
        for res in json.loads((out / "eemeter_results.json").read_text()):
            ours = _ours(res, out)
            row = {
                "name": res["name"],
                "granularity": res["granularity"],
                "eemeter_model": res["model"],
                "our_model": ours["model"],
                "eemeter_baseline": res["adjusted_baseline"],
                "our_baseline": ours["adjusted_baseline"],
                "baseline_diff": ours["adjusted_baseline"] / res["adjusted_baseline"] - 1,
                "eemeter_savings": res["savings"],
                "our_savings": ours["savings"],
                "eemeter_band_68": res.get("band_68"),
                "our_band_68": ours["fsu_68"] * abs(ours["savings"]),
                "observed_eemeter": res["observed"],
                "observed_ours": ours["observed"],
            }
            b68 = res.get("band_68")
            row["savings_in_eemeter_68"] = (
                None if b68 is None else abs(ours["savings"] - res["savings"]) <= b68
            )
            rows.append(row)
        return rows


def main() -> int:
    logging.basicConfig(level=logging.INFO)
    rows = compare_samples()
    print(
        f"{'sample':34s} {'ee model':18s} {'ours':5s} {'ee base':>9s} {'our base':>9s} {'diff':>7s}"
        f" {'ee sav':>8s} {'our sav':>8s} {'ee ±68':>7s} {'our ±68':>7s} in68"
    )
    for r in rows:
        b = r["eemeter_band_68"]
        print(
            f"{r['name']:34s} {r['eemeter_model'][:18]:18s} {r['our_model']:5s} "
            f"{r['eemeter_baseline']:9.1f} {r['our_baseline']:9.1f} {r['baseline_diff']:+7.2%} "
            f"{r['eemeter_savings']:8.1f} {r['our_savings']:8.1f} "
            f"{'' if b is None else format(b, '7.1f'):>7s} {r['our_band_68']:7.1f} "
            f"{r['savings_in_eemeter_68']}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
