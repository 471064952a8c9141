"""Admin pages for organizations, users and their roles, and memberships."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from hub.accounts import labels, permissions, service
from hub.accounts.admin_forms import (
    CHOOSE,
    NONE_CHOSEN,
    GrantRoleForm,
    MembershipForm,
    OrganizationForm,
    UserEditForm,
    UserInviteForm,
)
from hub.accounts.models import HubRole, Membership, Organization, OrganizationKind, User
from hub.errors import NotFound, ValidationFailed
from hub.extensions import db
from hub.forms import apply_errors, form_status, form_values, save_submitted
from hub.spaces import service as spaces
from hub.spaces.models import Hub

bp = Blueprint("accounts_admin", __name__, url_prefix="/admin")

Page = Response | str | tuple[str, int]


@bp.context_processor
def _labels() -> dict[str, object]:
    return {"labels": labels}


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _org_choices(blank: SelectChoice = CHOOSE) -> list[SelectChoice]:
    return [blank, *(SelectChoice(org.id, org.name) for org in service.list_organizations())]


def _administered_hubs() -> list[Hub]:
    """Every hub for a system admin; otherwise the hubs the person administers."""
    hubs = spaces.list_hubs()
    if permissions.can_manage_installation(current_user):
        return hubs
    mine = permissions.admin_hub_ids(current_user)
    return [hub for hub in hubs if hub.id in mine]


@bp.get("/")
@login_required
def index() -> str:
    permissions.ensure(permissions.can_open_admin(current_user))
    return render_template(
        "admin/index.html",
        hubs=_administered_hubs(),
        can_create_hubs=permissions.can_manage_installation(current_user),
        title=_("Administration"),
    )


# --- organizations ---------------------------------------------------------


@bp.get("/organizations")
@login_required
def organization_list() -> str:
    permissions.ensure(permissions.can_manage_organizations(current_user))
    return render_template(
        "admin/organization_list.html",
        organizations=service.list_organizations(),
        title=_("Organizations"),
    )


def _organization_form(org: Organization | None) -> Page:
    form = OrganizationForm(obj=org)
    saved = save_submitted(
        form,
        lambda: (
            service.create_organization(form_values(form))
            if org is None
            else service.update_organization(org, form_values(form))
        ),
    )
    if saved:
        flash(_("%(name)s is saved.", name=saved.name), "success")
        return redirect(url_for("accounts_admin.organization_list"))
    title = _("New organization") if org is None else _("Edit %(name)s", name=org.name)
    return render_template(
        "admin/organization_form.html", form=form, organization=org, title=title
    ), form_status(form)


@bp.route("/organizations/new", methods=["GET", "POST"])
@login_required
def organization_new() -> Page:
    permissions.ensure(permissions.can_manage_organizations(current_user))
    return _organization_form(None)


@bp.route("/organizations/<int:org_id>", methods=["GET", "POST"])
@login_required
def organization_edit(org_id: int) -> Page:
    permissions.ensure(permissions.can_manage_organizations(current_user))
    return _organization_form(service.get_or_404(Organization, org_id))


# --- users -----------------------------------------------------------------


@bp.get("/users")
@login_required
def user_list() -> str:
    permissions.ensure(permissions.can_open_admin(current_user))
    if permissions.can_manage_installation(current_user):
        users = service.list_users()
    else:
        users = service.list_users(permissions.admin_hub_ids(current_user))
    return render_template("admin/user_list.html", users=users, title=_("Users"))


@bp.route("/users/invite", methods=["GET", "POST"])
@login_required
def user_invite() -> Page:
    permissions.ensure(permissions.can_open_admin(current_user))
    hubs = _administered_hubs()
    form = UserInviteForm()
    form.home_organization_id.choices = _org_choices()
    form.organization_id.choices = _org_choices(NONE_CHOSEN)
    form.hub_id.choices = [CHOOSE, *(SelectChoice(hub.id, hub.name) for hub in hubs)]
    if request.method == "GET":
        chosen = [hub for hub in hubs if hub.slug == request.args.get("hub")]
        if chosen or len(hubs) == 1:
            form.hub_id.data = (chosen or hubs)[0].id
    if form.validate_on_submit():
        hub = db.session.get(Hub, form.hub_id.data)
        if hub is None:  # pragma: no cover - the choices only list existing hubs
            raise NotFound(_("Not found."))
        permissions.ensure(permissions.can_admin_hub(current_user, hub))
        try:
            user = service.invite_user(
                hub,
                form_values(form),
                form.role.data or "",
                organization_id=form.organization_id.data,
                invited_by=_me(),
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash(
                _(
                    "%(name)s now has a role in %(hub)s and has been sent an email.",
                    name=user.name,
                    hub=hub.name,
                ),
                "success",
            )
            return redirect(url_for("accounts_admin.hub_roles", slug=hub.slug))
    return render_template(
        "admin/user_invite.html", form=form, title=_("Invite a person")
    ), form_status(form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@login_required
def user_edit(user_id: int) -> Page:
    user = service.get_or_404(User, user_id)
    permissions.ensure(permissions.can_manage_user(current_user, user))
    form = UserEditForm(obj=user)
    form.home_organization_id.choices = _org_choices()
    form.project_organization_ids.choices = [
        SelectChoice(org.id, org.name)
        for org in service.list_organizations()
        if org.kind == OrganizationKind.PROJECT
    ]
    if request.method == "GET":
        form.project_organization_ids.data = [o.id for o in user.project_organizations]
    if not permissions.can_grant_system_admin(current_user):
        del form.is_system_admin
    if not permissions.can_change_email(current_user, user):
        del form.email
    if save_submitted(form, lambda: service.update_user(user, form_values(form))):
        flash(_("%(name)s is saved.", name=user.name), "success")
        return redirect(url_for("accounts_admin.user_list"))
    roles = sorted(user.roles, key=lambda r: (r.hub.name, r.role.value))
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        roles=roles,
        title=_("Edit %(name)s", name=user.name),
    ), form_status(form)


# --- roles in a hub --------------------------------------------------------


@bp.route("/hubs/<slug>/people", methods=["GET", "POST"])
@login_required
def hub_roles(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    form = GrantRoleForm()
    form.organization_id.choices = _org_choices(NONE_CHOSEN)
    if form.validate_on_submit():
        user = service.find_user_by_email(form.email.data or "")
        if user is None:
            form.email.errors.append(
                _("No user has this email. Invite the person to create their user.")
            )
        else:
            try:
                service.grant_role(user, hub, form.role.data or "", form.organization_id.data)
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                flash(_("%(name)s now has a role in %(hub)s.", name=user.name, hub=hub.name))
                return redirect(url_for("accounts_admin.hub_roles", slug=hub.slug))
    return render_template(
        "admin/hub_roles.html",
        hub=hub,
        roles=service.roles_in_hub(hub),
        form=form,
        title=_("People in %(hub)s", hub=hub.name),
    ), form_status(form)


@bp.post("/hubs/<slug>/people/<int:role_id>/revoke")
@login_required
def hub_role_revoke(slug: str, role_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    hub_role = service.get_or_404(HubRole, role_id)
    if hub_role.hub_id != hub.id:
        raise NotFound(_("Not found."))
    name = hub_role.user.name
    service.revoke_role(hub_role)
    flash(_("The role of %(name)s is removed.", name=name), "info")
    return redirect(url_for("accounts_admin.hub_roles", slug=hub.slug))


# --- memberships of a hub --------------------------------------------------


def _membership_in(hub: Hub, membership_id: int) -> Membership:
    membership = service.get_or_404(Membership, membership_id)
    if membership.hub_id != hub.id:
        raise NotFound(_("Not found."))
    return membership


@bp.get("/hubs/<slug>/memberships")
@login_required
def membership_list(slug: str) -> str:
    hub = permissions.administered_hub(slug)
    return render_template(
        "admin/membership_list.html",
        hub=hub,
        memberships=service.memberships_of(hub),
        title=_("Memberships of %(hub)s", hub=hub.name),
    )


def _membership_form(hub: Hub, membership: Membership | None) -> Page:
    form = MembershipForm(obj=membership)
    form.organization_id.choices = _org_choices()
    saved = save_submitted(
        form,
        lambda: (
            service.create_membership(hub, form_values(form))
            if membership is None
            else service.update_membership(membership, form_values(form))
        ),
    )
    if saved:
        flash(_("The membership is saved."), "success")
        return redirect(url_for("accounts_admin.membership_list", slug=hub.slug))
    if membership is None:
        title = _("New membership in %(hub)s", hub=hub.name)
    else:
        title = _("Edit the membership of %(name)s", name=membership.organization.name)
    return render_template(
        "admin/membership_form.html", form=form, hub=hub, membership=membership, title=title
    ), form_status(form)


@bp.route("/hubs/<slug>/memberships/new", methods=["GET", "POST"])
@login_required
def membership_new(slug: str) -> Page:
    return _membership_form(permissions.administered_hub(slug), None)


@bp.route("/hubs/<slug>/memberships/<int:membership_id>", methods=["GET", "POST"])
@login_required
def membership_edit(slug: str, membership_id: int) -> Page:
    hub = permissions.administered_hub(slug)
    return _membership_form(hub, _membership_in(hub, membership_id))


@bp.post("/hubs/<slug>/memberships/<int:membership_id>/delete")
@login_required
def membership_delete(slug: str, membership_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    membership = _membership_in(hub, membership_id)
    name = membership.organization.name
    service.delete_membership(membership)
    flash(_("The membership of %(name)s is deleted.", name=name), "info")
    return redirect(url_for("accounts_admin.membership_list", slug=hub.slug))
