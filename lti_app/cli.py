"""The ``stegvis`` command: operator and author commands.

Run ``stegvis --help``; every command's docstring is its help text.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

import click
from sqlalchemy.orm import Session

from lti_app.config import Config, from_env
from lti_app.db import make_engine, session_scope
from lti_app.errors import ConfigError


def _config() -> Config:
    try:
        return from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@contextmanager
def _database(config: Config | None = None) -> Iterator[Session]:
    """One unit of work for a command; the engine is closed when it ends."""
    engine = make_engine((config or _config()).database_url)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


@click.group()
def main() -> None:
    """Stegvis: LTI 1.3 tool for training in what to do when worried about a child."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


# --- database ---------------------------------------------------------------------------

@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from lti_app import migrate

    migrate.upgrade(_config().database_url, revision)
    click.echo(f"Database is at {revision}.")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Undo migrations down to REVISION ('base' removes every table)."""
    from lti_app import migrate

    migrate.downgrade(_config().database_url, revision)


@db.command("check")
def db_check() -> None:
    """Fail if the models and the migrations disagree."""
    from lti_app import migrate

    migrate.check(_config().database_url)
    click.echo("Models and migrations agree.")


# --- content ----------------------------------------------------------------------------

@main.command("check")
@click.argument("content_dir", required=False, type=click.Path(path_type=Path))
def check(content_dir: Path | None) -> None:
    """Check the cases, procedures and profiles under CONTENT_DIR (default: content/).

    Prints every problem as file:line:col: error|warning: message (hint); exits 1 on errors.
    """
    from scoring import check_library

    checked = check_library(content_dir or _config().content_dir)
    for diagnostic in checked.diagnostics:
        click.echo(str(diagnostic))
    errors = sum(d.is_error for d in checked.diagnostics)
    summary = (f"{len(checked.library.scenarios)} case(r) klare, "
               f"{len(checked.procedures)} prosedyre(r), {len(checked.profiles)} profil(er); "
               f"{errors} feil, {len(checked.diagnostics) - errors} advarsler")
    if errors:
        raise click.ClickException(summary)
    click.echo(summary)


@main.group()
def content() -> None:
    """Cases the running app serves."""


@content.command("load")
def content_load() -> None:
    """Check content/ and store every valid case version in the database."""
    from lti_app.services.catalogue import load_catalogue, pin_version

    config = _config()
    catalogue = load_catalogue(config.content_dir, config.default_profile)
    with _database(config) as session:
        for case in catalogue.cases.values():
            pin_version(catalogue, session, case)
            click.echo(f"  {case.id}: {case.title} ({case.content_hash[:12]})")
    broken = [d for d in catalogue.diagnostics if d.severity == "error"]
    for diagnostic in broken:
        click.echo(str(diagnostic), err=True)
    click.echo(f"{len(catalogue.cases)} caser lastet, {len(broken)} feil.")


# --- keys ---------------------------------------------------------------------------------

@main.group()
def keys() -> None:
    """The tool's signing keys (published at /.well-known/jwks.json)."""


@keys.command("ensure")
def keys_ensure() -> None:
    """Create a signing key if the tool has none."""
    from lti_app.lti.keys import ensure_key

    with _database() as session:
        key, created = ensure_key(session)
        click.echo(f"{'Created' if created else 'Using'} signing key {key.kid}.")


@keys.command("rotate")
@click.option("--keep-old-hours", default=72, show_default=True,
              help="How long the old keys stay published in the JWKS.")
def keys_rotate(keep_old_hours: int) -> None:
    """Sign with a new key from now on; keep the old ones published for a while."""
    from datetime import timedelta

    from lti_app.lti.keys import rotate

    with _database() as session:
        key = rotate(session, timedelta(hours=keep_old_hours))
        click.echo(f"New signing key {key.kid}; older keys leave the JWKS in {keep_old_hours} h.")


@keys.command("list")
def keys_list() -> None:
    """Show every key: signing, published until a time, or retired."""
    from lti_app.lti.keys import list_keys
    from lti_app.models import utcnow

    now = utcnow()
    with _database() as session:
        for key in list_keys(session):
            if key.retire_at is None:
                state = "signerer"
            elif key.retire_at > now:
                state = f"publisert til {key.retire_at:%Y-%m-%d %H:%M} UTC"
            else:
                state = "pensjonert"
            click.echo(f"{key.kid}\t{key.created_at:%Y-%m-%d %H:%M}\t{state}")


# --- platforms ----------------------------------------------------------------------------

@main.group()
def platform() -> None:
    """LMS platforms (registrations) that may launch Stegvis."""


@platform.command("add")
@click.option("--name", required=True, help="A name for people, e.g. 'Moodle Nittedal'.")
@click.option("--issuer", required=True, help="The platform's issuer (iss).")
@click.option("--client-id", required=True, help="The client id the platform gave Stegvis.")
@click.option("--deployment-id", "deployment_ids", multiple=True, required=True,
              help="Deployment id; repeat for several.")
@click.option("--auth-login-url", required=True, help="OIDC authentication request URL.")
@click.option("--token-url", required=True, help="OAuth2 access token URL.")
@click.option("--jwks-url", required=True, help="The platform's public keyset URL.")
@click.option("--audience", default=None, help="Token audience, if not the token URL.")
@click.option("--profile", default=None, help="Municipality profile (content/profiles/<id>).")
def platform_add(
    name: str, issuer: str, client_id: str, deployment_ids: tuple[str, ...],
    auth_login_url: str, token_url: str, jwks_url: str, audience: str | None,
    profile: str | None,
) -> None:
    """Register a platform, or update it if (issuer, client id) is known."""
    from lti_app.services.platforms import add_platform

    with _database() as session:
        found, created = add_platform(
            session, name=name, issuer=issuer, client_id=client_id,
            auth_login_url=auth_login_url, auth_token_url=token_url, key_set_url=jwks_url,
            deployment_ids=deployment_ids, auth_audience=audience, profile=profile,
        )
        click.echo(f"{'Registered' if created else 'Updated'} platform {found.id}: {found.name}")


@platform.command("list")
def platform_list() -> None:
    """Show every registered platform with its deployments."""
    from lti_app.services.platforms import list_platforms

    with _database() as session:
        platforms = list_platforms(session)
        if not platforms:
            click.echo("No platforms registered.")
        for p in platforms:
            deployments = ", ".join(d.deployment_id for d in p.deployments)
            click.echo(f"{p.id}\t{p.name}\n\tissuer={p.issuer}\n\tclient_id={p.client_id}"
                       f"\n\tdeployments={deployments}\n\tjwks={p.key_set_url}")


@platform.command("remove")
@click.argument("platform_id", type=int)
def platform_remove(platform_id: int) -> None:
    """Remove a platform and everything recorded under it."""
    from lti_app.services.platforms import remove_platform

    with _database() as session:
        if not remove_platform(session, platform_id):
            raise click.ClickException(f"No platform {platform_id}.")
    click.echo(f"Removed platform {platform_id}.")


# --- sandbox and worker -------------------------------------------------------------------

@main.group()
def sandbox() -> None:
    """The development sandbox LMS."""


@sandbox.command("register")
def sandbox_register() -> None:
    """Register the sandbox LMS as a platform (development only)."""
    from lti_app.devsandbox import register_sandbox

    config = _config()
    if config.is_production:
        raise click.ClickException("The sandbox LMS is for development only.")
    with _database(config) as session:
        found, created = register_sandbox(session, config)
        click.echo(f"{'Registered' if created else 'Updated'} sandbox platform {found.issuer}")


@main.command("worker")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="Send what is due once and stop.")
def worker(interval: float, once: bool) -> None:
    """Send queued scores to the LMS gradebooks (AGS) and read requested course rosters
    (NRPS) until stopped."""
    from lti_app.services.worker import one_round, run_worker

    engine = make_engine(_config().database_url)
    if once:
        click.echo(f"{one_round(engine)} job(s) tried.")
        engine.dispose()
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run_worker(engine, interval, stop)
    engine.dispose()
    sys.exit(0)


# --- author tools -------------------------------------------------------------------------
# `graph`, `paths` and `play` read one case file straight from disk, with the procedure and
# profile beside it (content/procedures, content/profiles), and use the same pure code as
# the app: the parser, the engine and scoring.score. Output to authors is Norwegian.

if TYPE_CHECKING:
    from scenarios import Profile, Scenario
    from scoring import Procedure, Result


class AuthorError(click.ClickException):
    """A problem an author can fix; shown as «Feil: …» and exit status 1."""

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"Feil: {self.format_message()}", err=True, file=file)


_CASE_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)
_CONTENT_OPTION = click.option(
    "--content-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Content folder with procedures/ and profiles/ (default: the folder above the "
    "file's scenarios/). / Innholdsmappen.",
)


def _content_dir_for(file: Path, content_dir: Path | None) -> Path:
    if content_dir is not None:
        return content_dir
    folder = file.resolve().parent
    return folder.parent if folder.name == "scenarios" else _config().content_dir


def _read_case(file: Path) -> Scenario:
    from scenarios import ScenarioInvalid, load_scenario

    try:
        return load_scenario(file)
    except ScenarioInvalid as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        raise AuthorError(f"{file} kan ikke leses; rett feilene over") from exc


def _procedure_for(case: Scenario, content_dir: Path) -> Procedure:
    from scenarios.diagnostics import load_each, suggest
    from scoring import load_procedure

    loaded, problems = load_each(content_dir / "procedures", "*.yaml", load_procedure)
    found = next((p for p in loaded if p.id == case.procedure), None)
    if found is None:
        for diagnostic in problems:
            click.echo(str(diagnostic), err=True)
        hint = suggest(case.procedure, [p.id for p in loaded], "prosedyrer")
        raise AuthorError(
            f"fant ikke prosedyren «{case.procedure}» i {content_dir / 'procedures'}"
            + (f" ({hint})" if hint else "")
        )
    return found


def _profile(content_dir: Path, profile_id: str | None) -> Profile:
    from scenarios import ProfileInvalid, load_profile

    wanted = profile_id or os.environ.get("STEGVIS_DEFAULT_PROFILE", "nasjonal")
    path = content_dir / "profiles" / f"{wanted}.yaml"
    if not path.is_file():
        known = sorted(p.stem for p in (content_dir / "profiles").glob("*.yaml"))
        raise AuthorError(
            f"fant ikke kommuneprofilen «{wanted}»; kjente profiler: {', '.join(known) or 'ingen'}"
        )
    try:
        return load_profile(path)
    except ProfileInvalid as exc:
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        raise AuthorError(f"kommuneprofilen «{wanted}» har feil; rett feilene over") from exc


@main.command("graph")
@click.argument("file", type=_CASE_FILE)
@click.option("--format", "fmt", type=click.Choice(["svg", "mermaid", "dot"]), default="svg",
              show_default=True, help="Diagram format. / Format på diagrammet.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write here instead of standard output. / Skriv til denne filen.")
@click.option("--profile", "profile_id", default=None,
              help="Fill placeholders from this municipality profile. / Fyll inn fra profilen.")
@_CONTENT_OPTION
def graph(
    file: Path, fmt: str, output: Path | None, profile_id: str | None, content_dir: Path | None
) -> None:
    """Draw the case in FILE as a diagram (Tegn caset som et diagram).

    Nodes carry their titles; endings are shaped and coloured by outcome (trygg, uavklart,
    utrygg); every choice is an arrow labelled with its text and coloured by verdict
    (green best/acceptable, amber minor, red major/critical; critical bold). SVG needs
    Graphviz (`apt-get install graphviz`); `--format mermaid` needs nothing.
    """
    from scenarios.graph import GraphvizFailed, GraphvizMissing, render_svg, to_dot, to_mermaid

    case = _read_case(file)
    profile = _profile(_content_dir_for(file, content_dir), profile_id) if profile_id else None
    if fmt == "mermaid":
        text = to_mermaid(case, profile)
    elif fmt == "dot":
        text = to_dot(case, profile)
    else:
        try:
            text = render_svg(to_dot(case, profile))
        except GraphvizMissing as exc:
            raise AuthorError(
                "Graphviz (programmet «dot») er ikke installert, så SVG kan ikke lages. "
                "Installer det med «sudo apt-get install graphviz» (eller «make system-deps»), "
                "eller bruk «--format mermaid»."
            ) from exc
        except GraphvizFailed as exc:
            raise AuthorError(str(exc)) from exc
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Skrev {output} ({fmt}, {len(case.nodes)} noder).", err=True)


def _ending_of(result: Result) -> str:
    return f"slutt: {result.outcome}" if result.outcome else "ingen slutt"


@main.command("paths")
@click.argument("file", type=_CASE_FILE)
@click.option("--profile", "profile_id", default=None,
              help="Fill placeholders in --texts from this profile. / Fyll inn fra profilen.")
@click.option("--texts", is_flag=True,
              help="Show the choices' texts, not their ids. / Vis valgtekstene.")
@_CONTENT_OPTION
def paths(file: Path, profile_id: str | None, texts: bool, content_dir: Path | None) -> None:
    """List every path through the case in FILE with its score (Alle veier gjennom caset).

    Each path is scored with the app's own scoring. Exits 1 if the best path does not
    score 100, if a path with a critical error passes, or if the case has no path.
    """
    from scenarios import Verdict, check_scenario, enumerate_paths
    from scenarios.graph import shorten
    from scenarios.plaintext import fill_text
    from scoring import MAX_SCORE, score

    case = _read_case(file)
    folder = _content_dir_for(file, content_dir)
    procedure = _procedure_for(case, folder)
    profile = _profile(folder, profile_id) if (texts or profile_id) else None
    blocking = [d for d in check_scenario(case) if d.is_error]
    if case.start not in case.nodes:
        for diagnostic in blocking:
            click.echo(str(diagnostic), err=True)
        raise AuthorError("caset har ingen gyldig startnode; rett feilene over")

    found = enumerate_paths(case)
    scored = [(path, score(case, procedure, [c.id for c in path])) for path in found.paths]
    # Best first, so the author sees the reference path at the top.
    ranked = sorted(enumerate(scored, start=1), key=lambda item: (-item[1][1].score, item[0]))
    click.echo(f"{case.id}: {len(scored)} veier mot prosedyren «{procedure.id}», "
               f"bestått fra {case.pass_mark} poeng og ingen kritiske feil")
    click.echo("")
    for number, (path, result) in ranked:
        verdict = "bestått" if result.passed else "ikke bestått"
        head = f"{number:>4}. {result.score:>3} poeng  {verdict:<12}  {_ending_of(result)}"
        click.echo(head)
        if texts:
            for choice in path:
                mark = "!" if choice.verdict is Verdict.CRITICAL else " "
                click.echo(f"       {mark} {choice.id:<14} {choice.verdict.label:<13} "
                           f"{shorten(fill_text(choice.text, profile), 90)}")
        else:
            click.echo("        " + " → ".join(c.id for c in path))
        for mistake in result.critical_errors:
            entry = mistake.catalogue
            why = f" – {entry.id}: {shorten(entry.text, 70)}" if entry else ""
            click.echo(f"        KRITISK: {mistake.choice_id}{why}")
    passing = sum(r.passed for _, r in scored)
    critical = [r for _, r in scored if r.critical_errors]
    best = max((r.score for _, r in scored), default=0)
    click.echo("")
    click.echo(f"{len(scored)} veier, {passing} bestått, {len(critical)} med kritiske feil; "
               f"beste vei gir {best} poeng.")
    problems: list[str] = []
    if found.truncated:
        problems.append(f"caset har flere enn {len(scored)} veier; bare de første er vist")
    if not scored:
        problems.append("caset har ingen vei fra start til en slutt")
    elif best < MAX_SCORE:
        problems.append(f"beste vei gir {best} poeng, ikke {MAX_SCORE} "
                        "(den beste veien må gjøre alle påkrevde steg i rekkefølge med «best»)")
    passed_critical = [r for r in critical if r.passed]
    if passed_critical:
        problems.append(f"{len(passed_critical)} vei(er) med kritisk feil består; "
                        "et kritisk valg skal alltid gi ikke bestått")
    for diagnostic in blocking:
        click.echo(str(diagnostic), err=True)
    if problems:
        raise AuthorError("; ".join(problems))


def _show_feedback(choice_text: str, verdict: str, step: str | None, feedback: str,
                   source: str, profile: Profile) -> None:
    from lti_app import VERDICT_LABELS
    from scenarios.plaintext import markdown_to_text

    click.echo(textwrap.fill(f"Du valgte: «{choice_text}»", width=78, initial_indent="  ",
                             subsequent_indent="  "))
    label = VERDICT_LABELS.get(verdict, verdict)
    click.echo(f"  Vurdering: {label}" + (f" (steg {step})" if step else ""))
    click.echo(textwrap.indent(markdown_to_text(feedback, profile, width=74), "  "))
    if source:
        click.echo(f"  Kilde: {source}")


def _ask_number(count: int) -> int:
    """Ask until the author types a number from 1 to count (click's own message is English)."""
    while True:
        try:
            answer = click.prompt(f"Velg 1–{count}", default="", show_default=False)
        except click.Abort as exc:  # Ctrl-C, Ctrl-D or the end of piped input
            click.echo("")
            raise AuthorError("avbrutt før caset var ferdig") from exc
        if answer.strip().isdigit() and 1 <= int(answer) <= count:
            return int(answer)
        click.echo(f"Skriv et tall fra 1 til {count} og trykk Enter (Ctrl-C avslutter).")


@main.command("play")
@click.argument("file", type=_CASE_FILE)
@click.option("--profile", "profile_id", default=None,
              help="Municipality profile, e.g. nittedal (default: nasjonal). / Kommuneprofil.")
@_CONTENT_OPTION
def play(file: Path, profile_id: str | None, content_dir: Path | None) -> None:
    """Play the case in FILE in the terminal (Spill caset i terminalen).

    Type the number of a choice and press Enter; Ctrl-C stops. At the end: the score,
    pass or fail, and the procedure step by step, scored as the app scores it.
    """
    from lti_app import STEP_LABELS
    from scenarios import choose, current_node, start
    from scenarios.plaintext import fill_text, markdown_to_text
    from scoring import score

    case = _read_case(file)
    folder = _content_dir_for(file, content_dir)
    procedure = _procedure_for(case, folder)
    profile = _profile(folder, profile_id)
    immediate = case.feedback_mode == "immediate"

    def rule(title: str) -> None:
        click.echo("")
        click.echo(click.style(f"── {title} ", bold=True) + "─" * max(3, 60 - len(title)))

    click.echo(click.style(fill_text(case.title, profile), bold=True))
    click.echo(f"Profil: {profile.name}. Tilbakemelding: "
               f"{'etter hvert valg' if immediate else 'til slutt'}.")
    state = start(case)
    while not state.finished:
        node = current_node(case, state)
        rule(fill_text(node.title, profile))
        click.echo(markdown_to_text(node.body, profile))
        click.echo("")
        click.echo("Hva gjør du?")
        for number, option in enumerate(node.choices, start=1):
            wrapped = textwrap.fill(fill_text(option.text, profile), width=74,
                                    initial_indent=f"  {number}) ",
                                    subsequent_indent=" " * (len(str(number)) + 4))
            click.echo(wrapped)
        choice = node.choices[_ask_number(len(node.choices)) - 1]
        state = choose(case, state, choice.id, state.step)
        if immediate:
            click.echo("")
            _show_feedback(fill_text(choice.text, profile), choice.verdict.value, choice.step,
                           choice.feedback, choice.source, profile)

    ending = current_node(case, state)
    rule(fill_text(ending.title, profile))
    click.echo(markdown_to_text(ending.body, profile))
    if ending.ending is not None:
        click.echo("")
        click.echo(f"Slutt: {ending.ending.outcome}. For barnet: "
                   f"{markdown_to_text(ending.ending.summary, profile)}")
    result = score(case, procedure, state.path)
    rule("Resultat")
    click.echo(f"Poeng: {result.score} av 100 – {'bestått' if result.passed else 'ikke bestått'}"
               f" (krav: {result.pass_mark} poeng og ingen kritiske feil)")
    for mistake in result.critical_errors:
        what = mistake.catalogue.text if mistake.catalogue else fill_text(mistake.text, profile)
        click.echo(f"  Kritisk feil: {what} ({mistake.source})")
    click.echo("")
    click.echo("Prosedyren steg for steg:")
    for step in result.steps:
        required = "" if step.required else " (ikke påkrevd)"
        click.echo(f"  {STEP_LABELS[step.status]:<15} {step.step_id:<4} "
                   f"{fill_text(step.title, profile)}{required}")
    if not immediate:
        click.echo("")
        click.echo("Valgene dine:")
        for decision in result.decisions:
            click.echo("")
            _show_feedback(fill_text(decision.text, profile), decision.verdict.value,
                           decision.step, decision.feedback, decision.source, profile)
