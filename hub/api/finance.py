"""A hub's cost items and funding: the inputs of the financing model."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from hub.accounts import permissions
from hub.accounts.permissions import administered_hub
from hub.accounts.service import get_or_404
from hub.api import schemas as s
from hub.api.operations import operation, read_body
from hub.finance import service as finance
from hub.finance.models import CostItem, Funding

TAG = "finance"


def _admin_of(obj: Any) -> Any:
    permissions.ensure(permissions.can_admin_hub(current_user, obj.hub))
    return obj


# --- cost items ------------------------------------------------------------------------


@operation(
    "GET",
    "/hubs/<slug>/cost-items",
    summary="List a hub's cost items",
    tag=TAG,
    response=s.CostItem,
    many=True,
)
def list_cost_items(slug: str) -> Any:
    return finance.cost_items_of(administered_hub(slug))


@operation(
    "POST",
    "/hubs/<slug>/cost-items",
    summary="Add a cost item",
    tag=TAG,
    request=s.CostItemCreate,
    response=s.CostItem,
    status=201,
)
def create_cost_item(slug: str) -> Any:
    hub = administered_hub(slug)
    return finance.create_cost_item(hub, read_body().model_dump(exclude_unset=True))


@operation(
    "GET", "/cost-items/<id:item_id>", summary="Get a cost item", tag=TAG, response=s.CostItem
)
def get_cost_item(item_id: int) -> Any:
    return _admin_of(get_or_404(CostItem, item_id))


@operation(
    "PATCH",
    "/cost-items/<id:item_id>",
    summary="Update a cost item",
    tag=TAG,
    request=s.CostItemUpdate,
    response=s.CostItem,
)
def update_cost_item(item_id: int) -> Any:
    item = _admin_of(get_or_404(CostItem, item_id))
    return finance.update_cost_item(item, read_body().model_dump(exclude_unset=True))


@operation("DELETE", "/cost-items/<id:item_id>", summary="Delete a cost item", tag=TAG, status=204)
def delete_cost_item(item_id: int) -> Any:
    finance.delete_cost_item(_admin_of(get_or_404(CostItem, item_id)))
    return None


# --- funding ---------------------------------------------------------------------------


@operation(
    "GET",
    "/hubs/<slug>/funding",
    summary="List a hub's funding",
    tag=TAG,
    response=s.Funding,
    many=True,
)
def list_funding(slug: str) -> Any:
    return finance.funding_of(administered_hub(slug))


@operation(
    "POST",
    "/hubs/<slug>/funding",
    summary="Add funding (a grant or discount)",
    tag=TAG,
    request=s.FundingCreate,
    response=s.Funding,
    status=201,
)
def create_funding(slug: str) -> Any:
    hub = administered_hub(slug)
    return finance.create_funding(hub, read_body().model_dump(exclude_unset=True))


@operation("GET", "/funding/<id:funding_id>", summary="Get funding", tag=TAG, response=s.Funding)
def get_funding(funding_id: int) -> Any:
    return _admin_of(get_or_404(Funding, funding_id))


@operation(
    "PATCH",
    "/funding/<id:funding_id>",
    summary="Update funding",
    tag=TAG,
    request=s.FundingUpdate,
    response=s.Funding,
)
def update_funding(funding_id: int) -> Any:
    funding = _admin_of(get_or_404(Funding, funding_id))
    return finance.update_funding(funding, read_body().model_dump(exclude_unset=True))


@operation("DELETE", "/funding/<id:funding_id>", summary="Delete funding", tag=TAG, status=204)
def delete_funding(funding_id: int) -> Any:
    finance.delete_funding(_admin_of(get_or_404(Funding, funding_id)))
    return None
