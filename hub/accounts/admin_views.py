"""Admin pages for organizations, users and their roles, and memberships."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from hub.accounts import permissions

bp = Blueprint("accounts_admin", __name__, url_prefix="/admin")


@bp.get("/")
@login_required
def index() -> str:
    permissions.ensure(permissions.can_open_admin(current_user))
    return render_template("admin/index.html", title=_("Administration"))
