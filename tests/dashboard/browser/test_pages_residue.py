"""No English left on the dashboard of a Spanish- or Portuguese-speaking user (issue #15).

Pablo (es_CO) and Paula (pt_BR) read the overview, the alarms, the options, a meter's and the
loans page over HTTP;
the visible text must hold no English-only word (``tests/residue.py``) but the plan's and the
site's own words (the example dairy writes its titles in English), the comments people left
when they acknowledged an alarm, and one flag stored before
flags carried a message, whose English reason is shown as it was stored (old flags stay
readable). A flag found by a detector now carries its message and reads in the user's language.
"""

from __future__ import annotations

import html.parser
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest
import yaml

from analytics.anomalies import Target, stuck
from tests.residue import english_lines

from .conftest import Served
from .test_pages_http import session

LEGACY_REASON = "compressed air left on over the weekend: 41 kWh a day above the baseline"
PAGES = (
    "/",
    "/alarms?site=dairy&days=7",
    "/options?site=dairy",
    "/sites/dairy/meters/cip-water",
    "/loans",
)
STUCK = {  # the detector's sentence, as each catalogue says it (12 readings of 1234.5 m³)
    "es_CO": "12 lecturas idénticas (1234,5): medidor o registro trabado",
    "pt_BR": "12 leituras idênticas (1234,5): medidor ou registrador travado",
}


class _Text(html.parser.HTMLParser):
    """The visible text of a page, one line per block (scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.lines.append(" ".join(data.split()))


def _visible(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return "\n".join(parser.lines)


def _plan_words(served: Served) -> tuple[str, ...]:
    """What the plant wrote (titles, names, areas): shown as written, in any language."""
    plan = yaml.safe_load((served.root / "mv-plan.yaml").read_text())
    site = yaml.safe_load((served.root / "site.yaml").read_text())
    words = [o["title"] for o in plan["options"]]
    words += [a["reason"] for a in plan.get("amendments", [])]
    words += [c.get("description", "") for ln in plan["loans"] for c in ln.get("covenants", [])]
    words += [ln["lender"] for ln in plan["loans"]]
    words += [site["site"]["name"]] + [m["area"] for m in site["meters"] if m.get("area")]
    words += [a.comment for a in served.users.acknowledgements("dairy")]  # people's own words
    return (LEGACY_REASON, *sorted(filter(None, words), key=len, reverse=True))


@pytest.fixture(scope="module")
def stuck_flag(served: Served) -> None:
    """A stuck-meter flag from the detector itself (with its message), two days old."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    values = pd.Series(
        [1234.5] * 12, index=pd.date_range(start, periods=12, freq="h", tz="UTC"), dtype=float
    )
    (flag,) = stuck(Target("dairy", "cip-water", "volume_total"), values)
    assert flag.message and flag.reason == "12 identical readings (1234.5): meter or register stuck"
    served.writer.write_flags([flag])


@pytest.mark.usefixtures("stuck_flag")
@pytest.mark.parametrize(("user", "locale"), [("pablo", "es_CO"), ("paula", "pt_BR")])
def test_no_english_left_on_the_pages(served: Served, user: str, locale: str) -> None:
    allowed = _plan_words(served)
    left = {}
    with session(served, user) as c:
        texts = {}
        for path in PAGES:
            r = c.get(path, follow_redirects=True)
            assert r.status_code == 200, (path, r.status_code)
            texts[path] = _visible(r.text)
            left[path] = english_lines(texts[path], locale, allowed)
    alarms = texts["/alarms?site=dairy&days=7"]
    assert STUCK[locale] in alarms, alarms  # the detector's message, in the user's language
    assert LEGACY_REASON in alarms  # a flag stored before messages: its English reason
    assert {"es_CO": "advertencia", "pt_BR": "aviso"}[locale] in alarms  # severity badge
    found = {p: lines for p, lines in left.items() if lines}
    assert not found, f"English left on {user}'s ({locale}) pages:\n" + "\n".join(
        f"  {p}: {line}" for p, lines in found.items() for line in lines
    )
