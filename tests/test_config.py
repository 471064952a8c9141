"""Configuration precedence: defaults, instance/config.py, HUB_* variables, test config."""

import warnings

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
