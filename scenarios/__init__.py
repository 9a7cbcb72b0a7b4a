"""Scenarios: the case file format, its checker, the play engine, profiles and rendering.

Pure Python (no Flask, no SQLAlchemy) and the ground floor of the import order:
nothing here imports `scoring` or `lti_app`.
"""

from __future__ import annotations

from scenarios.checker import check_scenario
from scenarios.diagnostics import ContentInvalid, Diagnostic, ProfileInvalid, ScenarioInvalid
from scenarios.engine import choose, current_node, replay, start
from scenarios.errors import (
    AlreadyFinished,
    EngineError,
    StaleStep,
    StateError,
    UnknownChoice,
    UnsupportedStateVersion,
)
from scenarios.graph import (
    GraphvizFailed,
    GraphvizMissing,
    render_svg,
    sanitise_svg,
    to_dot,
    to_mermaid,
)
from scenarios.library import Library, load_library
from scenarios.model import AUDIENCES, OUTCOMES, Choice, Ending, Node, Scenario, Verdict
from scenarios.parser import load_scenario, parse_scenario
from scenarios.paths import PathSet, enumerate_paths
from scenarios.plaintext import markdown_to_text
from scenarios.profiles import Phone, PhoneStyle, Profile, load_profile, load_profiles
from scenarios.render import render_markdown, render_text
from scenarios.state import STATE_VERSION, PlayState

__all__ = [
    "AUDIENCES",
    "OUTCOMES",
    "STATE_VERSION",
    "AlreadyFinished",
    "Choice",
    "ContentInvalid",
    "Diagnostic",
    "Ending",
    "EngineError",
    "GraphvizFailed",
    "GraphvizMissing",
    "Library",
    "Node",
    "PathSet",
    "Phone",
    "PhoneStyle",
    "PlayState",
    "Profile",
    "ProfileInvalid",
    "Scenario",
    "ScenarioInvalid",
    "StaleStep",
    "StateError",
    "UnknownChoice",
    "UnsupportedStateVersion",
    "Verdict",
    "check_scenario",
    "choose",
    "current_node",
    "enumerate_paths",
    "load_library",
    "load_profile",
    "load_profiles",
    "load_scenario",
    "markdown_to_text",
    "parse_scenario",
    "render_markdown",
    "render_svg",
    "render_text",
    "replay",
    "sanitise_svg",
    "start",
    "to_dot",
    "to_mermaid",
]
