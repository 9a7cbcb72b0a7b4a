"""Procedures: the steps of the correct response, their order, and the critical errors.

A procedure file (`content/procedures/<id>.yaml`) is written by course developers, so its
keys are Norwegian (English aliases work) and every error names file, line and column:

    id: akutt-henting
    tittel: Akutt henting – ruspåvirket forelder
    kilde: …
    steg:
      - id: P1
        tittel: Ta tegnene på alvor og hent en kollega
        kilde: …
      - id: P2
        tittel: …
        etter: [P1]          # order: P2 belongs after P1
        vekt: 1              # weight in the score (1–10, default 1)
        gruppe: akutt        # timeline group in the debrief
    kritiske feil:
      - id: K1
        tekst: Utlevere barnet til en ruspåvirket omsorgsperson som skal kjøre …
        kilde: …
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.diagnostics import ContentInvalid, Diagnostic, load_each, suggest
from scenarios.model import ID_RE
from scenarios.yamlsource import PositionedDict, load_yaml, position

#: Step and catalogue ids: short codes authors type after `steg:` (P1, varsle-leder).
STEP_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]*$")

_TOP: Mapping[str, str] = {
    "id": "id",
    "tittel": "title",
    "title": "title",
    "kilde": "source",
    "source": "source",
    "steg": "steps",
    "steps": "steps",
    "kritiske feil": "critical",
    "critical": "critical",
}
_STEP: Mapping[str, str] = {
    "id": "id",
    "tittel": "title",
    "title": "title",
    "kilde": "source",
    "source": "source",
    "etter": "after",
    "after": "after",
    "vekt": "weight",
    "weight": "weight",
    "gruppe": "group",
    "group": "group",
}
_ENTRY: Mapping[str, str] = {
    "id": "id",
    "tekst": "text",
    "text": "text",
    "kilde": "source",
    "source": "source",
}


class ProcedureInvalid(ContentInvalid):
    """Raise when a procedure file has errors."""


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the procedure, with its source and the steps it must come after."""

    id: str
    title: str
    source: str
    after: tuple[str, ...] = ()
    weight: int = 1
    group: str = ""
    line: int = 1


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """An action that is always a critical error (domain.md §3.4)."""

    id: str
    text: str
    source: str
    line: int = 1


@dataclass(frozen=True, slots=True)
class Procedure:
    """A procedure a case is scored against."""

    id: str
    title: str
    source: str
    steps: tuple[Step, ...]
    critical: tuple[CatalogueEntry, ...]
    source_path: str = ""

    def step(self, step_id: str) -> Step | None:
        """Find a step by id."""
        return next((s for s in self.steps if s.id == step_id), None)

    def entry(self, entry_id: str) -> CatalogueEntry | None:
        """Find a critical-error catalogue entry by id."""
        return next((e for e in self.critical if e.id == entry_id), None)

    def step_line(self, step_id: str) -> int:
        """Return the line a step was declared on (1 when unknown)."""
        step = self.step(step_id)
        return step.line if step else 1


def _norm(key: str) -> str:
    return " ".join(key.strip().lower().replace("_", " ").split())


class _Reader:
    """Collect diagnostics while reading one procedure file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.found: list[Diagnostic] = []

    def error(self, at: tuple[int, int], message: str, hint: str = "") -> None:
        self.found.append(Diagnostic(self.path, at[0], at[1], "error", message, hint))

    def fields(
        self, data: PositionedDict, names: Mapping[str, str], what: str
    ) -> dict[str, tuple[Any, tuple[int, int]]]:
        result: dict[str, tuple[Any, tuple[int, int]]] = {}
        for key, value in data.items():
            at = position(data, key)
            name = names.get(_norm(key))
            if name is None:
                self.error(at, f"ukjent felt «{key}» i {what}", suggest(_norm(key), names))
            elif name in result:
                self.error(at, f"feltet «{key}» står to ganger i {what}")
            else:
                result[name] = (value, at)
        return result

    def text(
        self,
        fields: dict[str, tuple[Any, tuple[int, int]]],
        name: str,
        label: str,
        at: tuple[int, int],
    ) -> str:
        value, where = fields.get(name, (None, at))
        if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
            self.error(where, f"«{label}» mangler eller er tom", f"skriv «{label}: …»")
            return ""
        return str(value).strip()


def load_procedure(path: Path) -> Procedure:
    """Read one procedure file; raise ProcedureInvalid listing every problem."""
    where = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProcedureInvalid(
            [Diagnostic(where, 1, 1, "error", f"kan ikke lese filen: {exc}")]
        ) from exc
    data, problems = load_yaml(text, where)
    if problems:
        raise ProcedureInvalid(problems)
    reader = _Reader(where)
    if not isinstance(data, PositionedDict):
        raise ProcedureInvalid([Diagnostic(where, 1, 1, "error", "prosedyren må være en samling")])
    top = reader.fields(data, _TOP, "prosedyren")
    here = (data.line, data.col)
    procedure_id = reader.text(top, "id", "id", here)
    if procedure_id and not ID_RE.match(procedure_id):
        reader.error(top["id"][1], f"ugyldig id «{procedure_id}»", "små bokstaver og bindestrek")
    elif procedure_id and procedure_id != path.stem:
        reader.error(top["id"][1], f"id «{procedure_id}» må være lik filnavnet «{path.stem}»")
    title = reader.text(top, "title", "tittel", here)
    source = str(top.get("source", ("", here))[0] or "")
    steps = _read_steps(reader, top.get("steps"), here)
    critical = _read_entries(reader, top.get("critical"), here)
    if reader.found:
        raise ProcedureInvalid(reader.found)
    return Procedure(procedure_id, title, source, steps, critical, where)


def _read_steps(
    reader: _Reader, entry: tuple[Any, tuple[int, int]] | None, here: tuple[int, int]
) -> tuple[Step, ...]:
    if entry is None or not isinstance(entry[0], list) or not entry[0]:
        reader.error(entry[1] if entry else here, "prosedyren må ha en liste «steg:»", "")
        return ()
    steps: list[Step] = []
    seen: set[str] = set()
    for raw in entry[0]:
        if not isinstance(raw, PositionedDict):
            reader.error(entry[1], "hvert steg må ha «id:», «tittel:» og «kilde:»")
            continue
        at = (raw.line, raw.col)
        fields = reader.fields(raw, _STEP, "steget")
        step_id = reader.text(fields, "id", "id", at)
        if step_id and not STEP_ID_RE.match(step_id):
            reader.error(fields["id"][1], f"ugyldig steg-id «{step_id}»", "f.eks. «P1»")
        if step_id in seen:
            reader.error(fields["id"][1], f"steg-id «{step_id}» står to ganger")
        seen.add(step_id)
        after_raw, after_at = fields.get("after", ([], at))
        if isinstance(after_raw, str):
            after_raw = [after_raw]
        if not isinstance(after_raw, list) or not all(isinstance(a, str) for a in after_raw):
            reader.error(
                after_at, "«etter» må være en liste med steg-id-er", "f.eks. «etter: [P1]»"
            )
            after_raw = []
        weight, weight_at = fields.get("weight", (1, at))
        if isinstance(weight, bool) or not isinstance(weight, int) or not 1 <= weight <= 10:
            reader.error(weight_at, f"«vekt» må være et helt tall fra 1 til 10, ikke «{weight}»")
            weight = 1
        group = str(fields.get("group", ("", at))[0] or "")
        steps.append(
            Step(
                id=step_id,
                title=reader.text(fields, "title", "tittel", at),
                source=reader.text(fields, "source", "kilde", at),
                after=tuple(after_raw),
                weight=weight,
                group=group,
                line=at[0],
            )
        )
    for step in steps:
        for other in step.after:
            if other not in seen:
                reader.error(
                    (step.line, 1),
                    f"steget «{step.id}» skal komme etter ukjent steg «{other}»",
                    suggest(other, seen, "steg"),
                )
            elif other == step.id:
                reader.error((step.line, 1), f"steget «{step.id}» kan ikke komme etter seg selv")
    cycle = _find_cycle(steps)
    if cycle:
        reader.error(
            (steps[0].line, 1),
            "rekkefølgen i «etter» går i ring: " + " → ".join(cycle),
            "fjern ett av kravene",
        )
    return tuple(steps)


def _find_cycle(steps: list[Step]) -> list[str]:
    """Return one cycle in the `after` graph (as ids), or [] if it is acyclic."""
    graph = {s.id: [a for a in s.after if a != s.id] for s in steps}
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for root in graph:
        if state.get(root):
            continue
        stack: list[tuple[str, int]] = [(root, 0)]
        trail: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                state[node] = 1
                trail.append(node)
            successors = graph.get(node, [])
            if index < len(successors):
                stack.append((node, index + 1))
                nxt = successors[index]
                if state.get(nxt) == 1:
                    return [*trail[trail.index(nxt) :], nxt]
                if not state.get(nxt) and nxt in graph:
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                trail.pop()
    return []


def _read_entries(
    reader: _Reader, entry: tuple[Any, tuple[int, int]] | None, here: tuple[int, int]
) -> tuple[CatalogueEntry, ...]:
    if entry is None:
        return ()
    if not isinstance(entry[0], list):
        reader.error(entry[1], "«kritiske feil» må være en liste")
        return ()
    entries: list[CatalogueEntry] = []
    seen: set[str] = set()
    for raw in entry[0]:
        if not isinstance(raw, PositionedDict):
            reader.error(entry[1], "hver kritisk feil må ha «id:», «tekst:» og «kilde:»")
            continue
        at = (raw.line, raw.col)
        fields = reader.fields(raw, _ENTRY, "den kritiske feilen")
        entry_id = reader.text(fields, "id", "id", at)
        if entry_id and not STEP_ID_RE.match(entry_id):
            reader.error(fields["id"][1], f"ugyldig id «{entry_id}»", "f.eks. «K1»")
        if entry_id in seen:
            reader.error(fields["id"][1], f"id «{entry_id}» står to ganger")
        seen.add(entry_id)
        entries.append(
            CatalogueEntry(
                id=entry_id,
                text=reader.text(fields, "text", "tekst", at),
                source=reader.text(fields, "source", "kilde", at),
                line=at[0],
            )
        )
    return tuple(entries)


def load_procedures(directory: Path) -> dict[str, Procedure]:
    """Read every `*.yaml` procedure in a directory; raise ProcedureInvalid listing all problems."""
    loaded, found = load_each(directory, "*.yaml", load_procedure)
    if found:
        raise ProcedureInvalid(found)
    return {procedure.id: procedure for procedure in loaded}
