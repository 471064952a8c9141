"""Small helpers for tests that look at the database (imported by test modules)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.extensions import db


def count(model: Any) -> int:
    """Rows in a table, to show that bad input changed nothing."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))
