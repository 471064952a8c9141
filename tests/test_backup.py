"""Backups: `flask hub backup`/`restore`, retention and the nightly job (hub/ops/backup.py).

The round trip is tested on both backends with real data in every domain: after a
restore, every table in the metadata holds exactly the rows it held at the backup.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
import time_machine
from db_support import config_for
from usage_support import BEFORE, MONDAY, at

from hub import create_app, jobs
from hub.accounts import service as accounts
from hub.accounts.models import Organization, Role, User
from hub.booking import service as booking
from hub.booking.models import Booking
from hub.extensions import db
from hub.finance import financing, statements
from hub.finance import service as finance
from hub.finance.models import Statement
from hub.ops import backup, scheduler_lock

NOW = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)


@pytest.fixture
def app_config(tmp_path: Path) -> dict[str, Any]:
    return {"BACKUP_DIR": str(tmp_path / "nightly"), "BACKUP_KEEP": 2}


def run(app, *args: str):
    return app.test_cli_runner().invoke(args=["hub", *args])


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (and the schema version), in primary key order."""
    db.session.rollback()
    rows = {
        table.name: [
            tuple(row)
            for row in db.session.execute(sa.select(table).order_by(*table.primary_key.columns))
        ]
        for table in db.metadata.sorted_tables
    }
    rows["alembic_version"] = [
        tuple(row) for row in db.session.execute(sa.text("SELECT version_num FROM alembic_version"))
    ]
    db.session.rollback()
    return rows


def set_revision(revision: str) -> None:
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    db.session.commit()


@pytest.fixture
def data(make_hub, make_space, make_org, make_user) -> dict[str, Any]:
    """A hub with members, bookings, costs and an issued statement."""
    hub = make_hub(slug="regionlab-lister", name="RegionLab Lister")
    desk = make_space(hub, kind="desk")
    room = make_space(hub, kind="meeting_room", capacity=8)
    host = make_org(name="Lyngdal kommune", kind="municipality")
    nav = make_org(name="NAV Lister")
    year = {"starts_on": date(2030, 1, 1)}
    accounts.create_membership(hub, {"organization_id": host.id, "kind": "host"} | year)
    accounts.create_membership(
        hub, {"organization_id": nav.id, "kind": "partner", "carries_residual": True} | year
    )
    finance.create_cost_item(
        hub,
        {
            "category": "rent",
            "description": "Husleie",
            "amount_ore": 120_000_000,
            "starts_on": date(2030, 1, 1),
            "ends_on": date(2030, 12, 31),
        },
    )
    financing.save_model(hub, 2030, {"statement_prefix": "LISTER"})
    db.session.commit()
    member = make_user(home_organization=nav, hub=hub, role=Role.MEMBER, password=None)
    make_user(hub=hub, role=Role.ADMIN, password=None)
    booking.create_booking(member, desk, at(MONDAY, 8), at(MONDAY, 16), now=BEFORE)
    wednesday = MONDAY + timedelta(days=2)
    booking.create_booking(member, room, at(wednesday, 9), at(wednesday, 11), now=BEFORE)
    db.session.commit()
    with time_machine.travel(datetime(2030, 4, 10, 6, tzinfo=UTC), tick=False):
        statement = statements.issue(
            statements.create_draft(hub, nav, date(2030, 1, 1), date(2030, 3, 31))
        )
        db.session.commit()
    return {"hub": hub, "nav": nav, "member": member, "statement": statement}


def change_everything(data: dict[str, Any]) -> None:
    """Edits, deletions and additions after the backup, so the restore has work to do."""
    db.session.get(Organization, data["nav"].id).name = "Renamed"
    db.session.execute(sa.delete(Booking))
    db.session.get(User, data["member"].id).name = "Someone else"
    accounts.create_organization({"name": "Added later", "kind": "state_agency"})
    db.session.commit()


# --- the round trip --------------------------------------------------------------------


def test_restore_gives_back_every_row_of_every_table(app, data, tmp_path):
    number = data["statement"].number  # restore() ends the session: objects are detached
    before = snapshot()
    assert before["bookings"] and before["statements"] and before["users"]

    path = backup.backup(tmp_path, now=NOW)
    change_everything(data)
    assert snapshot() != before
    info = backup.restore(path)

    assert snapshot() == before
    assert info.revision == before["alembic_version"][0][0] and not info.needs_upgrade
    assert db.session.scalar(sa.select(Statement.number)) == number
    # Sequences came back too: new rows get fresh ids after the restore.
    accounts.create_organization({"name": "After the restore", "kind": "state_agency"})
    db.session.commit()


def test_restore_into_an_empty_database_as_on_a_new_machine(app, backend, data, tmp_path):
    before = snapshot()
    path = backup.backup(tmp_path, now=NOW)
    if backend == "postgresql":
        # Not one table left (quicker than a fresh CREATE DATABASE on a busy server).
        db.session.execute(sa.text("DROP SCHEMA public CASCADE"))
        db.session.execute(sa.text("CREATE SCHEMA public"))
        db.session.commit()
        backup.restore(path)
        assert snapshot() == before
        return
    new_machine = create_app(config_for(f"sqlite:///{tmp_path / 'new' / 'hub.sqlite3'}"))
    with new_machine.app_context():
        try:
            backup.restore(path)
            assert snapshot() == before
        finally:
            db.session.remove()
            db.engine.dispose()


def test_backup_has_the_standard_name_and_only_its_owner_may_read_it(app, backend):
    path = backup.backup(now=NOW)  # BACKUP_DIR does not exist yet

    suffix = "sqlite3" if backend == "sqlite" else "pgdump"
    assert path == Path(app.config["BACKUP_DIR"]) / f"hub-20261124T023000Z.{suffix}"
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    with pytest.raises(backup.BackupFailed, match="already exists"):
        backup.backup(path.parent, now=NOW)


def test_backup_while_a_writer_has_an_open_transaction_holds_only_committed_rows(
    app, make_org, tmp_path
):
    make_org(name="Committed")
    accounts.create_organization({"name": "Not yet committed", "kind": "state_agency"})
    db.session.flush()  # this session now holds a write transaction

    path = backup.backup(tmp_path, now=NOW)  # does not wait for it
    db.session.commit()
    backup.restore(path)

    assert db.session.scalars(sa.select(Organization.name)).all() == ["Committed"]


def test_a_backup_from_newer_code_is_refused_and_an_older_one_needs_an_upgrade(
    app, make_org, tmp_path
):
    (current,) = snapshot()["alembic_version"][0]
    set_revision("9999_future")
    newer = backup.backup(tmp_path / "newer", now=NOW)
    set_revision("0011_audit_log")
    older = backup.backup(tmp_path / "older", now=NOW)
    set_revision(current)
    make_org(name="Still here")

    with pytest.raises(backup.BackupFailed, match=r"schema 9999_future, newer than .*0012"):
        backup.restore(newer)
    assert backup.inspect(older).needs_upgrade
    assert db.session.scalars(sa.select(Organization.name)).all() == ["Still here"]


# --- the commands ----------------------------------------------------------------------


def test_cli_backup_then_restore_needs_yes(app, data, tmp_path):
    before = snapshot()

    made = run(app, "backup", "--output", str(tmp_path))
    default = run(app, "backup")
    assert made.exit_code == 0, made.output
    path = Path(made.stdout.strip())
    assert path.parent == tmp_path and backup.NAME.match(path.name)
    assert default.exit_code == 0, default.output
    assert Path(default.stdout.strip()).parent == Path(app.config["BACKUP_DIR"])

    change_everything(data)
    changed = snapshot()
    refused = run(app, "restore", str(path))
    assert refused.exit_code == 1
    assert "Nothing was changed" in refused.stderr and "--yes" in refused.stderr
    assert "Stop the web workers and the scheduler" in refused.stderr
    assert snapshot() == changed

    restored = run(app, "restore", str(path), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "Restored" in restored.stdout
    assert snapshot() == before


def test_cli_restore_of_garbage_or_a_damaged_backup_exits_1_and_changes_nothing(
    app, backend, data, tmp_path
):
    good = backup.backup(tmp_path, now=NOW)
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a backup\n" * 100)
    damaged = tmp_path / "damaged"
    content = bytearray(good.read_bytes())
    if backend == "postgresql":
        # The last table's data is damaged: the file passes the checks and pg_restore
        # fails halfway, so this shows the restore is one transaction.
        content[-40:] = b"A" * 40
        damaged.write_bytes(content)
        assert backup.inspect(damaged)
    else:
        damaged.write_bytes(content[: len(content) * 3 // 4])
    not_hub = tmp_path / "other.sqlite3"
    with closing(sqlite3.connect(not_hub)) as other:
        other.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY)")
    change_everything(data)
    changed = snapshot()

    for bad in (garbage, damaged, not_hub):
        result = run(app, "restore", str(bad), "--yes")
        assert result.exit_code == 1, (bad, result.output)
        assert isinstance(result.exception, SystemExit)  # a message, not a traceback
        assert result.stderr.startswith("Restore failed, nothing was changed: ")
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert snapshot() == changed
    assert "not a Hub backup" in run(app, "restore", str(garbage), "--yes").stderr


def test_postgresql_restore_refuses_a_database_with_tables_the_backup_lacks(
    app, backend, make_org, tmp_path
):
    if backend != "postgresql":
        pytest.skip("SQLite's restore replaces the whole file")
    path = backup.backup(tmp_path, now=NOW)
    make_org(name="Still here")
    db.session.execute(sa.text("CREATE TABLE from_a_later_migration (id integer)"))
    db.session.commit()
    try:
        with pytest.raises(backup.BackupFailed, match="from_a_later_migration"):
            backup.restore(path)
        assert db.session.scalars(sa.select(Organization.name)).all() == ["Still here"]
    finally:
        db.session.execute(sa.text("DROP TABLE from_a_later_migration"))
        db.session.commit()


# --- retention and the nightly job -----------------------------------------------------


def _touch(directory: Path, *names: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name in names:
        (directory / name).write_text("x")


def test_prune_keeps_the_newest_hub_backups_and_never_touches_other_files(tmp_path):
    old = [
        "hub-20261120T023000Z.sqlite3",
        "hub-20261121T023000Z.pgdump",
        "hub-20261122T023000Z.sqlite3",
        "hub-20261123T023000Z.pgdump",
    ]
    others = [
        "notes.txt",
        "hub-latest.sqlite3",
        "hub-20200101T000000Z.sqlite3.bak",
        "my-hub-20200101T000000Z.sqlite3",
        ".hub-20200101T000000Z.sqlite3.123.partial",
    ]
    _touch(tmp_path, *old, *others)
    (tmp_path / "hub-20190101T000000Z.sqlite3").mkdir()  # a directory is not a backup

    removed = backup.prune(tmp_path, keep=2)

    assert sorted(p.name for p in removed) == old[:2]
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {*old[2:], *others, "hub-20190101T000000Z.sqlite3"}
    assert backup.prune(tmp_path, keep=2) == []
    with pytest.raises(backup.BackupFailed, match="at least 1"):
        backup.prune(tmp_path, keep=0)


def test_nightly_job_backs_up_into_backup_dir_and_prunes(app, make_org, caplog, monkeypatch):
    # Alembic's fileConfig (migrations/env.py) disabled the loggers that existed then.
    monkeypatch.setattr(logging.getLogger("hub.ops.backup"), "disabled", False)
    directory = Path(app.config["BACKUP_DIR"])
    _touch(directory, "hub-20200101T023000Z.sqlite3", "hub-20200102T023000Z.pgdump", "keep.me")
    make_org(name="In the backup")

    with caplog.at_level(logging.INFO, logger="hub.ops.backup"):
        size = jobs.run_job(app, "backup_database")

    (newest, kept) = backup.hub_backups(directory)
    assert kept.name == "hub-20200102T023000Z.pgdump"
    assert size == newest.stat().st_size > 0
    assert (directory / "keep.me").exists()
    assert not (directory / "hub-20200101T023000Z.sqlite3").exists()
    assert f"backup written: {newest}" in caplog.text and "removed 1 old backup" in caplog.text


def test_backup_dir_defaults_to_the_instance_folder(tmp_path):
    app = create_app(config_for(f"sqlite:///{tmp_path / 'x.sqlite3'}"))
    with app.app_context():
        assert backup.backup_dir() == Path(app.instance_path) / "backups"


# --- PostgreSQL programs and failures without a server ---------------------------------


def _pg_app(tmp_path: Path, **config: Any):
    url = "postgresql://hub:s3cret@db.example:5433/hub?sslmode=require"
    return create_app(config_for(url, BACKUP_DIR=str(tmp_path), **config))


def test_pg_dump_gets_a_libpq_url_and_the_password_only_in_its_environment(tmp_path, monkeypatch):
    calls: list[tuple[list[str], dict[str, str]]] = []

    def fake_run(argv: list[str], *, env: dict[str, str], **_kw: Any):
        calls.append((argv, env))
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    app = _pg_app(tmp_path)
    with app.app_context():
        path = backup.backup(now=NOW)

    ((argv, env),) = calls
    assert path == tmp_path / "hub-20261124T023000Z.pgdump"
    assert argv[0] == "pg_dump"
    assert {"--format=custom", "--no-owner", "--no-password"} <= set(argv)
    assert "--dbname=postgresql://hub@db.example:5433/hub?sslmode=require" in argv
    assert not any("s3cret" in arg for arg in argv)
    assert env["PGPASSWORD"] == "s3cret"


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"PG_DUMP": "/nonexistent/pg_dump"}, "/nonexistent/pg_dump not found (PG_DUMP)"),
        ({"DATABASE_URL": "postgresql://postgres@127.0.0.1:1/hub"}, "pg_dump failed: connection"),
    ],
)
def test_cli_backup_failures_exit_1_with_one_line(tmp_path, config, message):
    app = _pg_app(tmp_path, **config)

    result = app.test_cli_runner().invoke(args=["hub", "backup"])

    assert result.exit_code == 1
    assert result.stderr.startswith(f"Backup failed: {message}"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_backup_of_a_missing_sqlite_database_does_not_create_one(tmp_path):
    missing = tmp_path / "missing.sqlite3"
    app = create_app(config_for(f"sqlite:///{missing}", BACKUP_DIR=str(tmp_path / "b")))

    result = app.test_cli_runner().invoke(args=["hub", "backup"])

    assert result.exit_code == 1
    assert f"There is no database at {missing}" in result.stderr
    assert not missing.exists()
    assert not (tmp_path / "b").exists()


# --- never overwriting ------------------------------------------------------------------


def test_a_backup_never_replaces_one_that_took_its_name_meanwhile(
    app, backend, tmp_path, monkeypatch
):
    """Two backups in the same second: the second finds the name taken after its check."""
    name = backup.backup_name(backend, NOW)
    rival = tmp_path / name
    step = "_sqlite_backup" if backend == "sqlite" else "_pg_dump"
    real = getattr(backup, step)

    def and_meanwhile_another_backup(*args: Any) -> None:
        real(*args)
        rival.write_bytes(b"the other backup")

    monkeypatch.setattr(backup, step, and_meanwhile_another_backup)
    with pytest.raises(backup.BackupFailed, match=f"{name} already exists"):
        backup.backup(tmp_path, now=NOW)

    assert rival.read_bytes() == b"the other backup"
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left


def test_without_hard_links_a_backup_is_still_written_and_never_overwrites(
    app, backend, tmp_path, monkeypatch
):
    def no_hard_links(*_args: Any) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")  # what FAT (a USB stick) says

    monkeypatch.setattr(os, "link", no_hard_links)
    path = backup.backup(tmp_path, now=NOW)

    assert backup.inspect(path).backend == backend
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    with pytest.raises(backup.BackupFailed, match="already exists"):
        backup.backup(tmp_path, now=NOW)


def test_cli_backup_output_ending_in_a_slash_is_a_directory(app, tmp_path):
    existing = run(app, "backup", "--output", f"{tmp_path}/")
    new = tmp_path / "new" / "dir"
    created = run(app, "backup", "--output", f"{new}/")

    assert existing.exit_code == 0, existing.output
    assert created.exit_code == 0, created.output
    for result, directory in ((existing, tmp_path), (created, new)):
        path = Path(result.stdout.strip())
        assert path.parent == directory and backup.NAME.match(path.name), path
        assert path.is_file()
    assert new.stat().st_mode & 0o777 == 0o700


# --- a running scheduler ----------------------------------------------------------------


def test_restore_is_refused_while_a_scheduler_runs_unless_forced(app, data, tmp_path):
    before = snapshot()
    path = backup.backup(tmp_path, now=NOW)
    change_everything(data)
    held = scheduler_lock.acquire(db.engine, timedelta(seconds=90), holder="sched-host:4242")
    try:
        changed = snapshot()
        with pytest.raises(
            backup.BackupFailed,
            match=r"scheduler is running .*: sched-host:4242 \(last heartbeat \d+ s ago\)",
        ):
            backup.restore(path)
        assert snapshot() == changed

        checked = run(app, "restore", str(path))
        assert checked.exit_code == 1
        assert "A scheduler is running now: sched-host:4242" in checked.stderr
        refused = run(app, "restore", str(path), "--yes")
        assert refused.exit_code == 1
        assert refused.stderr.startswith(
            "Restore failed, nothing was changed: A scheduler is running against this database: "
            "sched-host:4242"
        ), refused.stderr
        assert "--force" in refused.stderr and len(refused.stderr.strip().splitlines()) == 1
        assert snapshot() == changed

        forced = run(app, "restore", str(path), "--yes", "--force")
        assert forced.exit_code == 0, forced.output
        assert snapshot() == before
    finally:
        held.release()
    # Stopped: a restore needs no --force.
    accounts.create_organization({"name": "Added later", "kind": "state_agency"})
    db.session.commit()
    backup.restore(path)
    assert snapshot() == before


# --- PostgreSQL: extensions a DBA created ---------------------------------------------


@pytest.fixture
def role_database(app: Any, backend: str) -> Iterator[tuple[str, str]]:
    """A scratch login role and an empty database it owns; yields (admin URL, role's URL).

    As deploy.md sets it up: the database belongs to hub, not to a superuser.
    """
    if backend != "postgresql":
        pytest.skip("extensions are PostgreSQL's")
    url = db.engine.url.set(drivername="postgresql")
    admin_url = url.set(database="postgres").render_as_string(hide_password=False)
    suffix = uuid.uuid4().hex[:10]
    role, name, password = f"hub_role_{suffix}", f"hub_owned_{suffix}", f"pw-{suffix}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        superuser = "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        if not admin.execute(superuser).fetchone()[0]:
            pytest.skip("creating a role and a database needs a superuser")
        admin.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{password}'")
        admin.execute(f'CREATE DATABASE "{name}" OWNER "{role}"')
    try:
        yield (
            url.set(database=name).render_as_string(hide_password=False),
            url.set(username=role, password=password, database=name).render_as_string(
                hide_password=False
            ),
        )
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def test_postgresql_restore_as_a_role_that_does_not_own_the_extension(
    app, data, tmp_path, role_database
):
    """A DBA created btree_gist: --clean would drop it, which only its owner may."""
    admin_url, role_url = role_database
    before = snapshot()
    path = backup.backup(tmp_path, now=NOW)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("CREATE EXTENSION btree_gist")
    other = create_app(config_for(role_url))
    with other.app_context():
        try:
            backup.restore(path)  # into the empty database, as on a new machine
            assert snapshot() == before
            db.session.execute(sa.delete(Booking))
            db.session.commit()
            backup.restore(path)  # over Hub's tables, which --clean drops first
            assert snapshot() == before
            owner = db.session.scalar(
                sa.text("SELECT extowner::regrole::text FROM pg_extension WHERE extname = :n"),
                {"n": "btree_gist"},
            )
            assert owner != sa.make_url(role_url).username  # left as the DBA made it
            db.session.rollback()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_postgresql_restore_without_the_extension_and_no_right_to_create_it_says_so(
    app, data, tmp_path, role_database
):
    admin_url, role_url = role_database
    path = backup.backup(tmp_path, now=NOW)
    role = sa.make_url(role_url).username
    database = sa.make_url(role_url).database
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'REVOKE CREATE ON DATABASE "{database}" FROM "{role}"')
    other = create_app(config_for(role_url))
    with other.app_context():
        try:
            result = other.test_cli_runner().invoke(args=["hub", "restore", str(path), "--yes"])
            assert result.exit_code == 1
            assert result.stderr.startswith(
                "Restore failed, nothing was changed: The backup needs the PostgreSQL "
                "extension btree_gist"
            ), result.stderr
            assert "CREATE EXTENSION btree_gist;" in result.stderr
            with db.engine.connect() as connection:
                assert not sa.inspect(connection).get_table_names()
        finally:
            db.session.remove()
            db.engine.dispose()


def test_the_restore_list_leaves_out_extensions_and_their_comments():
    listing = "\n".join(
        [
            ";",
            "; Selected TOC Entries:",
            "2; 3079 530941 EXTENSION - btree_gist ",
            "4144; 0 0 COMMENT - EXTENSION btree_gist ",
            "215; 1259 530681 TABLE public alembic_version hub",
            "4145; 0 0 COMMENT public TABLE bookings hub",
        ]
    )

    kept, extensions = backup._without_extensions(listing)

    assert extensions == ["btree_gist"]
    assert kept.splitlines() == [
        ";",
        "; Selected TOC Entries:",
        ";2; 3079 530941 EXTENSION - btree_gist ",
        ";4144; 0 0 COMMENT - EXTENSION btree_gist ",
        "215; 1259 530681 TABLE public alembic_version hub",
        "4145; 0 0 COMMENT public TABLE bookings hub",
    ]


# --- PostgreSQL programs that hang or cannot run ----------------------------------------


def _program(directory: Path, text: str, mode: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    program = directory / "pg_dump"
    program.write_text(text)
    program.chmod(mode)
    return program


def test_a_pg_program_that_hangs_is_stopped_after_backup_timeout_seconds(tmp_path):
    hangs = _program(tmp_path / "bin", "#!/bin/sh\nexec sleep 60\n", 0o755)
    backups = tmp_path / "backups"
    app = _pg_app(backups, PG_DUMP=str(hangs), BACKUP_TIMEOUT_SECONDS=1)

    result = app.test_cli_runner().invoke(args=["hub", "backup"])

    assert result.exit_code == 1
    assert result.stderr.startswith(
        "Backup failed: pg_dump did not finish within 1 s and was stopped"
    ), result.stderr
    assert "HUB_BACKUP_TIMEOUT_SECONDS" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(backups.iterdir()) == []  # no partial file left behind


def test_a_pg_program_that_cannot_be_run_is_named(tmp_path):
    not_executable = _program(tmp_path / "bin", "#!/bin/sh\nexit 0\n", 0o644)
    app = _pg_app(tmp_path / "backups", PG_DUMP=str(not_executable))

    result = app.test_cli_runner().invoke(args=["hub", "backup"])

    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"Backup failed: Cannot run {not_executable} (PG_DUMP): Permission denied"
    ), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
