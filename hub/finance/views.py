"""Admin pages for a hub's cost items and funding."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from hub.accounts import permissions
from hub.accounts.service import get_or_404
from hub.errors import NotFound
from hub.finance import service
from hub.finance.forms import CostItemForm, FundingForm
from hub.finance.labels import COST_CATEGORY_LABELS, FUNDING_KIND_LABELS
from hub.finance.models import CostItem, Funding
from hub.forms import form_status, form_values, save_submitted
from hub.spaces.models import Hub

bp = Blueprint("finance", __name__, url_prefix="/admin/hubs/<slug>")

Page = str | tuple[str, int] | Response


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "format_date": format_date,
        "cost_category_labels": COST_CATEGORY_LABELS,
        "funding_kind_labels": FUNDING_KIND_LABELS,
    }


def _of_hub(model: type[Any], ident: int, hub: Hub) -> Any:
    """The row by id, or 404 when it does not exist or belongs to another hub."""
    obj = get_or_404(model, ident)
    if obj.hub_id != hub.id:
        raise NotFound(_("Not found."))
    return obj


@bp.get("/costs")
@login_required
def cost_list(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    items = service.cost_items_of(hub)
    funding = service.funding_of(hub)
    return render_template(
        "finance/cost_list.html",
        hub=hub,
        items=items,
        funding=funding,
        cost_total=sum(i.amount_ore for i in items),
        funding_total=sum(f.amount_ore for f in funding),
        title=_("Costs and funding for %(name)s", name=hub.name),
    )


# --- cost items --------------------------------------------------------------


@bp.route("/costs/new", methods=["GET", "POST"])
@login_required
def cost_new(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    form = CostItemForm()
    if item := save_submitted(form, lambda: service.create_cost_item(hub, form_values(form))):
        flash(_("The cost item %(name)s has been added.", name=item.description), "success")
        return redirect(url_for(".cost_list", slug=hub.slug))
    return render_template(
        "finance/cost_form.html", hub=hub, form=form, item=None, title=_("New cost item")
    ), form_status(form)


@bp.route("/costs/<int:item_id>", methods=["GET", "POST"])
@login_required
def cost_edit(slug: str, item_id: int) -> Page:
    hub = permissions.administered_hub(slug)
    item = _of_hub(CostItem, item_id, hub)
    form = CostItemForm(obj=item)
    if save_submitted(form, lambda: service.update_cost_item(item, form_values(form))):
        flash(_("The cost item %(name)s has been saved.", name=item.description), "success")
        return redirect(url_for(".cost_list", slug=hub.slug))
    return render_template(
        "finance/cost_form.html",
        hub=hub,
        form=form,
        item=item,
        title=_("Edit cost item %(name)s", name=item.description),
    ), form_status(form)


@bp.post("/costs/<int:item_id>/delete")
@login_required
def cost_delete(slug: str, item_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    item = _of_hub(CostItem, item_id, hub)
    name = item.description
    service.delete_cost_item(item)
    flash(_("The cost item %(name)s has been deleted.", name=name), "success")
    return redirect(url_for(".cost_list", slug=hub.slug))


# --- funding -----------------------------------------------------------------


@bp.route("/funding/new", methods=["GET", "POST"])
@login_required
def funding_new(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    form = FundingForm()
    if funding := save_submitted(form, lambda: service.create_funding(hub, form_values(form))):
        flash(_("The funding from %(name)s has been added.", name=funding.source), "success")
        return redirect(url_for(".cost_list", slug=hub.slug))
    return render_template(
        "finance/funding_form.html", hub=hub, form=form, funding=None, title=_("New funding")
    ), form_status(form)


@bp.route("/funding/<int:funding_id>", methods=["GET", "POST"])
@login_required
def funding_edit(slug: str, funding_id: int) -> Page:
    hub = permissions.administered_hub(slug)
    funding = _of_hub(Funding, funding_id, hub)
    form = FundingForm(obj=funding)
    if save_submitted(form, lambda: service.update_funding(funding, form_values(form))):
        flash(_("The funding from %(name)s has been saved.", name=funding.source), "success")
        return redirect(url_for(".cost_list", slug=hub.slug))
    return render_template(
        "finance/funding_form.html",
        hub=hub,
        form=form,
        funding=funding,
        title=_("Edit funding from %(name)s", name=funding.source),
    ), form_status(form)


@bp.post("/funding/<int:funding_id>/delete")
@login_required
def funding_delete(slug: str, funding_id: int) -> Response:
    hub = permissions.administered_hub(slug)
    funding = _of_hub(Funding, funding_id, hub)
    name = funding.source
    service.delete_funding(funding)
    flash(_("The funding from %(name)s has been deleted.", name=name), "success")
    return redirect(url_for(".cost_list", slug=hub.slug))
