"""`flask hub ...` commands.

Each command is one unit of work: it commits once at its end and rolls back on
any error, printing what went wrong and exiting with status 1. Add a command by
decorating a function with ``@hub_cli.command(...)`` and running its work inside
``with unit_of_work():``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
import yaml
from flask import Flask
from flask.cli import AppGroup

from hub.errors import DomainError, ValidationFailed
from hub.extensions import db

hub_cli = AppGroup("hub", help="Run and administer Hub.")
token_cli = AppGroup("token", help="Personal API tokens.")
hub_cli.add_command(token_cli)


def init_app(app: Flask) -> None:
    from hub.usage.cli import usage_cli

    hub_cli.add_command(usage_cli)
    app.cli.add_command(hub_cli)


def fail(*lines: str) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(1)


@contextmanager
def unit_of_work() -> Iterator[None]:
    """Commit once if the block succeeds; roll back and exit 1 if it raises."""
    from hub.audit.capture import acting_as
    from hub.hubfile import HubfileInvalid

    context = click.get_current_context(silent=True)
    try:
        with acting_as(f"command {context.command_path if context else 'flask hub'}"):
            yield
    except HubfileInvalid as exc:
        db.session.rollback()
        fail(
            f"Nothing was changed: the file has {len(exc.problems)} problem(s):",
            *(f"  {problem}" for problem in exc.problems),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        fail("Nothing was changed:", *(f"  {k}: {m}" for k, ms in exc.errors.items() for m in ms))
    except DomainError as exc:
        db.session.rollback()
        fail(f"Nothing was changed: {exc}")
    except BaseException:
        db.session.rollback()
        raise
    else:
        db.session.commit()


# --- configuration as data ---------------------------------------------------------


def _report(report: object, what: str) -> None:
    from hub.hubfile import LoadReport

    assert isinstance(report, LoadReport)
    if report.changed == 0:
        click.echo(f"{what}: nothing to change, the database already matches.")
    else:
        click.echo(f"{what}: loaded.")
    for line in report.lines():
        click.echo(f"  {line}")


@hub_cli.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load_command(file: Path) -> None:
    """Create or update organizations, hubs and users from a YAML FILE.

    Idempotent: loading the same file again changes nothing. Rows the file does
    not mention are left alone. A file with any problem changes nothing.
    """
    from hub.hubfile import load_text

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"Cannot read {file}: {exc}")
    with unit_of_work():
        report = load_text(text)
    _report(report, str(file))


@hub_cli.command("dump")
@click.option("--hub", "hub_slug", metavar="SLUG", help="Only this hub and what it refers to.")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of standard output.",
)
def dump_command(hub_slug: str | None, output: Path | None) -> None:
    """Write the configuration as YAML that `flask hub load` reads back (no passwords)."""
    from hub.hubfile import dump_text

    with unit_of_work():
        text = dump_text(hub_slug)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}.", err=True)


@hub_cli.command("demo")
@click.option(
    "--history",
    is_flag=True,
    help="Also generate a year of bookings and events up to yesterday for each demo hub "
    "(a hub that already has bookings then is skipped).",
)
def demo_command(history: bool) -> None:
    """Load the demo hubs, partners and users (hub/hubfile/demo.yaml); safe to repeat."""
    from hub.hubfile import DEMO_FILE, load_text

    text = DEMO_FILE.read_text(encoding="utf-8")
    with unit_of_work():
        report = load_text(text)
    _report(report, "Demo data")
    if report.changed:
        click.echo("Log in as admin@demo.example with the password demo-admin-2026 (demo only).")
    if history:
        _demo_history([hub["slug"] for hub in yaml.safe_load(text)["hubs"]])


def _demo_history(slugs: list[str]) -> None:
    from hub.database import begin_write
    from hub.usage.history import demo_history

    with unit_of_work():
        begin_write(db.session())
        results = demo_history(slugs)
    for result in results:
        if result.bookings is None:
            click.echo(
                f"{result.slug}: already has bookings from {result.first} to {result.last}; "
                "no history made."
            )
        else:
            click.echo(
                f"{result.slug}: made {result.bookings} bookings from {result.first} "
                f"to {result.last}."
            )


# --- people -------------------------------------------------------------------------


@token_cli.command("create")
@click.argument("email")
@click.option("--name", default="Command line", show_default=True, help="What the token is for.")
def token_create_command(email: str, name: str) -> None:
    """Create a personal API token for the user with EMAIL; the secret is the last line."""
    from hub.accounts import service as accounts

    with unit_of_work():
        user = accounts.find_user_by_email(email)
        if user is None:
            raise _NoSuchUser(email)
        token, secret = accounts.create_api_token(user, name)
    click.echo(f"Created API token {token.name!r} for {user.email} (starts {token.prefix}).")
    click.echo("Copy it now; it is not shown again:")
    click.echo(secret)


class _NoSuchUser(DomainError):
    status = 404

    def __init__(self, email: str) -> None:
        super().__init__(f"no user with the email {email!r}.")


@hub_cli.command("create-admin")
@click.argument("email")
@click.option("--name", required=True, help="The person's name.")
@click.option(
    "--organization",
    "organization_name",
    required=True,
    help="Home organization by name; created if it does not exist.",
)
@click.option(
    "--organization-kind",
    default="municipality",
    show_default=True,
    help="Kind of the organization if it is created.",
)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for if not given.",
)
def create_admin_command(
    email: str, name: str, organization_name: str, organization_kind: str, password: str
) -> None:
    """Create a system administrator, for example on an empty installation."""
    import sqlalchemy as sa

    from hub.accounts import service as accounts
    from hub.accounts.models import Organization

    created_org = False
    with unit_of_work():
        if accounts.find_user_by_email(email) is not None:
            raise ValidationFailed({"email": "A user with this email already exists."})
        org = db.session.scalar(
            sa.select(Organization).where(
                sa.func.lower(Organization.name) == organization_name.strip().lower()
            )
        )
        if org is None:
            org = accounts.create_organization(
                {"name": organization_name, "kind": organization_kind}
            )
            created_org = True
        user = accounts.create_user(
            {
                "email": email,
                "name": name,
                "home_organization_id": org.id,
                "is_system_admin": True,
            },
            password=password,
        )
    if created_org:
        click.echo(f"Created the organization {org.name!r}.")
    click.echo(f"Created the system administrator {user.email}.")


# --- scheduled jobs -------------------------------------------------------------------


def schema_problem() -> str | None:
    """Why the database's schema does not fit the code, or None when it is current.

    Behind (migrations to apply) and ahead (a revision this code does not know:
    older code deployed over a newer database) need opposite remedies.
    """
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from hub import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    script = ScriptDirectory.from_config(config)
    heads = set(script.get_heads())
    known = {revision.revision for revision in script.walk_revisions()}
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if current == heads:
        return None
    unknown = sorted(current - known)
    if unknown:
        return (
            f"The database has schema {', '.join(unknown)}, which this version of Hub does "
            "not know: the code is older than the database. Deploy the Hub version that "
            "migrated it (or newer); `flask db upgrade` cannot help."
        )
    return "The database is not up to date; run `flask db upgrade` first."


def schema_is_current() -> bool:
    """Whether the database has every migration applied (the jobs need the tables)."""
    return schema_problem() is None


@hub_cli.command("scheduler")
@click.option("--list", "list_only", is_flag=True, help="Show the jobs and their triggers; exit.")
def scheduler_command(list_only: bool) -> None:
    """Run the scheduled jobs: one dedicated process, stopped with SIGINT or SIGTERM.

    Run exactly one per installation, never inside web workers: a second one against
    the same database refuses to start (exit 1). See docs/scheduler.md.
    """
    import logging
    import os
    import signal
    from datetime import timedelta

    from flask import current_app

    from hub.database import utcnow
    from hub.jobs import build_scheduler, catch_up
    from hub.ops import scheduler_lock
    from hub.ops.logging import configure_logging

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    scheduler = build_scheduler(app)
    if list_only:
        for job in scheduler.get_jobs():
            click.echo(f"{job.id}: {job.trigger}")
        return
    problem = schema_problem()
    if problem is not None:
        fail(problem)

    configure_logging(app)  # LOG_FORMAT and LOG_LEVEL, as in the web workers
    log = logging.getLogger("hub.scheduler")
    try:
        lock = scheduler_lock.acquire(
            db.engine, timedelta(seconds=app.config["SCHEDULER_STALE_SECONDS"])
        )
    except scheduler_lock.LockHeld as exc:
        fail(str(exc))
    lost: list[bool] = []

    def stop_on_lost_lock() -> None:
        lost.append(True)
        os.kill(os.getpid(), signal.SIGTERM)

    heartbeat = scheduler_lock.Heartbeat(
        lock, timedelta(seconds=app.config["SCHEDULER_HEARTBEAT_SECONDS"]), stop_on_lost_lock
    )
    # SIGTERM (systemd, docker stop, make run's trap) stops it like Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        catch_up(scheduler, app, utcnow())
        log.info(
            "scheduler started (UTC) with jobs: %s",
            ", ".join(f"{job.id} ({job.trigger})" for job in scheduler.get_jobs()),
        )
        heartbeat.start()
        scheduler.start()
    except KeyboardInterrupt:
        log.info("scheduler stopping: waiting for running jobs to finish")
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)
        heartbeat.stop()
        try:
            lock.release()
        except Exception:
            log.exception("could not release the scheduler lock")
    if lost:
        fail("Stopped: this scheduler lost its lock (see the log above).")
    log.info("scheduler stopped")


@hub_cli.command("run-job")
@click.argument("job_id")
def run_job_command(job_id: str) -> None:
    """Run the scheduled job JOB_ID once, now, and print its result.

    Jobs are idempotent: running one beside the scheduler changes nothing twice.
    """
    from flask import current_app

    from hub import jobs

    if job_id not in jobs.JOBS:
        fail(f"Unknown job {job_id!r}. Known jobs: {', '.join(sorted(jobs.JOBS))}.")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        result = jobs.run_job(app, job_id)
    except Exception as exc:
        fail(f"Job {job_id} failed (rolled back): {exc}")
    click.echo(f"{job_id}: {result}")


# --- backups (hub/ops/backup.py, docs/backup.md) ----------------------------------------


@hub_cli.command("backup")
@click.option(
    "-o",
    "--output",
    # A string, not a Path: a trailing "/" means "a directory" even if it does not exist yet.
    type=click.Path(),
    help="A directory (the file gets the standard name; end it with / to have it created) "
    "or a new file. Default: BACKUP_DIR.",
)
def backup_command(output: str | None) -> None:
    """Back up the whole database while Hub runs; print the file's path."""
    from hub.ops import backup

    try:
        path = backup.backup(output)
    except backup.BackupFailed as exc:
        fail(f"Backup failed: {exc}")
    click.echo(str(path))


@hub_cli.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Really replace all data in the database.")
@click.option(
    "--force",
    is_flag=True,
    help="Restore even while a scheduler runs against the database (it is refused otherwise).",
)
def restore_command(file: Path, yes: bool, force: bool) -> None:
    """Replace ALL data in the database with the backup FILE.

    Stop the web workers and the scheduler first (a running scheduler is refused
    unless --force). Without --yes, only checks the file and says what would happen.
    """
    from hub.ops import backup

    try:
        info = backup.inspect(file)
        if not yes:
            holder = None if force else backup.running_scheduler()
            fail(
                f"{file} is a Hub backup (schema {info.revision}). Nothing was changed.",
                f"Restoring replaces ALL data in {backup.database_label()}. Stop the web "
                "workers and the scheduler first, then run again with --yes.",
                *([f"A scheduler is running now: {holder}."] if holder else []),
            )
        backup.restore(file, force=force)
    except backup.BackupFailed as exc:
        fail(f"Restore failed, nothing was changed: {exc}")
    click.echo(f"Restored {file} (schema {info.revision}) into {backup.database_label()}.")
    if info.needs_upgrade:
        click.echo("The backup is from an older version: run `flask db upgrade` now.")
    click.echo("Start the web workers and the scheduler again.")
