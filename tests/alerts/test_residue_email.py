"""No English left in a Spanish alert e-mail (issue #15), the detector's own words included.

The simulated leak on a site whose file says ``locale: es_GT`` (as tests/alerts/test_leak_alert
runs it): the opening e-mail's subject and body, with the night-flow detector's "what was seen"
and the excess that came with it, must hold no English-only word (``tests/residue.py``), and
its numbers are written as Guatemala writes them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from alerts import EmailChannel, Ledger, dispatch, evaluate
from plantmeter.config import load_site
from plantmeter.store import SeriesStore
from tests.alerts.history import END, LEAK_AT, SITE, load
from tests.residue import english_lines
from tests.smtp_server import SmtpServer


def test_the_leak_email_of_a_spanish_site_has_no_english_left(
    plant: tuple[Path, SeriesStore], leaky: pd.DataFrame
) -> None:
    tmp, store = plant
    text = SITE.replace(
        "timezone: America/Guatemala}}", "timezone: America/Guatemala, locale: es_GT}}"
    ).replace("Example dairy", "Lechería de ejemplo")
    assert "locale: es_GT" in text
    with SmtpServer(tmp) as smtp, Ledger(tmp / "alerts.db") as ledger:
        (tmp / "site.yaml").write_text(text.format(smtp=smtp.url))
        site = load_site(tmp / "site.yaml", environ={})
        channels = [EmailChannel(site.alerts.email)]  # type: ignore[union-attr, arg-type]
        load(store, leaky, tmp, LEAK_AT)
        evaluate(store, site, ledger, now=LEAK_AT)
        load(store, leaky, tmp, END)
        evaluate(store, site, ledger, now=END)
        dispatch(ledger, channels, now=END)
        mails = smtp.messages()
    assert len(mails) == 1, [m.message["Subject"] for m in mails]
    subject, body = mails[0].message["Subject"], mails[0].message.get_content()
    assert subject.startswith("[PlantMeter dairy] cip-water: fuga"), subject
    # the detector's sentence in Spanish: the simulator's 0.3 m³/h that never stops at night
    seen = next(line for line in body.splitlines() if line.startswith("Lo observado: "))
    assert " m³/h de noche desde las 01:00 del 5 nov 2025, ≈ " in seen, seen
    assert "noches)" in seen and "mínimo nocturno" in seen, seen
    left = english_lines(subject + "\n" + body, "es_GT")
    assert not left, "English left in the es_GT alert e-mail:\n" + "\n".join(left)
