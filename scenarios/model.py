"""The compiled scenario: immutable dataclasses the engine, the checker and scoring read.

Like ink's compiled story (`Story.cs`), a Scenario never changes once parsed; play state
lives apart in `PlayState` (scenarios/state.py). An attempt pins `content_hash`, so an
edited file never changes a case under a learner's feet.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from scenarios.diagnostics import Diagnostic

FeedbackMode = Literal["immediate", "end"]

#: Case, node, procedure and profile ids: lowercase ASCII, digits and hyphens, so they work
#: in URLs and as `#anchors`; no dots, because choice ids are "<node id>.<n>".
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")

#: Where the learner works; a case names one or more of these in `målgruppe`.
AUDIENCES: tuple[str, ...] = ("barnehage", "skole", "sfo", "helsestasjon")
#: Languages a case may be written in (nynorsk and English come later).
LANGUAGES: tuple[str, ...] = ("nb",)
#: What an ending means for the child; the debrief colours endings by this.
OUTCOMES: tuple[str, ...] = ("trygg", "uavklart", "utrygg")


class Verdict(enum.Enum):
    """How a choice is judged against the procedure (domain.md §2.3)."""

    BEST = "best"
    ACCEPTABLE = "acceptable"
    MINOR = "minor"
    MAJOR = "major"
    CRITICAL = "critical"

    @property
    def label(self) -> str:
        """Return the Norwegian word shown to learners and authors."""
        return _VERDICT_LABELS[self]

    @property
    def is_correct(self) -> bool:
        """Tell whether the choice carries out its procedure step (minor is a slip, not a miss)."""
        return self in (Verdict.BEST, Verdict.ACCEPTABLE, Verdict.MINOR)

    @classmethod
    def from_text(cls, text: str) -> Verdict | None:
        """Read an author's verdict word, English or Norwegian; None if unknown."""
        return VERDICT_WORDS.get(text.strip().lower())


_VERDICT_LABELS: dict[Verdict, str] = {
    Verdict.BEST: "beste",
    Verdict.ACCEPTABLE: "akseptabel",
    Verdict.MINOR: "mindre feil",
    Verdict.MAJOR: "alvorlig feil",
    Verdict.CRITICAL: "kritisk feil",
}

#: Every word an author may write after `vurdering:`.
VERDICT_WORDS: Mapping[str, Verdict] = MappingProxyType(
    {
        "best": Verdict.BEST,
        "beste": Verdict.BEST,
        "acceptable": Verdict.ACCEPTABLE,
        "akseptabel": Verdict.ACCEPTABLE,
        "minor": Verdict.MINOR,
        "mindre": Verdict.MINOR,
        "major": Verdict.MAJOR,
        "alvorlig": Verdict.MAJOR,
        "critical": Verdict.CRITICAL,
        "kritisk": Verdict.CRITICAL,
    }
)


@dataclass(frozen=True, slots=True)
class Ending:
    """How the story ends for the child."""

    outcome: str  # one of OUTCOMES
    summary: str  # Markdown: what the ending means for the child


@dataclass(frozen=True, slots=True)
class Choice:
    """One thing the learner can do at a node, judged against the procedure."""

    id: str  # "<node id>.<1-based index>", unique in the scenario
    text: str  # what the learner sees (plain text; may hold placeholders)
    target: str  # node id
    verdict: Verdict
    step: str | None  # procedure step id this choice answers
    feedback: str  # Markdown: why, citing the source
    source: str  # law section or handlingsveileder step
    line: int
    error: str | None = None  # id in the procedure's critical-error catalogue (`feil:`)


@dataclass(frozen=True, slots=True)
class Node:
    """One situation in the story: prose, then choices or an ending."""

    id: str
    title: str
    body: str  # Markdown source
    choices: tuple[Choice, ...]
    ending: Ending | None
    line: int

    @property
    def is_ending(self) -> bool:
        """Tell whether the story stops here."""
        return self.ending is not None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A parsed case file."""

    id: str
    title: str
    summary: str
    content_hash: str  # sha256 hex of the exact source bytes
    source_path: str
    procedure: str
    required_steps: tuple[str, ...]
    pass_mark: int
    minutes: int
    audience: tuple[str, ...]
    language: str
    feedback_mode: FeedbackMode
    retry: bool
    start: str
    nodes: Mapping[str, Node]  # in file order
    #: Front matter key (English name) -> line, so cross-checks can point at it.
    meta_lines: Mapping[str, int] = field(default_factory=dict)
    #: Warnings the parser found; `check_scenario` reports them with its own.
    warnings: tuple[Diagnostic, ...] = ()

    def choice(self, choice_id: str) -> Choice | None:
        """Find a choice by id anywhere in the scenario."""
        node_id, _, _ = choice_id.rpartition(".")
        node = self.nodes.get(node_id)
        if node is None:
            return None
        return next((c for c in node.choices if c.id == choice_id), None)

    def meta_line(self, key: str) -> int:
        """Return the line where a front matter key was written (1 when unknown)."""
        return self.meta_lines.get(key, 1)
