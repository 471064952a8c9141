"""Backups of the whole database: `flask hub backup`, `flask hub restore`, the nightly job.

SQLite is copied with its online backup API (never ``cp``: a copy taken while a
worker writes, or without the ``-wal`` file, can be torn); PostgreSQL with
``pg_dump --format=custom``, a consistent snapshot, and restored with
``pg_restore``. A backup is written under a temporary name and linked to its
name when complete, so a file named ``hub-<UTC time>Z.<sqlite3|pgdump>`` is always
whole and never replaces another. Backups hold personal data and password hashes:
files are made 0600, the directory 0700. A restore refuses while a scheduler runs
against the database. See docs/backup.md.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import sqlite3
import subprocess
import tempfile
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from hub.extensions import db

log = logging.getLogger(__name__)

SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
# Only files named like this are Hub backups; prune() never touches anything else.
NAME = re.compile(r"^hub-(\d{8}T\d{6}Z)\.(sqlite3|pgdump)$")
SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# A dump or restore waits this long for a table lock (a running migration, busy workers)
# and then fails with a message, rather than hanging the scheduler or the terminal.
LOCK_TIMEOUT = "60s"
CONNECT_TIMEOUT_S = "10"
# os.link fails with these where the filesystem has no hard links (FAT on a USB stick).
NO_HARD_LINKS = {errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.ENOSYS}


class BackupFailed(Exception):
    """A backup or restore could not be done; the message is one line an operator can act on."""


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file is: its backend and the schema (Alembic revision) it holds."""

    path: Path
    backend: str
    revision: str
    needs_upgrade: bool  # older than the code: run `flask db upgrade` after restoring


# --- public operations ------------------------------------------------------------------


def backup(target: Path | str | None = None, *, now: datetime | None = None) -> Path:
    """Back up the configured database; return the file written.

    ``target`` is a directory (the file gets the standard name there; a path ending
    in "/" is one, created if missing), a file path, or None for BACKUP_DIR. An
    existing file is never overwritten, not even by a backup finishing at the same time.
    """
    backend = _backend()
    live = _sqlite_path(must_exist=True) if backend == "sqlite" else None
    path = _target_path(target, backend, now or datetime.now(UTC))
    if path.exists():
        raise BackupFailed(f"{path} already exists; choose another name.")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:  # a file where a directory should be, no permission
        raise BackupFailed(f"Cannot create {path.parent}: {exc.strerror or exc}") from exc
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        # Created 0600 before anything is written, so the data is never readable by others.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        if live is not None:
            _sqlite_backup(live, partial)
        else:
            _pg_dump(partial)
        _fsync(partial)
        _publish(partial, path)
        _fsync(path.parent)
    except OSError as exc:
        raise BackupFailed(f"Cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    return path


def inspect(path: Path | str) -> BackupInfo:
    """Check that ``path`` is a Hub backup this code can restore into this database."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise BackupFailed(f"Cannot read {path}: {exc.strerror or exc}") from exc
    if head.startswith(SQLITE_MAGIC):
        kind, revision = "sqlite", _sqlite_revision(path)
    elif head.startswith(PGDUMP_MAGIC):
        kind, revision = "postgresql", _pgdump_revision(path)
    else:
        raise BackupFailed(f"{path} is not a Hub backup (neither a SQLite file nor a pg_dump).")
    backend = _backend()
    if kind != backend:
        raise BackupFailed(
            f"{path} is a {kind} backup but the configured database is {backend}; "
            "a backup is restored into the same kind of database."
        )
    known, heads = _code_revisions()
    if revision not in known:
        raise BackupFailed(
            f"{path} has schema {revision}, newer than this version of Hub knows "
            f"(latest {', '.join(sorted(heads))}); install the Hub version that made it."
        )
    return BackupInfo(path, kind, revision, needs_upgrade=revision not in heads)


def restore(path: Path | str, *, force: bool = False) -> BackupInfo:
    """Replace ALL data in the configured database with the backup at ``path``.

    Stop the web workers and the scheduler first: a running scheduler is refused
    unless ``force``, since it would at once act on the restored data (send the
    restored pending mail again). The file is checked before anything changes; a
    failed PostgreSQL restore is rolled back (one transaction).
    """
    info = inspect(path)
    if not force:
        holder = running_scheduler()
        if holder is not None:
            raise BackupFailed(
                f"A scheduler is running against this database: {holder}. Stop it first "
                "(systemctl stop hub-scheduler), or it acts on the restored data at once, "
                "such as sending restored pending mail again; --force restores anyway."
            )
    # Our own pooled connections would hold locks (PostgreSQL) or cached pages (SQLite).
    db.session.remove()
    db.engine.dispose()
    if info.backend == "sqlite":
        live = _sqlite_path(must_exist=False)
        live.parent.mkdir(parents=True, exist_ok=True)
        _sqlite_restore(info.path, live)
    else:
        _pg_restore(info.path)
    db.engine.dispose()
    return info


def running_scheduler() -> str | None:
    """Who runs a scheduler against the configured database (for a message), or None."""
    from hub.ops import scheduler_lock

    if _backend() == "sqlite" and not _sqlite_path(must_exist=False).is_file():
        return None  # a new machine: connecting would create the file
    stale_after = timedelta(seconds=current_app.config["SCHEDULER_STALE_SECONDS"])
    try:
        return scheduler_lock.running_holder(db.engine, stale_after)
    except sa.exc.DBAPIError as exc:  # unreachable, locked, or a damaged SQLite file
        raise BackupFailed(
            f"Cannot tell whether a scheduler runs against {database_label()}: "
            f"{_first_line(exc.orig)}; stop any scheduler, then restore with --force."
        ) from exc
    finally:
        db.engine.dispose()


def hub_backups(directory: Path | str) -> list[Path]:
    """The Hub backups in ``directory``, newest first (by the UTC time in their names)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [
        path
        for path in directory.iterdir()
        if NAME.match(path.name) and path.is_file() and not path.is_symlink()
    ]
    return sorted(found, key=lambda path: (NAME.match(path.name)[1], path.name), reverse=True)


def newest_backup_time(directory: Path | str) -> datetime | None:
    """When the newest Hub backup in ``directory`` was taken (from its name), or None."""
    backups = hub_backups(directory)
    if not backups:
        return None
    stamp = NAME.match(backups[0].name)[1]  # type: ignore[index]
    return datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def prune(directory: Path | str, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest Hub backups in ``directory``; return those deleted.

    Files not named like a Hub backup are never touched, whatever they are.
    """
    if keep < 1:
        raise BackupFailed(f"BACKUP_KEEP must be at least 1, not {keep}.")
    removed = hub_backups(directory)[keep:]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def nightly() -> int:
    """The `backup_database` job: a backup in BACKUP_DIR, then retention; returns its bytes."""
    directory = backup_dir()
    path = backup(directory)
    size = path.stat().st_size
    removed = prune(directory, int(current_app.config["BACKUP_KEEP"]))
    log.info(
        "backup written: %s (%d bytes); removed %d old backup(s)%s",
        path,
        size,
        len(removed),
        f": {', '.join(p.name for p in removed)}" if removed else "",
    )
    return size


def backup_dir() -> Path:
    configured = current_app.config.get("BACKUP_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "backups"


def backup_name(backend: str, when: datetime) -> str:
    return f"hub-{when.astimezone(UTC):%Y%m%dT%H%M%SZ}{SUFFIXES[backend]}"


def database_label() -> str:
    """The configured database for messages, without its password."""
    return db.engine.url.render_as_string(hide_password=True)


# --- SQLite -------------------------------------------------------------------------------


def _sqlite_path(*, must_exist: bool) -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupFailed(f"Cannot back up or restore the SQLite database {database!r}.")
    path = Path(database)
    if must_exist and not path.is_file():
        raise BackupFailed(f"There is no database at {path}.")
    return path


def _sqlite_connect(path: Path | str, *, read_only: bool = False) -> sqlite3.Connection:
    timeout = current_app.config["SQLITE_BUSY_TIMEOUT_MS"] / 1000
    if read_only:
        uri = f"{Path(path).resolve().as_uri()}?mode=ro"
        return sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None)
    return sqlite3.connect(path, timeout=timeout, isolation_level=None)


def _sqlite_backup(live: Path, target: Path) -> None:
    """Copy the live database in one step: a consistent snapshot while workers write (WAL)."""
    try:
        with closing(_sqlite_connect(live)) as source, closing(_sqlite_connect(target)) as copy:
            source.backup(copy)
            # One self-contained file (no -wal beside it) that was checked after writing.
            copy.execute("PRAGMA journal_mode=DELETE")
            _sqlite_check(copy, target)
    except sqlite3.Error as exc:
        raise BackupFailed(f"SQLite backup of {live} failed: {exc}") from exc


def _sqlite_restore(backup_file: Path, live: Path) -> None:
    try:
        with (
            closing(_sqlite_connect(backup_file, read_only=True)) as source,
            closing(_sqlite_connect(live)) as target,
        ):
            source.backup(target)  # one transaction on the target: all or nothing
            target.execute("PRAGMA journal_mode=WAL")  # as hub's own connections set it
    except sqlite3.Error as exc:
        raise BackupFailed(f"SQLite restore into {live} failed: {exc}") from exc


def _sqlite_check(connection: sqlite3.Connection, path: Path) -> None:
    result = connection.execute("PRAGMA quick_check").fetchone()[0]
    if result != "ok":
        raise BackupFailed(f"{path} failed SQLite's integrity check: {result}")


def _sqlite_revision(path: Path) -> str:
    try:
        with closing(_sqlite_connect(path, read_only=True)) as connection:
            _sqlite_check(connection, path)
            rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.Error as exc:
        raise BackupFailed(f"{path} is not a Hub backup: {exc}") from exc
    return _one_revision(path, [row[0] for row in rows])


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_dump(target: Path) -> None:
    _run_pg(
        "PG_DUMP",
        "--format=custom",
        "--no-owner",
        f"--lock-wait-timeout={LOCK_TIMEOUT}",
        f"--file={target}",
        f"--dbname={_libpq_url()}",
    )


def _pg_restore(backup_file: Path) -> None:
    _refuse_foreign_tables(backup_file)
    listing, extensions = _without_extensions(_pg_list(backup_file))
    _ensure_extensions(extensions)
    with tempfile.TemporaryDirectory(prefix="hub-restore-") as scratch:
        use_list = Path(scratch) / "toc.list"
        use_list.write_text(listing, encoding="utf-8")
        _run_pg(
            "PG_RESTORE",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            f"--use-list={use_list}",
            f"--dbname={_libpq_url()}",
            str(backup_file),
            options=f"-c lock_timeout={LOCK_TIMEOUT}",
        )


# Table of contents lines like "2; 3079 530941 EXTENSION - btree_gist " and
# "4144; 0 0 COMMENT - EXTENSION btree_gist ".
_EXTENSION_ENTRY = re.compile(r"^\d+; \d+ \d+ EXTENSION \S+ (\S+)")
_EXTENSION_COMMENT = re.compile(r"^\d+; \d+ \d+ COMMENT \S+ EXTENSION ")


def _without_extensions(listing: str) -> tuple[str, list[str]]:
    """The table of contents without its extensions, and the extensions' names.

    With --clean, pg_restore would drop and recreate each extension (and its
    comment), which only the extension's owner may: one a DBA created (as the
    deploy guide suggests for btree_gist) fails the whole restore. Extensions are
    not Hub's data; ``_ensure_extensions`` makes sure they exist instead.
    """
    kept: list[str] = []
    names: list[str] = []
    for line in listing.splitlines():
        entry = _EXTENSION_ENTRY.match(line)
        if entry:
            names.append(entry[1])
        if entry or _EXTENSION_COMMENT.match(line):
            line = f";{line}"  # a comment in a --use-list file: not restored
        kept.append(line)
    return "\n".join(kept) + "\n", names


def _ensure_extensions(names: list[str]) -> None:
    """Create the backup's extensions that are missing, as the migrations do."""
    try:
        with db.engine.connect() as connection:
            for name in names:
                exists = connection.scalar(
                    sa.text("SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = :n)"),
                    {"n": name},
                )
                if exists:
                    continue
                quoted = connection.dialect.identifier_preparer.quote(name)
                try:
                    connection.execute(sa.text(f"CREATE EXTENSION IF NOT EXISTS {quoted}"))
                    connection.commit()
                except sa.exc.DBAPIError as exc:  # no privilege, or not installed on the server
                    raise BackupFailed(
                        f"The backup needs the PostgreSQL extension {name}, which "
                        f"{database_label()} does not have and could not be created "
                        f"({_first_line(exc.orig)}); have a superuser run "
                        f"`CREATE EXTENSION {name};` in that database, then restore again."
                    ) from exc
    except sa.exc.OperationalError as exc:
        raise BackupFailed(f"Cannot connect to {database_label()}: {_first_line(exc)}") from exc
    finally:
        db.engine.dispose()


def _pgdump_revision(path: Path) -> str:
    """The Alembic revision in a custom-format dump, read without a database."""
    if not re.search(r"TABLE DATA \S+ alembic_version ", _pg_list(path)):
        raise BackupFailed(f"{path} is not a Hub backup: it has no alembic_version table.")
    sql = _run_pg(
        "PG_RESTORE", "--data-only", "--table=alembic_version", "--file=-", str(path)
    ).stdout
    # COPY public.alembic_version (version_num) FROM stdin;\n<rows>\n\.
    match = re.search(r"^COPY \S*alembic_version .*? FROM stdin;\n(.*?)^\\\.$", sql, re.M | re.S)
    return _one_revision(path, match[1].split() if match else [])


def _pg_list(path: Path) -> str:
    """The archive's table of contents (fails with a clear message on a damaged file)."""
    return _run_pg("PG_RESTORE", "--list", str(path)).stdout


def _refuse_foreign_tables(backup_file: Path) -> None:
    """`pg_restore --clean` drops only what the dump has: refuse if the database has more.

    Tables from a later migration would survive the restore and break the next
    `flask db upgrade`; restoring into an empty database avoids that.
    """
    in_backup = set(re.findall(r"TABLE public (\S+) ", _pg_list(backup_file)))
    try:
        with db.engine.connect() as connection:
            live = set(
                connection.scalars(
                    sa.text(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                    )
                )
            )
    except sa.exc.OperationalError as exc:
        raise BackupFailed(f"Cannot connect to {database_label()}: {_first_line(exc)}") from exc
    finally:
        db.engine.dispose()
    extra = sorted(live - in_backup)
    if extra:
        raise BackupFailed(
            f"The database has tables the backup does not ({', '.join(extra)}); restore into "
            "an empty database (drop and create it), then run `flask db upgrade`."
        )


def _libpq_url() -> str:
    """SQLAlchemy's postgresql+psycopg:// URL as libpq wants it, without the password."""
    url = db.engine.url  # URL.set(password=None) would keep the password: build anew
    plain = sa.URL.create(
        "postgresql", url.username, None, url.host, url.port, url.database, url.query
    )
    return plain.render_as_string(hide_password=False)


def _run_pg(
    program_key: str, *args: str, options: str | None = None
) -> subprocess.CompletedProcess[str]:
    program = current_app.config[program_key]
    timeout = current_app.config["BACKUP_TIMEOUT_SECONDS"]
    env = os.environ | {"PGCONNECT_TIMEOUT": os.environ.get("PGCONNECT_TIMEOUT", CONNECT_TIMEOUT_S)}
    password = db.engine.url.password
    if password is not None:
        env["PGPASSWORD"] = str(password)  # never on the command line (ps shows argv)
    if options:
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} {options}".strip()
    try:
        completed = subprocess.run(
            [program, "--no-password", *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )
    except FileNotFoundError as exc:
        raise BackupFailed(
            f"{program} not found ({program_key}); install the PostgreSQL client tools "
            f"of the server's version, or set HUB_{program_key} to the program's path."
        ) from exc
    except OSError as exc:  # not executable, a directory, a broken interpreter line
        raise BackupFailed(
            f"Cannot run {program} ({program_key}): {exc.strerror or exc}; set "
            f"HUB_{program_key} to the path of the PostgreSQL program."
        ) from exc
    except subprocess.TimeoutExpired as exc:
        # run() has killed it; a restore (one transaction) is then rolled back by the server.
        raise BackupFailed(
            f"{Path(program).name} did not finish within {timeout} s and was stopped; "
            "the server is busy or unreachable, or the database needs longer: raise "
            "HUB_BACKUP_TIMEOUT_SECONDS."
        ) from exc
    if completed.returncode != 0:
        raise BackupFailed(f"{Path(program).name} failed: {_first_line(completed.stderr)}")
    return completed


# --- shared -------------------------------------------------------------------------------


def _backend() -> str:
    name = db.engine.dialect.name
    if name not in SUFFIXES:
        raise BackupFailed(f"Backups of {name} databases are not supported.")
    return name


def _target_path(target: Path | str | None, backend: str, when: datetime) -> Path:
    # Path("dir/") forgets the slash that says "a directory": look at the text first.
    as_directory = isinstance(target, str) and target.endswith(("/", os.sep))
    target = Path(target) if target is not None else backup_dir()
    if as_directory or target.is_dir() or target == backup_dir():
        return target / backup_name(backend, when)
    return target


def _publish(partial: Path, path: Path) -> None:
    """Give the finished backup its name, never replacing a file that has it.

    A hard link fails when the name exists, even if another backup (same second)
    took it after the check at the start; a rename would replace that one. Where
    the filesystem has no hard links, the check and a rename are the best there is.
    """
    try:
        os.link(partial, path)
    except FileExistsError:
        raise BackupFailed(f"{path} already exists; choose another name.") from None
    except OSError as exc:
        if exc.errno not in NO_HARD_LINKS:
            raise
        if path.exists():
            raise BackupFailed(f"{path} already exists; choose another name.") from None
        os.replace(partial, path)


def _code_revisions() -> tuple[set[str], set[str]]:
    """Every revision the code's migrations know, and the heads among them."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from hub import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", MIGRATIONS_DIR)
    script = ScriptDirectory.from_config(config)
    known = {revision.revision for revision in script.walk_revisions()}
    return known, set(script.get_heads())


def _one_revision(path: Path, revisions: list[str]) -> str:
    if len(revisions) != 1:
        raise BackupFailed(f"{path} is not a Hub backup: no single schema version in it.")
    return revisions[0]


def _first_line(error: object) -> str:
    """The line of an error that says what went wrong, without the "pg_dump: error: " prefix."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    errors = [line for line in lines if "error:" in line]
    line = (errors or lines or ["no message"])[0]
    return re.sub(r"^pg_(dump|restore): (error: )?", "", line)


def _fsync(path: Path) -> None:
    """Make the file (or a directory's entries) durable before we report success."""
    flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return  # some platforms cannot open a directory; the data itself is still written
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
