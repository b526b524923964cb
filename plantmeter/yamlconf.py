"""Load a YAML config file into a pydantic model with errors a person can act on.

A validation error becomes one line per problem::

    examples/dairy/site.yaml:14: meters[2].unit_id: 300 is out of range; Modbus unit ids are 1-247.

The line number comes from the YAML node the field was read from, so the message
points at the place to edit, not just at the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import ConfigError
from .i18n import N_, _, format_number

__all__ = ["format_validation_error", "load_yaml_model", "read_yaml"]

M = TypeVar("M", bound=BaseModel)

# Hints appended to pydantic's message for the common error types.
_FIXES = {
    "missing": N_("add it"),
    "extra_forbidden": N_("remove it or check its spelling"),
    "literal_error": N_("use one of the listed values"),
}
# pydantic's own words (always English) for the errors people make most, translated when they are
# exactly pydantic's; any other pydantic message stays as pydantic wrote it.
_PYDANTIC = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "int_type": N_("Input should be a valid integer"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "float_type": N_("Input should be a valid number"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "string_type": N_("Input should be a valid string"),
    "dict_type": N_("Input should be a valid dictionary"),
    "list_type": N_("Input should be a valid list"),
    "literal_error": N_("Input should be {expected}"),
    "string_pattern_mismatch": N_("String should match pattern {pattern}"),
}
"""pydantic's templates (pydantic_core 2), matched against its English message: the values in
braces are taken from that message as pydantic wrote them (``0``, ``'x' or 'y'``)."""


def _pydantic_message(kind: str, msg: str) -> str:
    """pydantic's English ``msg`` in the current language when it is one of ``_PYDANTIC``'s."""
    template = _PYDANTIC.get(kind)
    if template is None:
        return msg
    pattern = re.escape(template)
    for name in re.findall(r"\{(\w+)\}", template):
        pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>.+)")
    found = re.fullmatch(pattern, msg)
    if found is None:
        return msg  # another pydantic version's wording: left as it is
    values = {k: _localised_value(v) for k, v in found.groupdict().items()}
    return _(template).format(**values)


def _localised_value(text: str) -> str:
    """A number in the locale's marks (0.5 -> 0,5 in es_CO); alternatives joined by the
    language's 'or' (``'x' or 'y'``); anything else as it is."""
    try:
        number = float(text)
    except ValueError:
        return text.replace("' or '", "' " + _("or") + " '")
    decimals = len(text.split(".")[1]) if "." in text and "e" not in text.lower() else 0
    return format_number(number, decimals)


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Return (data, node tree) of a YAML file; ConfigError names the file and line on syntax errors."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            _("{file}: cannot read the file ({error}); check the path").format(
                file=path, error=exc.strerror
            )
        ) from exc
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = content[: exc.start].count(b"\n") + 1
        raise ConfigError(
            _(
                "{file}:{line}: not UTF-8 text (byte {byte} at offset {offset}); "
                "save the file as UTF-8"
            ).format(file=path, line=line, byte=f"{content[exc.start]:#04x}", offset=exc.start)
        ) from None
    try:
        try:
            return _parse(
                text, getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            )  # libyaml: ~10x faster
        except yaml.YAMLError:
            return _parse(text, yaml.SafeLoader)  # the pure-Python parser says more precisely why
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow; it has no mark
        line = text[: exc.position].count("\n") + 1
        raise ConfigError(
            _(
                "{file}:{line}: invalid YAML: character {character} is not allowed in a YAML "
                "file; delete it (of the control characters YAML allows only tab, newline and "
                "carriage return)"
            ).format(file=path, line=line, character=f"#x{exc.character:04x}")
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            _("{file}:{line}: invalid YAML: {problem}; fix the syntax there").format(
                file=path, line=line, problem=problem
            )
        ) from exc


def _parse(text: str, loader_class: Any) -> tuple[Any, yaml.Node | None]:
    """One pass: the node tree (for line numbers) and the data constructed from it."""
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node is not None else None), node
    finally:
        loader.dispose()


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest node along ``loc`` that exists in the YAML tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == key), None)
            if child is None:
                key_node = next((k for k, _ in node.value if k.value == key), None)
                return key_node.start_mark.line + 1 if key_node is not None else line
            node = child
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        line = node.start_mark.line + 1
    return line


_LEADING_PATH = re.compile(r"^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*): (.*)$", re.S)


def _parse_path(text: str) -> tuple[int | str, ...]:
    """``meters[2].bus`` -> ("meters", 2, "bus")."""
    loc: list[int | str] = []
    for name, index in re.findall(r"([a-z_]+)(?:\[(\d+)\])?", text):
        loc.append(name)
        if index:
            loc.append(int(index))
    return tuple(loc)


_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_ .-]*$")


def _field_path(loc: tuple[int | str, ...]) -> str:
    """``("meters", 2, "bus")`` -> ``meters[2].bus``; a key with other characters (a control
    character, a colon, an empty key) is quoted, ``meters[2]['\\r']``, so it cannot garble the line."""
    out = ""
    for key in loc:
        if isinstance(key, int):
            out += f"[{key}]"
        elif _PLAIN_KEY.match(key) and not key.endswith(" "):
            out += f".{key}" if out else key
        else:
            out += f"[{key!r}]"
    return out or _("(top level)")


def format_validation_error(path: Path, exc: ValidationError, node: yaml.Node | None) -> str:
    """One line per problem: ``file:line: field.path: message; fix``."""
    lines = []
    for err in exc.errors():
        loc = tuple(k for k in err["loc"] if not (isinstance(k, str) and k.startswith("function-")))
        msg = err["msg"].removeprefix("Value error, ")
        msg = _pydantic_message(err["type"], msg)
        if not loc and (found := _LEADING_PATH.match(msg)):
            # model-level checks name the field themselves: "meters[2].bus: ..."
            loc, msg = _parse_path(found.group(1)), found.group(2)
        line = _line_of(node, loc)
        where = f"{path}:{line}" if line else str(path)
        fix = _FIXES.get(err["type"])
        lines.append(f"{where}: {_field_path(loc)}: {msg}" + (f"; {_(fix)}" if fix else ""))
    return "\n".join(lines)


def load_yaml_model(
    path: str | Path, model: type[M], context: Mapping[str, Any] | None = None
) -> M:
    """Validate the YAML file at ``path`` as ``model``; ConfigError lists every problem."""
    path = Path(path)
    data, node = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(
            _("{file}:1: expected a mapping of settings at the top level; see the README").format(
                file=path
            )
        )
    try:
        return model.model_validate(data, context=dict(context or {}, path=path))
    except ValidationError as exc:
        raise ConfigError(format_validation_error(path, exc, node)) from None
