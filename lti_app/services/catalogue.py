"""The cases, procedures and municipality profiles the app serves.

Loaded from ``content/`` when the app starts. Only cases that pass every check are served;
the errors of the others are logged with file and line, and an activity that points at a
broken case gets a clear message instead of a crash. Versions that attempts started on are
kept in the database (``scenario_versions``), so an attempt always finishes on its version.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lti_app.errors import CaseUnavailableError, ConfigError
from lti_app.models import ScenarioVersion
from scenarios import Diagnostic, Profile, Scenario, parse_scenario
from scoring import Procedure, check_library

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Catalogue:
    content_dir: Path
    cases: dict[str, Scenario]
    procedures: dict[str, Procedure]
    profiles: dict[str, Profile]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    default_profile: str = "nasjonal"
    # Exact source bytes of every served case by content hash, read once at load.
    sources: dict[str, str] = field(default_factory=dict)

    def case(self, case_id: str | None) -> Scenario:
        """The current version of a case, or a clear error if it cannot be served."""
        if not case_id:
            raise CaseUnavailableError("the activity names no case")
        case = self.cases.get(case_id)
        if case is None:
            raise CaseUnavailableError(f"case {case_id!r} is unknown or fails the checker")
        return case

    def procedure_for(self, case: Scenario) -> Procedure:
        procedure = self.procedures.get(case.procedure)
        if procedure is None:
            raise CaseUnavailableError(f"procedure {case.procedure!r} of {case.id!r} is missing")
        return procedure

    def profile(self, profile_id: str | None) -> Profile:
        return self.profiles.get(profile_id or "") or self.profiles[self.default_profile]

    def errors_for(self, case_id: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if Path(d.path).stem == case_id]

    def broken_case_files(self) -> list[Path]:
        """Case files that are not served because they fail the checker."""
        served = {Path(c.source_path).resolve() for c in self.cases.values()}
        return [p for p in sorted((self.content_dir / "scenarios").glob("*.md"))
                if p.resolve() not in served]


def load_catalogue(content_dir: Path, default_profile: str = "nasjonal") -> Catalogue:
    """Load and check everything under ``content_dir``; log every problem with file and line."""
    checked = check_library(content_dir)
    for diagnostic in checked.diagnostics:
        log.log(logging.ERROR if diagnostic.severity == "error" else logging.WARNING,
                "%s", diagnostic)
    profiles = checked.profiles
    if default_profile not in profiles:
        raise ConfigError(
            f"Standardprofilen «{default_profile}» mangler eller har feil "
            f"({content_dir / 'profiles' / default_profile}.yaml); se feilene over."
        )
    cases: dict[str, Scenario] = {}
    sources: dict[str, str] = {}
    for case_id, case in checked.library.scenarios.items():
        raw = Path(case.source_path).read_bytes()
        if hashlib.sha256(raw).hexdigest() != case.content_hash:
            log.error("%s: changed while loading; not served until the next start",
                      case.source_path)
            continue
        cases[case_id] = case
        sources[case.content_hash] = raw.decode("utf-8")
    return Catalogue(
        content_dir=content_dir,
        cases=cases,
        sources=sources,
        procedures=checked.procedures,
        profiles=profiles,
        diagnostics=list(checked.diagnostics),
        default_profile=default_profile,
    )


def pin_version(catalogue: Catalogue, db: Session, case: Scenario) -> ScenarioVersion:
    """Keep the exact source of ``case`` so attempts on it can finish after edits."""
    version = db.get(ScenarioVersion, case.content_hash)
    if version is not None:
        return version
    try:
        # The first learners of a new version may arrive at once: one insert wins.
        with db.begin_nested():
            version = ScenarioVersion(
                content_hash=case.content_hash,
                scenario_id=case.id,
                title=case.title,
                source_path=case.source_path,
                source_text=catalogue.sources[case.content_hash],
            )
            db.add(version)
    except IntegrityError:
        version = db.get_one(ScenarioVersion, case.content_hash)
    return version


@lru_cache(maxsize=256)
def _parse_pinned(source_text: str, source_path: str) -> Scenario:
    return parse_scenario(source_text, source_path)


def case_version(catalogue: Catalogue, db: Session, content_hash: str) -> Scenario:
    """The case as it was when an attempt started (current files first, then the archive)."""
    for case in catalogue.cases.values():
        if case.content_hash == content_hash:
            return case
    version = db.get(ScenarioVersion, content_hash)
    if version is None:
        raise CaseUnavailableError(f"no stored version {content_hash}")
    return _parse_pinned(version.source_text, version.source_path)
