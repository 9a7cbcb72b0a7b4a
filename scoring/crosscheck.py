"""Checks that need both the case and its procedure, and the library-wide check.

These live in `scoring` because `scenarios` must not know about procedures (imports run
one way: scoring -> scenarios).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from scenarios.checker import check_placeholders, placeholder_keys
from scenarios.diagnostics import Diagnostic, has_errors, load_each, suggest
from scenarios.library import Library, collector_paused, load_library
from scenarios.model import Scenario, Verdict
from scenarios.paths import DEFAULT_PATH_LIMIT, enumerate_paths, reachable_choices
from scenarios.profiles import Profile, load_profile
from scoring.compute import score
from scoring.procedure import Procedure, load_procedure
from scoring.rules import MAX_SCORE


def check_against_procedure(
    scenario: Scenario, procedure: Procedure, path_limit: int = DEFAULT_PATH_LIMIT
) -> list[Diagnostic]:
    """Check a case's steps, critical choices and reachable scores against its procedure."""
    where = scenario.source_path
    found: list[Diagnostic] = []

    def error(line: int, message: str, hint: str = "") -> None:
        found.append(Diagnostic(where, line, 1, "error", message, hint))

    def warning(line: int, message: str, hint: str = "") -> None:
        found.append(Diagnostic(where, line, 1, "warning", message, hint))

    step_ids = [s.id for s in procedure.steps]
    entry_ids = [e.id for e in procedure.critical]
    # procedure.step(x) is None / procedure.entry(x) is None, as set lookups (per choice)
    known_steps, known_entries = set(step_ids), set(entry_ids)
    structural_ok = True
    for step_id in scenario.required_steps:
        if step_id not in known_steps:
            structural_ok = False
            error(
                scenario.meta_line("required_steps"),
                f"påkrevd steg «{step_id}» finnes ikke i prosedyren «{procedure.id}»",
                suggest(step_id, step_ids, "steg"),
            )
    if not scenario.required_steps:
        warning(
            scenario.meta_line("required_steps"),
            "caset har ingen påkrevde steg, så bare vurderingene gir poeng",
            "list stegene caset øver på i «påkrevde steg»",
        )
    for node in scenario.nodes.values():
        for choice in node.choices:
            if choice.step is not None and choice.step not in known_steps:
                structural_ok = False
                error(
                    choice.line,
                    f"ukjent steg «{choice.step}» i valget «{choice.id}»",
                    suggest(choice.step, step_ids, "steg i prosedyren"),
                )
            if choice.error is not None and choice.error not in known_entries:
                error(
                    choice.line,
                    f"ukjent kritisk feil «{choice.error}» i valget «{choice.id}»",
                    suggest(choice.error, entry_ids, "kritiske feil i prosedyren"),
                )
            if choice.verdict is Verdict.CRITICAL and choice.error is None and entry_ids:
                warning(
                    choice.line,
                    f"det kritiske valget «{choice.id}» viser ikke til katalogen",
                    "legg til «  - feil: …» med id fra prosedyrens «kritiske feil»",
                )
    if not structural_ok:
        return found  # scores would be meaningless until the steps are fixed

    # Graph walks instead of scoring every path: a case can have thousands of paths, and
    # checking 1,000 files must stay fast (bench/). Only "best" choices earn full points,
    # so a path of 100 can only use them; a critical-free pass can only use choices that
    # are neither critical nor major (major earns no points and marks the step violated).
    reached = {c.step for c in reachable_choices(scenario) if c.step and c.verdict.is_correct}
    for step_id in scenario.required_steps:
        if step_id not in reached:
            error(
                scenario.meta_line("required_steps"),
                f"ingen vei gjennom caset utfører det påkrevde steget «{step_id}»",
                "legg til et valg med «steg: " + step_id + "» og en god vurdering",
            )
    best_only = enumerate_paths(scenario, path_limit, allow=lambda c: c.verdict is Verdict.BEST)
    best = max((score(scenario, procedure, [c.id for c in p]).score
                for p in best_only.paths), default=0)
    if best < MAX_SCORE:
        fair = enumerate_paths(scenario, path_limit, allow=lambda c: c.verdict not in (
            Verdict.CRITICAL, Verdict.MAJOR))
        results = [score(scenario, procedure, [c.id for c in p]) for p in fair.paths]
        if not any(r.passed for r in results) and not fair.truncated:
            error(
                scenario.meta_line("pass_mark"),
                f"ingen vei uten kritiske feil når bestått-grensen {scenario.pass_mark}",
                "senk «bestått» eller sørg for en vei der alle påkrevde steg gjøres riktig",
            )
        best = max([best, *(r.score for r in results)])
        error(
            scenario.meta_line("pass_mark"),
            f"beste vei gir {best} poeng, ikke {MAX_SCORE}",
            "den beste veien må gjøre alle påkrevde steg i riktig rekkefølge med «best»-valg",
        )
    return found


@dataclass(frozen=True, slots=True)
class CheckedContent:
    """A content directory after every check: only usable cases, procedures and profiles,
    and every problem of every file."""

    library: Library
    procedures: dict[str, Procedure]
    profiles: dict[str, Profile]
    diagnostics: list[Diagnostic]


def check_library(content_dir: Path) -> CheckedContent:
    """Load and check every case, procedure and profile; keep only cases without errors.

    Diagnostics cover every file: parse errors, graph checks, procedure and profile
    errors, placeholders no profile knows, and the cross-checks. A broken file never
    stops the others.
    """
    with collector_paused():  # see there: the collector costs much and finds nothing
        return _check_library(content_dir)


def _check_library(content_dir: Path) -> CheckedContent:
    library = load_library(content_dir)
    diagnostics = list(library.errors)
    loaded_procedures, found = load_each(content_dir / "procedures", "*.yaml", load_procedure)
    diagnostics.extend(found)
    procedures = {procedure.id: procedure for procedure in loaded_procedures}
    loaded_profiles, found = load_each(content_dir / "profiles", "*.yaml", load_profile)
    diagnostics.extend(found)
    profiles = {profile.id: profile for profile in loaded_profiles}

    usable = {}
    known = placeholder_keys(profiles)  # once, not once per case
    for scenario_id, scenario in library.scenarios.items():
        if profiles:
            diagnostics.extend(check_placeholders(scenario, profiles, known))
        procedure_for = procedures.get(scenario.procedure)
        if procedure_for is None:
            problems = [
                Diagnostic(
                    scenario.source_path,
                    scenario.meta_line("procedure"),
                    1,
                    "error",
                    f"ukjent prosedyre «{scenario.procedure}»",
                    suggest(scenario.procedure, procedures, "prosedyrer i content/procedures"),
                )
            ]
        else:
            problems = check_against_procedure(scenario, procedure_for)
        diagnostics.extend(problems)
        if not has_errors(problems):
            usable[scenario_id] = scenario
    return CheckedContent(
        replace(library, scenarios=usable, errors=diagnostics), procedures, profiles, diagnostics
    )
