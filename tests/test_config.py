"""Configuration precedence: defaults, instance/config.py, HUB_* variables, test config."""

import warnings

import pytest

from hub import create_app
from hub.config import normalize_database_url


def test_defaults_use_sqlite_in_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("HUB_DATABASE_URL", raising=False)
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/hub.sqlite3")
    assert app.config["BABEL_DEFAULT_LOCALE"] == "nb"


def test_environment_overrides_and_is_typed(monkeypatch):
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql://u@db.example/hub")
    monkeypatch.setenv("HUB_SESSION_COOKIE_SECURE", "true")
    monkeypatch.setenv("HUB_MAIL_PORT", "2525")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/hub"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_test_config_wins_and_skips_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HUB_SECRET_KEY", "from-env")
    app = create_app({"SECRET_KEY": "from-test", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SECRET_KEY"] == "from-test"


def test_database_url_normalization():
    assert normalize_database_url("postgres://a/b") == "postgresql+psycopg://a/b"
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_sqlite_pragmas(app, backend):
    from hub.extensions import db

    if backend != "sqlite":
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_migrations_match_models(app):
    """Autogenerate finds nothing to do: every schema change has its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from hub.extensions import db

    with db.engine.connect() as conn, warnings.catch_warnings():
        # SQLite cannot reflect the lower(email) index; it is created by the migration.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        warnings.filterwarnings(
            "ignore", "autogenerate skipping metadata-specified expression-based"
        )
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_scheduler_stale_limit_must_be_more_than_two_heartbeats(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/x.db"
    with pytest.raises(
        ValueError,
        match=r"SCHEDULER_STALE_SECONDS \(60\) must be more than twice "
        r"SCHEDULER_HEARTBEAT_SECONDS \(30\)",
    ):
        create_app({"DATABASE_URL": url, "SCHEDULER_STALE_SECONDS": 60})
    with pytest.raises(ValueError, match="HEARTBEAT_SECONDS must be at least 1"):
        create_app({"DATABASE_URL": url, "SCHEDULER_HEARTBEAT_SECONDS": 0})
    monkeypatch.setenv("HUB_DATABASE_URL", url)
    monkeypatch.setenv("HUB_SCHEDULER_HEARTBEAT_SECONDS", "45")  # 90 is then too little
    with pytest.raises(ValueError, match="more than twice"):
        create_app()

    monkeypatch.setenv("HUB_SCHEDULER_STALE_SECONDS", "91")
    assert create_app().config["SCHEDULER_STALE_SECONDS"] == 91


def test_the_development_secret_key_is_refused_over_https(tmp_path, monkeypatch):
    """A forgotten HUB_SECRET_KEY in production would let anyone sign an admin's session."""
    monkeypatch.setenv("HUB_DATABASE_URL", f"sqlite:///{tmp_path}/x.db")
    monkeypatch.setenv("HUB_PUBLIC_URL", "https://hub.example.no")
    monkeypatch.delenv("HUB_SECRET_KEY", raising=False)
    with pytest.raises(ValueError, match="SECRET_KEY is the published development default"):
        create_app()

    monkeypatch.setenv("HUB_SECRET_KEY", "k" * 48)
    assert create_app().config["HTTPS"] is True
    monkeypatch.setenv("HUB_PUBLIC_URL", "http://127.0.0.1:5000")  # development: allowed
    monkeypatch.delenv("HUB_SECRET_KEY")
    assert create_app().config["SECRET_KEY"] == "dev-only-change-me"
