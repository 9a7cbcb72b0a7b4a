"""Read YAML with positions: every mapping remembers the line and column of each key.

Authors write YAML by hand (front matter, procedures, profiles), so every error must point at
the key it concerns. The loader also narrows YAML 1.1's implicit typing: `no`, `on` and
`08:15` stay strings (Norwegian text is full of them), and `+4764980212` stays a string
instead of silently becoming an integer and losing its `+`.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from scenarios.diagnostics import Diagnostic


class PositionedDict(dict[str, Any]):
    """A YAML mapping that knows the (line, col) of each key (1-based, in the source file)."""

    positions: dict[str, tuple[int, int]]
    line: int
    col: int


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader with only true/false, null and plain decimal integers typed implicitly."""


_StrictLoader.yaml_implicit_resolvers = {}
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789")
)
_StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


class _DuplicateKey(yaml.MarkedYAMLError):
    """Raise on a key given twice (YAML would silently keep the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> PositionedDict:
    loader.flatten_mapping(node)
    mapping = PositionedDict()
    mapping.positions = {}
    mapping.line = node.start_mark.line + 1
    mapping.col = node.start_mark.column + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        # Keys are names an author typed; numbers or booleans as keys are made text.
        key_text = "" if key is None else str(key)
        if key_text in mapping:
            raise _DuplicateKey(
                None, None, f"nøkkelen «{key_text}» står to ganger", key_node.start_mark
            )
        mapping[key_text] = loader.construct_object(value_node, deep=True)
        mapping.positions[key_text] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
    return mapping


_StrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)

# libyaml (PyYAML's C extension) reads the same YAML about ten times faster. It is only a
# fast path: its error messages differ and its composer recurses in C (deep nesting could
# crash the process), so it runs only on text whose nesting is certainly shallow, and any
# failure is read again by the pure-Python loader, whose result or message is the answer.
_FastLoader: type[Any] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _CStrictLoader(yaml.CSafeLoader):
        """libyaml-backed twin of `_StrictLoader`: same resolvers, same constructors."""

    _CStrictLoader.yaml_implicit_resolvers = _StrictLoader.yaml_implicit_resolvers
    _CStrictLoader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
    _FastLoader = _CStrictLoader

# Every collection opens at one of these characters ("[", "{", "- ", "? " or a "key:"), so
# their count bounds the nesting depth; below this bound neither loader runs out of stack.
_FAST_MAX_OPENERS = 100
_FAST_EXCLUDED = re.compile("[\t\r#\x85\u2028\u2029\ufeff]")


def _load_fast(text: str) -> tuple[bool, Any]:
    """Try libyaml; return (True, data) on success, (False, None) to use the Python loader."""
    if _FastLoader is None:
        return False, None
    if sum(text.count(c) for c in "[{-?:") > _FAST_MAX_OPENERS:
        return False, None
    # Where the two readers were seen to disagree (the Python one is stricter): tabs, byte
    # order marks, comments ("key: >-#"), unusual line breaks, and "?" or "!" inside a
    # flow collection ("[a, b?c]"; "[a,!, b]" is an unknown tag "!," to the Python reader
    # and an empty item to libyaml). tests/unit/scenarios/test_yamlsource_fast.py compares.
    if _FAST_EXCLUDED.search(text):
        return False, None
    flow = min((i for i in (text.find("["), text.find("{")) if i >= 0), default=-1)
    if flow >= 0 and ("?" in text[flow:] or "!" in text[flow:]):
        return False, None
    try:
        return True, yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a SafeLoader
    except Exception:  # the Python loader reads it again, and reports what is wrong
        return False, None


# A case's front matter is flat: `key: value` lines, `[a, b]` lists and `>-` folded text.
# Even over libyaml, PyYAML's composer callbacks and constructors cost as much as the rest
# of the parse of a small case, so that shape is read here directly; anything else (and
# anything this reader is not sure of) goes to the loaders above. Plain scalars are typed
# as `_StrictLoader` types them. tests/unit/scenarios/test_yamlsource_fast.py compares.
_FLAT_KEY = re.compile(r"([^\W\d_][^\W_]*(?:[ -][^\W_]+)*): (.+)")
_FLAT_ITEM = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_FLAT_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_PLAIN_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_NOT_IN_PLAIN = re.compile(r"[:#\[\]{}]|\s$")
_FLAT_WORDS: dict[str, Any] = {
    **dict.fromkeys(("true", "True", "TRUE"), True),
    **dict.fromkeys(("false", "False", "FALSE"), False),
    **dict.fromkeys(("~", "null", "Null", "NULL"), None),
}


def _flat_scalar(text: str) -> Any:
    """A plain scalar typed as `_StrictLoader`'s resolvers type it (bool, int, null, str)."""
    if text in _FLAT_WORDS:
        return _FLAT_WORDS[text]
    return int(text) if _FLAT_INT.fullmatch(text) else text


def _load_flat(text: str, first_line: int) -> tuple[bool, Any]:
    """Read a flat mapping; return (True, data) as `load_yaml` would, or (False, None)."""
    mapping = PositionedDict()
    mapping.positions = {}
    mapping.line, mapping.col = first_line, 1
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        match = _FLAT_KEY.fullmatch(line)
        # isprintable: no tab, CR, odd space, byte order mark or control character.
        if match is None or not line.isprintable() or len(line) > 1000:
            return False, None
        key, value = match[1], match[2]
        if key in mapping or key in _FLAT_WORDS:
            return False, None  # a duplicate (the loader words the error), or not text
        position = (first_line + index, 1)
        index += 1
        if value == ">-":  # folded: lines of one indent, joined by spaces
            start = index
            while index < len(lines) and lines[index].startswith(" "):
                index += 1
            block = lines[start:index]
            if not block:
                return False, None
            indent = len(block[0]) - len(block[0].lstrip(" "))
            for part in block:
                if len(part) - len(part.lstrip(" ")) != indent or part.endswith(" "):
                    return False, None  # more indented, blank or with trailing space
                if not part.isprintable():
                    return False, None
            data: Any = " ".join([part[indent:] for part in block])
        elif value[0] == "[":
            items = value[1:-1].split(", ") if value != "[]" else []
            if value[-1] != "]" or not all(_FLAT_ITEM.fullmatch(item) for item in items):
                return False, None
            data = [_flat_scalar(item) for item in items]
        elif value[0] in _PLAIN_INDICATORS or _NOT_IN_PLAIN.search(value):
            return False, None
        else:
            data = _flat_scalar(value)
        mapping[key] = data
        mapping.positions[key] = position
    return True, mapping


def load_yaml(text: str, path: str, first_line: int = 1) -> tuple[Any, list[Diagnostic]]:
    """Parse YAML text; return (data, diagnostics), shifting positions by `first_line - 1`."""
    ok, data = _load_flat(text, first_line)
    if ok:
        return data, []
    ok, data = _load_fast(text)
    try:
        if not ok:
            data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line if mark else 0) + first_line
        col = (mark.column if mark else 0) + 1
        problem = exc.problem or exc.context or "ugyldig YAML"
        return None, [
            Diagnostic(
                path,
                line,
                col,
                "error",
                f"YAML-feil: {problem}",
                "sjekk innrykk, kolon og anførselstegn; tekst med kolon bør stå i anførselstegn",
            )
        ]
    except (yaml.YAMLError, ValueError, TypeError, RecursionError) as exc:
        return None, [
            Diagnostic(path, first_line, 1, "error", f"YAML-feil: {exc}", "sjekk YAML-syntaksen")
        ]
    if first_line != 1:
        _shift(data, first_line - 1, set())
    return data, []


def _shift(data: Any, by: int, seen: set[int]) -> None:
    """Move every recorded position down by `by` lines (front matter starts inside a file)."""
    # YAML aliases share objects (and may even be recursive): visit each object once.
    if id(data) in seen:
        return
    seen.add(id(data))
    if isinstance(data, PositionedDict):
        data.line += by
        data.positions = {k: (line + by, col) for k, (line, col) in data.positions.items()}
        for value in data.values():
            _shift(value, by, seen)
    elif isinstance(data, list):
        for item in data:
            _shift(item, by, seen)


def position(mapping: object, key: str, default: tuple[int, int] = (1, 1)) -> tuple[int, int]:
    """Return where `key` was written in `mapping`, or `default` when unknown."""
    if isinstance(mapping, PositionedDict):
        return mapping.positions.get(key, (mapping.line, mapping.col))
    return default
