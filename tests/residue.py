"""What is left in English on a page meant to be Spanish or Portuguese (issue #15's residue).

``english_lines(text, lang)`` returns the lines of ``text`` that hold a word or phrase only
English writes: words that are no Spanish or Portuguese word ("the", "of", "days", "since",
"savings"...), and phrases PlantMeter used to build in English ("to date", "no savings figure",
"approved model"). Ids, paths and URLs (``cip-water``, ``sqlite:///…``) are left out before
looking, since they are data, not language. A test asserts the list is empty and prints it.
"""

from __future__ import annotations

import re

__all__ = ["ENGLISH_ONLY", "english_lines"]

ENGLISH_ONLY = (
    # words no Spanish or Portuguese sentence contains
    "the", "of", "and", "is", "are", "was", "has", "have", "with", "from", "by", "on", "at",
    "to", "for", "per", "than", "not", "days", "day", "since", "data", "status", "approved",
    "verified", "savings", "readings", "reading", "baseline", "interval", "against", "below",
    "above", "expected", "annualised", "night", "meter", "meters", "flags", "flag", "found",
    "still", "more", "which", "when", "what", "seen", "limit", "identical", "value",
    "values", "reduction", "promised", "extrapolated", "drivers", "stipulated", "option",
    "adjustment", "amendments", "applied", "version", "entry", "record", "pinned", "fitted",
    "shared", "whole", "facility", "left", "unknown", "counter", "excess", "leak", "stuck",
    "spike", "reset", "rollover", "offline", "hours",
    # phrases of the engine's old English texts
    "to date", "no savings figure", "approved model", "complete data", "a day",
    "part-year", "straddles",
)  # fmt: skip
# Portuguese writes "data" (a date): only English in Spanish ("use" is Portuguese too, so
# English "use" is not listed)
_ONLY_IN = {"pt_BR": {"data", "offline"}}  # Brazilian usage keeps "offline" too
_DATA = re.compile(r"\S*[/@_]\S*|\b[\w.]+(?:-[\w.]+)+\b")  # paths, URLs, ids like cip-water


def english_lines(text: str, lang: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """The lines of ``text`` with an English-only word or phrase, after removing ids, paths
    and the ``allowed`` strings (data a person wrote, such as a plan's own titles)."""
    skip = _ONLY_IN.get(lang, set())
    words = [w for w in ENGLISH_ONLY if w not in skip]
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
    found = []
    for line in text.splitlines():
        bare = line
        for a in filter(None, allowed):  # ("" would split every character apart)
            bare = bare.replace(a, " ")
        bare = _DATA.sub(" ", bare)
        hits = sorted({m.group(0).lower() for m in pattern.finditer(bare)})
        if hits:
            found.append(f"{', '.join(hits)}: {line.strip()}")
    return found
