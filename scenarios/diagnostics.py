"""Diagnostics: what the parser and the checkers tell an author, with file, line and column."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

T = TypeVar("T")

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem in a content file, located so an author can jump straight to it."""

    path: str
    line: int
    col: int
    severity: Severity
    message: str
    hint: str = ""

    def __str__(self) -> str:
        """Format like a compiler message, so editors and CI logs can link to it."""
        text = f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text

    @property
    def is_error(self) -> bool:
        """Tell whether this problem stops the file from being used."""
        return self.severity == "error"


class ContentInvalid(Exception):  # noqa: N818 - the contract names the subclasses *Invalid
    """Raise when a content file cannot be used; carries every problem found, not just the first."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics) or "ugyldig innhold")


class ScenarioInvalid(ContentInvalid):
    """Raise when a scenario file has errors."""


class ProfileInvalid(ContentInvalid):
    """Raise when a municipality profile has errors."""


def load_each(
    directory: Path, pattern: str, load: Callable[[Path], T]
) -> tuple[list[T], list[Diagnostic]]:
    """Load every matching file; a broken one adds its problems and never stops the rest."""
    loaded: list[T] = []
    found: list[Diagnostic] = []
    for path in sorted(directory.glob(pattern)) if directory.is_dir() else []:
        try:
            loaded.append(load(path))
        except ContentInvalid as exc:
            found.extend(exc.diagnostics)
    return loaded, found


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    """Tell whether any diagnostic is an error (warnings do not stop a file)."""
    return any(d.is_error for d in diagnostics)


def suggest(word: str, choices: Iterable[str], what: str = "") -> str:
    """Build a 'did you mean' hint from the closest known names, or list what is allowed."""
    known = sorted(set(choices))
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    if close:
        return f"mente du «{close[0]}»?"
    if not known:
        return ""
    shown = ", ".join(f"«{k}»" for k in known[:12])
    more = " …" if len(known) > 12 else ""
    return f"{what or 'gyldige verdier'}: {shown}{more}"
