"""`flask hub usage ...`: import presence, rebuild the roll-up."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click
from flask.cli import AppGroup

from hub.cli import fail, unit_of_work
from hub.database import begin_write
from hub.extensions import db
from hub.spaces.service import get_hub
from hub.usage import imports, rollup

usage_cli = AppGroup("usage", help="Usage facts: import presence, rebuild the roll-up.")


@usage_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--hub", "hub_slug", required=True, metavar="SLUG", help="The hub the file is for.")
@click.option("--yes", is_flag=True, help="Import the good lines without asking.")
def import_command(file: Path, hub_slug: str, yes: bool) -> None:
    """Import presence from FILE, a CSV from an access-card system or a manual list.

    Every bad line is listed with its line number and reason; the good lines
    are imported only after you confirm (or with --yes). See docs/usage-import.md.
    """
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"Cannot read {file}: {exc}")
    with unit_of_work():
        # The write lock first: the preview and the import are one unit of work.
        begin_write(db.session())
        hub = get_hub(hub_slug)
        usage_import, report = imports.preview_import(hub, file.name, data, None)
        for line, reason in report.bad:
            click.echo(f"line {line}: {reason}")
        click.echo(
            f"{report.good} good lines ({report.records} presence records, "
            f"{report.duplicates} repeated lines collapsed), {report.bad_count} bad lines, "
            f"{report.already_counted} skipped as already counted."
        )
        if report.good == 0:
            fail("Nothing was changed: the file has no lines to import.")
        if not yes and not click.confirm(f"Import {report.good} lines?"):
            fail("Nothing was changed.")
        with click.progressbar(length=report.records, label="Importing") as bar:
            imports.confirm_import(usage_import, None, progress=bar.update)
    click.echo(
        f"Imported {report.good} lines from {file.name} into {hub_slug} "
        f"as {report.records} presence records."
    )


@usage_cli.command("rebuild")
@click.option("--hub", "hub_slug", required=True, metavar="SLUG", help="The hub to rebuild.")
@click.option(
    "--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First local day."
)
@click.option(
    "--to",
    "last",
    required=True,
    type=click.DateTime(["%Y-%m-%d"]),
    help="Last local day (inclusive).",
)
def rebuild_command(hub_slug: str, first: datetime, last: datetime) -> None:
    """Recompute a hub's usage roll-up for the days --from to --to from bookings and imports."""
    if last < first:
        fail("Nothing was changed: --to is before --from.")
    with unit_of_work():
        begin_write(db.session())
        hub = get_hub(hub_slug)
        read = rollup.rebuild(db.session, hub.id, first.date(), last.date())
    click.echo(
        f"Rebuilt the usage roll-up of {hub_slug} from {first.date()} to {last.date()}: "
        f"read {read} bookings."
    )
