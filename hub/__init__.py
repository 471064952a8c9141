"""Hub: booking, usage and cost sharing for shared public-sector office hubs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlalchemy as sa
    from flask import Flask

# Importing the package stays cheap (the framework is imported by create_app): the
# gunicorn master loads hub.ops.logformat and must not hold the app's code, or a
# reload after an upgrade would fork new workers with old modules in them.
MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "migrations")


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app. Never starts the scheduler: that is `flask hub scheduler`."""
    from flask import Flask
    from werkzeug.middleware.proxy_fix import ProxyFix

    from hub.config import load_config
    from hub.extensions import babel, csrf, db, login_manager, migrate

    app = Flask(__name__, instance_relative_config=True)
    load_config(app, test_config)
    if app.config["PROXY_FIX"]:
        # Behind nginx: trust its X-Forwarded-For/-Proto (remote_addr, is_secure, https URLs).
        proxies = int(app.config["PROXY_FIX"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    from hub.ops import logging as ops_logging

    ops_logging.init_app(app)  # LOG_FORMAT/LOG_LEVEL (not under TESTING), X-Request-ID

    db.init_app(app)
    with app.app_context():
        _configure_sqlite(db.engine, app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    csrf.init_app(app)

    from hub import i18n, web

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    login_manager.init_app(app)
    _import_models()
    web.init_app(app)

    from hub.accounts.admin_views import bp as accounts_admin_bp
    from hub.accounts.privacy_views import bp as privacy_bp
    from hub.accounts.sso_views import bp as sso_bp
    from hub.accounts.views import bp as accounts_bp
    from hub.api import bp as api_bp
    from hub.audit.views import bp as audit_bp
    from hub.booking.views import bp as booking_bp
    from hub.calendar.views import bp as calendar_bp
    from hub.finance.financing_views import bp as financing_bp
    from hub.finance.statement_views import bp as statements_bp
    from hub.finance.views import bp as finance_bp
    from hub.ops.health import bp as health_bp
    from hub.outbox.views import bp as outbox_bp
    from hub.spaces.admin_views import bp as spaces_admin_bp
    from hub.spaces.floorplan_views import bp as floorplan_bp
    from hub.spaces.views import bp as spaces_bp
    from hub.usage.event_views import bp as usage_events_bp
    from hub.usage.import_views import bp as usage_imports_bp
    from hub.usage.views import bp as usage_bp

    app.register_blueprint(spaces_bp)
    app.register_blueprint(spaces_admin_bp)
    app.register_blueprint(floorplan_bp)
    app.register_blueprint(booking_bp)
    app.register_blueprint(calendar_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(accounts_admin_bp)
    app.register_blueprint(sso_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(outbox_bp)
    app.register_blueprint(finance_bp)
    app.register_blueprint(financing_bp)
    app.register_blueprint(statements_bp)
    app.register_blueprint(usage_bp)
    app.register_blueprint(usage_events_bp)
    app.register_blueprint(usage_imports_bp)
    app.register_blueprint(api_bp)
    csrf.exempt(api_bp)

    from hub import cli

    cli.init_app(app)
    return app


def _import_models() -> None:
    """Register every table on the metadata (Alembic and create_all need them all)."""
    import hub.accounts.models
    import hub.audit.models
    import hub.booking.models
    import hub.calendar.models
    import hub.finance.models
    import hub.ops.models
    import hub.outbox.models
    import hub.security.models
    import hub.spaces.models
    import hub.usage.models
    import hub.usage.rollup  # noqa: F401  (keeps the usage roll-up current on every write)


def _configure_sqlite(engine: sa.Engine, busy_ms: int) -> None:
    """Foreign keys on, WAL, a busy timeout, and BEGIN under our control.

    pysqlite's own transaction handling is switched off so that SQLAlchemy
    emits BEGIN itself; writers that must not race (bookings) ask for
    BEGIN IMMEDIATE through ``hub.database.begin_write``.
    """
    import sqlalchemy as sa

    from hub.database import SQLITE_BEGIN_OPTION

    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        # SQLite's lower() only folds ASCII; names like "Åpen kontorplass" need Unicode.
        # Stored emails are already lower-case, so the lower(email) index agrees either way.
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value
