"""`flask hub ...` commands."""

from __future__ import annotations

from flask import Flask
from flask.cli import AppGroup

hub_cli = AppGroup("hub", help="Run and administer Hub.")


def init_app(app: Flask) -> None:
    app.cli.add_command(hub_cli)
