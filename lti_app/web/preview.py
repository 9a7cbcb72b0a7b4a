"""The authors' preview (development only): any case file, any node, straight from disk.

Registered by create_app only when the environment is not production. Every request reads
the file again (never the app's loaded catalogue), so an author edits, saves and sees the
change; preview.js polls `/preview/<stem>/version` and reloads the page when the file's
hash changes. Checking, drawing and rendering are the pure packages' work; the helpers
here only pick files and arguments.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from lti_app.errors import NotFoundError
from scenarios import (
    Diagnostic,
    Profile,
    Scenario,
    ScenarioInvalid,
    check_scenario,
    load_profile,
    load_scenario,
)
from scenarios.checker import check_placeholders
from scenarios.diagnostics import load_each, suggest
from scenarios.graph import (
    GraphvizFailed,
    GraphvizMissing,
    render_svg,
    sanitise_svg,
    to_dot,
    to_mermaid,
)
from scoring import Procedure, check_against_procedure, check_library, load_procedure

bp = Blueprint("preview", __name__, url_prefix="/preview")


def _content_dir() -> Path:
    content_dir: Path = current_app.config["STEGVIS"].content_dir
    return content_dir


def _case_files() -> list[Path]:
    folder = _content_dir() / "scenarios"
    return sorted(folder.glob("*.md")) if folder.is_dir() else []


def _case_file(stem: str) -> Path:
    # Only names that are listed; a stem can never walk out of the folder.
    found = next((p for p in _case_files() if p.stem == stem), None)
    if found is None:
        raise NotFoundError(f"preview: no case file {stem!r}")
    return found


def _version(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:  # deleted or renamed since it was listed
        raise NotFoundError(f"preview: cannot read {path}") from exc


def _about(path: Path, diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    where = path.resolve()
    return [d for d in diagnostics if Path(d.path).resolve() == where]


@dataclass(frozen=True)
class _FileCheck:
    diagnostics: list[Diagnostic]
    procedures: dict[str, Procedure]
    profiles: dict[str, Profile]


def _check_one(case: Scenario) -> _FileCheck:
    """The checks `stegvis check` runs on this one file (check_library's per-case steps),
    so a save shows its errors at once without checking every other case again."""
    content_dir = _content_dir()
    procedures, _ = load_each(content_dir / "procedures", "*.yaml", load_procedure)
    profiles, _ = load_each(content_dir / "profiles", "*.yaml", load_profile)
    by_id = {p.id: p for p in procedures}
    found = check_scenario(case)
    if profiles:
        found += check_placeholders(case, {p.id: p for p in profiles})
    procedure = by_id.get(case.procedure)
    if procedure is None:
        found.append(Diagnostic(
            case.source_path, case.meta_line("procedure"), 1, "error",
            f"ukjent prosedyre «{case.procedure}»",
            suggest(case.procedure, by_id, "prosedyrer i content/procedures"),
        ))
    elif not any(d.is_error for d in found):
        found += check_against_procedure(case, procedure)
    return _FileCheck(found, by_id, {p.id: p for p in profiles})


def _no_store(response: ResponseReturnValue) -> ResponseReturnValue:
    made = current_app.make_response(response)
    made.headers["Cache-Control"] = "no-store"  # always the file as it is now
    return made


@bp.get("/")
def index() -> ResponseReturnValue:
    checked = check_library(_content_dir())
    files = []
    for path in _case_files():
        try:
            title: str | None = load_scenario(path).title
        except ScenarioInvalid:
            title = None
        problems = _about(path, checked.diagnostics)
        files.append({"stem": path.stem, "name": path.name, "title": title,
                      "diagnostics": problems,
                      "errors": sum(d.is_error for d in problems)})
    case_paths = {p.resolve() for p in _case_files()}
    others = [d for d in checked.diagnostics if Path(d.path).resolve() not in case_paths]
    return _no_store(render_template(
        "preview/index.html", files=files, others=others, content_dir=_content_dir()
    ))


@bp.get("/<stem>")
def show(stem: str) -> ResponseReturnValue:
    path = _case_file(stem)
    version = _version(path)
    try:
        case = load_scenario(path)
    except ScenarioInvalid as exc:
        return _no_store(render_template(
            "preview/show.html", stem=stem, path=path, version=version, case=None,
            diagnostics=exc.diagnostics,
        ))
    checked = _check_one(case)
    config = current_app.config["STEGVIS"]
    profile_id = request.args.get("profile") or config.default_profile
    profile = checked.profiles.get(profile_id)
    node_id = request.args.get("node") or case.start
    node = case.nodes.get(node_id) or case.nodes.get(case.start)
    if node is None:  # no start node: the checker's errors say why; nothing to show yet
        return _no_store(render_template(
            "preview/show.html", stem=stem, path=path, version=version, case=None,
            diagnostics=checked.diagnostics,
        ))

    def node_href(target: str) -> str:
        return url_for("preview.show", stem=stem, profile=profile_id, node=target)

    svg: Markup | None = None
    graph_problem = ""
    try:
        # The SVG is rebuilt from an allow-list (no scripts, styles or foreign links),
        # and every author text in it was escaped into DOT first.
        dot = to_dot(case, profile, node_href=node_href, highlight=node.id)
        svg = Markup(sanitise_svg(  # noqa: S704
            render_svg(dot),
            allow_href=lambda href: href.startswith(url_for("preview.show", stem=stem) + "?"),
        ))
    except GraphvizMissing:
        graph_problem = ("Graphviz er ikke installert, så diagrammet vises som Mermaid-tekst. "
                         "Installer med «sudo apt-get install graphviz» eller «make system-deps».")
    except GraphvizFailed as exc:
        graph_problem = f"Graphviz kunne ikke tegne diagrammet: {exc}"
    return _no_store(render_template(
        "preview/show.html", stem=stem, path=path, version=version, case=case, node=node,
        asked_node=node_id, profile=profile, profile_id=profile_id,
        profiles=sorted(checked.profiles.values(), key=lambda p: p.name),
        procedure=checked.procedures.get(case.procedure),
        diagnostics=checked.diagnostics, svg=svg, graph_problem=graph_problem,
        mermaid=to_mermaid(case, profile), node_href=node_href,
    ))


@bp.get("/<stem>/version")
def version(stem: str) -> ResponseReturnValue:
    """The file's content hash; preview.js reloads the page when it changes."""
    return _no_store(jsonify(version=_version(_case_file(stem))))
