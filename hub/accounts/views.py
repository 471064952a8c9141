"""Logging in and out, passwords, invitations, the person's own profile and API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from hub.accounts import labels, service
from hub.accounts.forms import (
    ApiTokenForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
)
from hub.accounts.models import ApiToken, Language, User
from hub.errors import NotFound, ValidationFailed
from hub.forms import apply_errors, form_status, form_values
from hub.i18n import LANG_SESSION_KEY
from hub.security import service as attempts
from hub.security.http import (
    count_wrong_password,
    password_throttled,
    too_many_attempts,
    too_many_attempts_message,
)
from hub.security.throttle import AttemptKind

bp = Blueprint("accounts", __name__)

Page = Response | str | tuple[str | Response, int]


@bp.context_processor
def _labels() -> dict[str, object]:
    return {"labels": labels}


def _me() -> User:
    """The logged-in person as the model object, not Flask-Login's proxy."""
    return current_user._get_current_object()  # type: ignore[no-any-return]


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
def login() -> Page:
    if current_user.is_authenticated:
        return redirect(url_for("spaces.hub_list"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data or ""
        # While throttled the password is not even checked, so a right guess tells nothing.
        throttled = password_throttled(
            email,
            form,
            lambda: render_template("accounts/login.html", form=form, title=_("Log in")),
        )
        if throttled is not None:
            return throttled
        user = service.authenticate(email, form.password.data or "")
        if user is not None:
            attempts.clear(AttemptKind.LOGIN, email)
            login_user(user)
            session.pop(LANG_SESSION_KEY, None)
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next"), url_for("spaces.hub_list")))
        count_wrong_password(email)
        form.form_errors.append(_("The email or the password is wrong."))
    return render_template("accounts/login.html", form=form, title=_("Log in")), form_status(form)


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


# --- password reset and invitations ----------------------------------------


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password() -> Page:
    form = ForgotPasswordForm()
    title = _("Forgot your password?")
    if form.validate_on_submit():
        email, address = form.email.data or "", request.remote_addr
        wait = attempts.wait_before(AttemptKind.RESET, email, address)
        if wait:  # against mail bombing; counted alike for known and unknown addresses
            form.form_errors.append(too_many_attempts_message(AttemptKind.RESET, wait))
            page = render_template("accounts/forgot_password.html", form=form, title=title)
            return too_many_attempts(page, wait)
        attempts.record(AttemptKind.RESET, email, address)
        service.send_password_reset(email)
        # The same answer whether or not the address is known.
        flash(
            _(
                "If the address belongs to a user, we have sent a link to choose a new "
                "password. Check your inbox; the link works for one hour."
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot_password.html", form=form, title=title), form_status(
        form
    )


def _invalid_link(purpose: str) -> tuple[str, int]:
    return (
        render_template(
            "accounts/link_invalid.html", purpose=purpose, title=_("The link does not work")
        ),
        400,
    )


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Page:
    user = service.user_for_password_link(token, "reset")
    if user is None:
        return _invalid_link("reset")
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            service.set_password(user, form.password.data or "")
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(_("Your password has been changed. Log in with the new password."), "success")
            return redirect(url_for("accounts.login"))
    return render_template(
        "accounts/reset_password.html", form=form, user=user, title=_("Choose a new password")
    ), form_status(form)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def accept_invitation(token: str) -> Page:
    user = service.user_for_password_link(token, "invitation")
    if user is None:
        return _invalid_link("invitation")
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            service.set_password(user, form.password.data or "")
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            login_user(user)
            session.pop(LANG_SESSION_KEY, None)
            flash(_("Welcome to Hub! Your password is saved and you are logged in."), "success")
            return redirect(url_for("spaces.hub_list"))
    return render_template(
        "accounts/accept_invitation.html", form=form, user=user, title=_("Welcome to Hub")
    ), form_status(form)


# --- profile ---------------------------------------------------------------


def _render_profile(profile_form: ProfileForm, password_form: ChangePasswordForm) -> Page:
    roles = sorted(current_user.roles, key=lambda r: (r.hub.name, r.role.value))
    return render_template(
        "accounts/profile.html",
        form=profile_form,
        password_form=password_form,
        roles=roles,
        title=_("My profile"),
    ), form_status(profile_form, password_form)


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile() -> Page:
    form = ProfileForm(obj=_me())
    if form.validate_on_submit():
        try:
            service.update_profile(_me(), form_values(form))
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            session.pop(LANG_SESSION_KEY, None)
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("accounts.profile"))
    return _render_profile(form, ChangePasswordForm(formdata=None))


@bp.route("/profile/password", methods=["GET", "POST"])
@login_required
def change_password() -> Page:
    if request.method == "GET":
        return redirect(url_for("accounts.profile", _anchor="change-password"))
    form = ChangePasswordForm()
    if form.validate_on_submit():
        me = _me()

        def page() -> str:
            return _render_profile(ProfileForm(formdata=None, obj=me), form)[0]

        throttled = password_throttled(me.email, form, page)
        if throttled is not None:
            return throttled
        try:
            service.change_password(me, form.current_password.data or "", form.password.data or "")
        except ValidationFailed as exc:
            if "current_password" in exc.errors:
                count_wrong_password(me.email)
            apply_errors(form, exc)
        else:
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("accounts.profile"))
    return _render_profile(ProfileForm(formdata=None, obj=_me()), form)


# --- personal API tokens ---------------------------------------------------


def _render_tokens(form: ApiTokenForm, secret: str | None = None, status: int = 200) -> Response:
    tokens = sorted(current_user.api_tokens, key=lambda t: t.created_at, reverse=True)
    response = make_response(
        render_template(
            "accounts/tokens.html",
            form=form,
            tokens=tokens,
            secret=secret,
            title=_("API tokens"),
        ),
        status,
    )
    # The page may hold a secret: never keep it in a cache or the browser history.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/profile/tokens", methods=["GET", "POST"])
@login_required
def tokens() -> Response:
    form = ApiTokenForm()
    if form.validate_on_submit():
        try:
            _token, secret = service.create_api_token(_me(), form.name.data or "")
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            # Shown on this response only; it is never stored, flashed or shown again.
            return _render_tokens(ApiTokenForm(formdata=None), secret=secret)
    return _render_tokens(form, status=form_status(form))


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> Response:
    token = service.get_or_404(ApiToken, token_id)
    if token.user_id != current_user.id:
        # Someone else's token is as unknown as one that does not exist.
        raise NotFound(_("Not found."))
    service.revoke_api_token(token)
    flash(_("The token %(name)s is revoked and can no longer be used.", name=token.name), "info")
    return redirect(url_for("accounts.tokens"))
