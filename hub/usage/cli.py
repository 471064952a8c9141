"""`flask hub usage ...`: import presence, rebuild the roll-up."""

from __future__ import annotations

from flask.cli import AppGroup

usage_cli = AppGroup("usage", help="Usage facts: import presence, rebuild the roll-up.")
