"""gunicorn settings for Hub: `gunicorn -c gunicorn.conf.py 'hub:create_app()'`.

Every value can be overridden by an environment variable (HUB_BIND,
HUB_WORKERS, ...) so one file serves the systemd unit, the load benchmark and
the fault tests. See docs/deploy.md.
"""

import os

from gunicorn.glogging import Logger

from hub.ops.logformat import redact_path  # cheap: the standard library only

bind = os.environ.get("HUB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("HUB_WORKERS", "4"))
# Sync workers: each request is one short database transaction. Threads would let one
# worker hold several transactions at once, which SQLite serializes anyway.
worker_class = "sync"
timeout = int(os.environ.get("HUB_WORKER_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = int(os.environ.get("HUB_MAX_REQUESTS", "2000"))
max_requests_jitter = 200
# The app is built in each worker after the fork: no database connection is shared
# between processes.
preload_app = False
accesslog = os.environ.get("HUB_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("HUB_LOG_LEVEL", "info").lower()
# With HUB_LOG_FORMAT=json gunicorn's own lines (errors, and the access log as fields:
# method, path, status, duration_ms, request_id...) are JSON like the app's
# (hub/ops/logging.py), so every line of the journal is one object. The root logger
# gets no handler here: the app installs its own in each worker (create_app).
if os.environ.get("HUB_LOG_FORMAT", "text").strip().lower() == "json":
    _json_handler = {"class": "logging.StreamHandler", "formatter": "json"}
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "hub.ops.logformat.JsonFormatter"}},
        "handlers": {
            "json_stderr": {**_json_handler, "stream": "ext://sys.stderr"},
            "json_access": (
                {**_json_handler, "stream": "ext://sys.stdout"}
                if accesslog == "-"
                else {**_json_handler, "class": "logging.FileHandler", "filename": accesslog}
            ),
        },
        "root": {"level": loglevel.upper(), "handlers": []},
        "loggers": {
            "gunicorn.error": {
                "level": loglevel.upper(),
                "handlers": ["json_stderr"],
                "propagate": False,
            },
            "gunicorn.access": {
                "level": "INFO",
                "handlers": ["json_access"],
                "propagate": False,
            },
        },
    }


class RedactingLogger(Logger):
    """gunicorn's logger without the secrets in feed, reset and sign-in addresses."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            atoms[key] = redact_path(atoms[key])
        if atoms.get("q"):
            atoms["q"] = redact_path(f"?{atoms['q']}")[1:]
        return atoms


logger_class = RedactingLogger
# Behind a reverse proxy on the same machine, trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("HUB_FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn 25+ opens a control socket (for `gunicornc`) in $HOME/.gunicorn by default:
# a path every gunicorn of one user would share, and a write into the home directory
# that a hardened systemd unit forbids. Hub is managed with systemctl, so it is off
# unless HUB_CONTROL_SOCKET gives a path (e.g. /run/hub/gunicorn.ctl).
control_socket_disable = not os.environ.get("HUB_CONTROL_SOCKET")
if os.environ.get("HUB_CONTROL_SOCKET"):
    control_socket = os.environ["HUB_CONTROL_SOCKET"]
