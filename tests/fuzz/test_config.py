"""The site and M&V plan loaders against random files and random mutations of the dairy's: a
config object or a ConfigError whose every line starts with ``<file>:<line>: `` (the place to
edit), never a traceback.

Mutations work on the YAML tree (a key deleted, a value replaced by any YAML value, an unknown
key added, a list item dropped or doubled) and on the text (a line deleted, doubled or moved,
characters inserted), so both the models and the line numbering of errors are exercised.
"""

from __future__ import annotations

import copy
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from plantmeter.config import SiteConfig, load_site
from plantmeter.errors import ConfigError
from reports.load import LoadedPlan, load_plan

from .budget import fuzz

EXAMPLE = Path(__file__).parents[2] / "examples" / "dairy"
SITE = yaml.safe_load((EXAMPLE / "site.yaml").read_text())
SITE_TEXT = (EXAMPLE / "site.yaml").read_text()
PLAN = yaml.safe_load((EXAMPLE / "mv-plan.yaml").read_text())
PLAN_TEXT = (EXAMPLE / "mv-plan.yaml").read_text()
NO_ENV: dict[str, str] = {}

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(
        [
            "1s",
            "10s",
            "0s",
            "-1s",
            "2h",
            "mqtt://x:1",
            "sqlite:///x.db",
            "tcp",
            "UTC",
            "Nowhere/Zone",
            "2025-02-30",
            "2025-04-01",
            "eastron-sdm630",
            "main-elec",
            "board-1",
            "00:00",
            "25:00",
        ]
    )
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8) | st.integers(), inner, max_size=3)
    ),
    max_leaves=8,
)
DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): \S")


def _dump(document: object) -> str:
    return yaml.dump(document, Dumper=DUMPER, sort_keys=False, allow_unicode=True)


@contextmanager
def _folder() -> Iterator[Path]:
    """A folder with the dairy's files (the plan reads site.yaml beside it); hypothesis runs
    many inputs in one test call, so pytest's tmp_path cannot be used per input."""
    with tempfile.TemporaryDirectory(prefix="pm-fuzz-") as name:
        folder = Path(name)
        for file in ("site.yaml", "mv-plan.yaml"):
            shutil.copy(EXAMPLE / file, folder / file)
        yield folder


def _clean_error(exc: ConfigError, path: Path) -> None:
    text = str(exc)
    assert text.strip(), "an empty error message"
    first = text.splitlines()[0]
    found = LINE.match(first)
    assert found, f"the error does not start with file:line: {text!r}"
    assert found["file"] == str(path) or found["file"].startswith(str(path.parent)), text
    assert "Traceback" not in text


def _load_site(path: Path) -> SiteConfig | None:
    try:
        return load_site(path, NO_ENV)
    except ConfigError as exc:
        _clean_error(exc, path)
        return None


def _load_plan(path: Path) -> LoadedPlan | None:
    try:
        return load_plan(path, NO_ENV)
    except ConfigError as exc:
        _clean_error(exc, path)
        return None


# --- tree mutations --------------------------------------------------------------------------


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


@st.composite
def mutated(draw: st.DrawFn, document: Any) -> Any:
    data = copy.deepcopy(document)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        action = draw(st.sampled_from(["delete", "replace", "add", "double"]))
        if action == "delete":
            del parent[key]
        elif action == "replace":
            parent[key] = draw(VALUES)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=8))] = draw(VALUES)
        elif action == "double" and isinstance(parent, list):
            parent.append(parent[key])
    return data


@st.composite
def text_mutated(draw: st.DrawFn, text: str) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "double", "move", "insert"]))
        if action == "delete" and len(lines) > 1:
            del lines[i]
        elif action == "double":
            lines.insert(i, lines[i])
        elif action == "move":
            lines.insert(draw(st.integers(0, len(lines) - 1)), lines.pop(i))
        else:
            at = draw(st.integers(0, len(lines[i])))
            noise = draw(st.text(alphabet=":{}[],#&*!|>'\"%@`- \t\nab1", min_size=1, max_size=4))
            lines[i] = lines[i][:at] + noise + lines[i][at:]
    return "".join(lines)


# --- site file -------------------------------------------------------------------------------


@given(document=VALUES)
@fuzz(150)
def test_any_yaml_document_as_site_file(document: object) -> None:
    with _folder() as folder:
        path = folder / "site.yaml"
        path.write_text(_dump(document))
        assert _load_site(path) is None or isinstance(document, dict)


@given(content=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
@fuzz(150)
def test_any_bytes_as_site_file(content: bytes) -> None:
    with _folder() as folder:
        path = folder / "site.yaml"
        path.write_bytes(content)
        _load_site(path)


@given(document=mutated(SITE))
@fuzz(150)
def test_the_dairy_site_file_mutated(document: object) -> None:
    with _folder() as folder:
        path = folder / "site.yaml"
        path.write_text(_dump(document))
        _load_site(path)


@given(text=text_mutated(SITE_TEXT))
@fuzz(150)
def test_the_dairy_site_file_text_mutated(text: str) -> None:
    with _folder() as folder:
        path = folder / "site.yaml"
        path.write_text(text)
        _load_site(path)


# --- M&V plan --------------------------------------------------------------------------------


@given(document=mutated(PLAN))
@fuzz(60)
def test_the_dairy_plan_mutated(document: object) -> None:
    with _folder() as folder:
        path = folder / "mv-plan.yaml"
        path.write_text(_dump(document))
        _load_plan(path)


@given(text=text_mutated(PLAN_TEXT))
@fuzz(60)
def test_the_dairy_plan_text_mutated(text: str) -> None:
    with _folder() as folder:
        path = folder / "mv-plan.yaml"
        path.write_text(text)
        _load_plan(path)


@given(content=VALUES.map(_dump) | st.binary(max_size=120).map(lambda b: b.decode("latin-1")))
@fuzz(60)
def test_any_document_as_plan_file(content: str) -> None:
    with _folder() as folder:
        path = folder / "mv-plan.yaml"
        path.write_bytes(content.encode("utf-8", "surrogatepass"))
        _load_plan(path)
