"""Logging in and out, language choice, and the person's own profile."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from hub.accounts import service
from hub.accounts.forms import LoginForm
from hub.accounts.models import Language
from hub.i18n import LANG_SESSION_KEY

bp = Blueprint("accounts", __name__)


def safe_next(target: str | None, fallback: str) -> str:
    """Only follow same-site relative paths after login or language change."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
        ):
            return target
    return fallback


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int] | str:
    if current_user.is_authenticated:
        return redirect(url_for("spaces.hub_list"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            session.pop(LANG_SESSION_KEY, None)
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("spaces.hub_list")))
        form.form_errors.append(_("The email or the password is wrong."))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("accounts/login.html", form=form, title=_("Log in")), status


@bp.post("/logout")
def logout() -> Response:
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("spaces.hub_list"))


@bp.post("/language")
def set_language() -> Response:
    """Anyone may switch language; a logged-in person's choice is saved on the profile."""
    code = request.form.get("language", "")
    if code in {lang.value for lang in Language}:
        session[LANG_SESSION_KEY] = code
        if current_user.is_authenticated:
            current_user.language = Language(code)
    return redirect(safe_next(request.form.get("next"), url_for("spaces.hub_list")))


@bp.get("/profile")
@login_required
def profile() -> str:
    return render_template("accounts/profile.html", title=_("My profile"))
