"""The ``stegvis`` command: operator and author commands.

Run ``stegvis --help``; every command's docstring is its help text.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import click
from sqlalchemy import Engine

from lti_app.config import Config, from_env
from lti_app.db import make_engine, session_scope
from lti_app.errors import ConfigError


def _config() -> Config:
    try:
        return from_env()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


def _engine(config: Config) -> Engine:
    return make_engine(config.database_url)


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
    with session_scope(_engine(config)) as session:
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

    with session_scope(_engine(_config())) as session:
        key, created = ensure_key(session)
        click.echo(f"{'Created' if created else 'Using'} signing key {key.kid}.")


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

    with session_scope(_engine(_config())) as session:
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

    with session_scope(_engine(_config())) as session:
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

    with session_scope(_engine(_config())) as session:
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
    with session_scope(_engine(config)) as session:
        found, created = register_sandbox(session, config)
        click.echo(f"{'Registered' if created else 'Updated'} sandbox platform {found.issuer}")


@main.command("worker")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="Send what is due once and stop.")
def worker(interval: float, once: bool) -> None:
    """Send queued scores to the LMS gradebooks (AGS) and read requested course rosters
    (NRPS) until stopped."""
    from lti_app.services.worker import one_round, run_worker

    engine = _engine(_config())
    if once:
        click.echo(f"{one_round(engine)} job(s) tried.")
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    run_worker(engine, interval, stop)
    sys.exit(0)
