"""A person's own data: download it as JSON, or delete the account."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField

from hub.accounts import privacy
from hub.accounts.models import User
from hub.database import utcnow
from hub.errors import ValidationFailed
from hub.forms import apply_errors, form_status, form_values
from hub.security.http import count_wrong_password, password_throttled

bp = Blueprint("privacy", __name__)

Page = Response | str | tuple[str | Response, int]


class DeleteAccountForm(FlaskForm):
    """The current password, or the email for a person without one (single sign-on only)."""

    password = PasswordField(_l("Your password"), render_kw={"autocomplete": "current-password"})
    confirm_email = StringField(
        _l("Your email address"), render_kw={"autocomplete": "off", "spellcheck": "false"}
    )


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


@bp.get("/profile/data.json")
@login_required
def export() -> Response:
    """Everything about the person, as a file; never cached anywhere."""
    data = privacy.export_personal_data(_me())
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    response = current_app.response_class(body, mimetype="application/json")
    name = f"hub-personal-data-{utcnow():%Y-%m-%d}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _render(form: DeleteAccountForm, status: int = 200) -> Page:
    me = _me()
    return render_template(
        "accounts/privacy_delete.html",
        form=form,
        future_bookings=len(privacy.future_bookings(me)),
        last_admin=privacy.is_last_system_admin(me),
        title=_("Delete your account"),
    ), status


@bp.route("/profile/delete", methods=["GET", "POST"])
@login_required
def delete_account() -> Page:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        me = _me()
        throttled = me.has_password and password_throttled(me.email, form, lambda: _render(form)[0])
        if throttled:
            return throttled
        try:
            privacy.check_confirmation(me, form_values(form))
        except ValidationFailed as exc:
            if "password" in exc.errors:
                count_wrong_password(me.email)
            apply_errors(form, exc)
        else:
            privacy.delete_account(me, me)  # a Conflict (the last system admin) is a 409 page
            logout_user()
            session.clear()
            flash(_("Your account is deleted. Thank you for using Hub."), "success")
            return redirect(url_for("spaces.hub_list"))
    return _render(form, form_status(form))
