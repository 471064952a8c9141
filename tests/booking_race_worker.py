"""Run in a separate process by the race tests: try to book one slot, report the outcome."""

from __future__ import annotations

import sys
from datetime import datetime


def attempt(url: str, user_id: int, space_id: int, start: str, end: str, now: str) -> str:
    from hub import create_app
    from hub.accounts.models import User
    from hub.booking import service
    from hub.errors import Conflict
    from hub.extensions import db
    from hub.spaces.models import Space

    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "race", "TESTING": True})
    with app.app_context():
        try:
            user = db.session.get(User, user_id)
            space = db.session.get(Space, space_id)
            service.create_booking(
                user,
                space,
                datetime.fromisoformat(start),
                datetime.fromisoformat(end),
                now=datetime.fromisoformat(now),
            )
            db.session.commit()
            return "created"
        except Conflict:
            db.session.rollback()
            return "conflict"
        except Exception as exc:  # reported to the test, which fails on it
            db.session.rollback()
            return f"error: {type(exc).__name__}: {exc}"
        finally:
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    print(attempt(*sys.argv[1:2], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:7]))
