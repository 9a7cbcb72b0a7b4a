"""Scoring: procedures, the score of a path against a procedure, and the cross-checks.

Pure Python; imports `scenarios` (never the other way round). The rules are in
`scoring/rules.py` and in the authors' guide, content/README.md.
"""

from __future__ import annotations

from scoring.compute import CriticalMistake, Decision, Result, StepOutcome, score
from scoring.crosscheck import CheckedContent, check_against_procedure, check_library
from scoring.procedure import (
    CatalogueEntry,
    Procedure,
    ProcedureInvalid,
    Step,
    load_procedure,
    load_procedures,
)
from scoring.rules import DECISION_SHARE, MAX_SCORE, STEP_SHARE, VERDICT_POINTS

__all__ = [
    "DECISION_SHARE",
    "MAX_SCORE",
    "STEP_SHARE",
    "VERDICT_POINTS",
    "CatalogueEntry",
    "CheckedContent",
    "CriticalMistake",
    "Decision",
    "Procedure",
    "ProcedureInvalid",
    "Result",
    "Step",
    "StepOutcome",
    "check_against_procedure",
    "check_library",
    "load_procedure",
    "load_procedures",
    "score",
]
