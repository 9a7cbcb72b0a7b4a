"""Graph and content checks on a parsed scenario (what `parse_scenario` cannot see alone).

Parse-time errors (syntax, missing verdicts, links to missing nodes) stop a file from
becoming a Scenario at all; these checks find what makes a valid file a bad case. Checks
that need the procedure live in `scoring.crosscheck` (imports run scoring -> scenarios).
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet

from scenarios.diagnostics import Diagnostic, suggest
from scenarios.model import Scenario, Verdict
from scenarios.paths import reachable, reaching_an_ending
from scenarios.profiles import Profile, ProfileValue, placeholders


def check_scenario(scenario: Scenario) -> list[Diagnostic]:
    """Return every problem found in the case's graph and texts, errors and warnings."""
    path = scenario.source_path
    found: list[Diagnostic] = list(scenario.warnings)

    def error(line: int, message: str, hint: str = "") -> None:
        found.append(Diagnostic(path, line, 1, "error", message, hint))

    def warning(line: int, message: str, hint: str = "") -> None:
        found.append(Diagnostic(path, line, 1, "warning", message, hint))

    if scenario.start not in scenario.nodes:
        error(scenario.meta_line("start"), f"startnoden «{scenario.start}» finnes ikke")
        return found

    start_node = scenario.nodes[scenario.start]
    if start_node.is_ending:
        error(start_node.line, "startnoden er en slutt, så caset har ingen valg")

    seen = reachable(scenario)
    way_out = reaching_an_ending(scenario)
    for node in scenario.nodes.values():
        if node.id not in seen:
            warning(
                node.line,
                f"noden «{node.id}» kan ikke nås fra start",
                "lenk til den fra et valg, eller slett den",
            )
        elif node.id not in way_out:
            error(
                node.line,
                f"fra noden «{node.id}» finnes ingen vei til en slutt",
                "sørg for at minst ett valg herfra fører videre mot en slutt",
            )
        if not node.body or node.body.isspace():  # (no stripped copy of a long text)
            warning(node.line, f"noden «{node.id}» har ingen tekst", "beskriv situasjonen")
        texts: set[str] = set()
        for choice in node.choices:
            if not choice.feedback or choice.feedback.isspace():
                error(
                    choice.line,
                    f"valget «{choice.id}» mangler tilbakemelding",
                    "legg til «  - tilbakemelding: …» som forklarer hvorfor, med kilde",
                )
            if not choice.source or choice.source.isspace():
                warning(
                    choice.line,
                    f"valget «{choice.id}» mangler kilde",
                    "legg til «  - kilde: …» (lovparagraf eller trinn i handlingsveilederen)",
                )
            if choice.target == node.id:
                warning(choice.line, f"valget «{choice.id}» fører tilbake til samme node")
            if choice.error is not None and choice.verdict is not Verdict.CRITICAL:
                error(
                    choice.line,
                    f"valget «{choice.id}» viser til feil «{choice.error}», men er ikke kritisk",
                    "«feil:» brukes bare på valg med «vurdering: kritisk»",
                )
            key = " ".join(choice.text.lower().split())
            if key in texts:
                warning(choice.line, f"to valg i noden «{node.id}» har samme tekst")
            texts.add(key)

    if not any(n.is_ending for n in scenario.nodes.values()):
        error(1, "caset har ingen slutt", "legg til en node med «- slutt: trygg»")
    return found


def placeholder_keys(profiles: Mapping[str, Profile]) -> set[str]:
    """Every placeholder some profile defines (dotted keys of its leaf values)."""
    known: set[str] = set()
    for profile in profiles.values():
        known.update(_leaf_keys(profile.values, ""))
    return known


def check_placeholders(
    scenario: Scenario, profiles: Mapping[str, Profile], known: AbstractSet[str] | None = None
) -> list[Diagnostic]:
    """Warn about placeholders no profile defines (a typo would show as `{…}` to learners).

    `known` is `placeholder_keys(profiles)`, for a caller that checks many cases at once.
    """
    if known is None:
        known = placeholder_keys(profiles)
    found: list[Diagnostic] = []
    for node in scenario.nodes.values():
        texts = [(node.line, node.body)]
        texts += [(c.line, f"{c.text}\n{c.feedback}") for c in node.choices]
        if node.ending is not None:
            texts.append((node.line, node.ending.summary))
        for line, text in texts:
            for key in placeholders(text):
                if key not in known:
                    found.append(
                        Diagnostic(
                            scenario.source_path,
                            line,
                            1,
                            "warning",
                            f"ingen kommuneprofil kjenner plassholderen «{{{key}}}»",
                            suggest(key, known, "kjente plassholdere"),
                        )
                    )
    return found


def _leaf_keys(values: Mapping[str, ProfileValue], prefix: str) -> set[str]:
    keys: set[str] = set()
    for key, value in values.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping):
            keys.update(_leaf_keys(value, dotted + "."))
        else:
            keys.add(dotted)
    return keys
