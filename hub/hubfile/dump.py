"""Write the installation (or one hub) as a hub file that ``load`` reads back unchanged.

Sorted deterministically so two dumps of the same data are byte for byte equal.
Passwords are never written. Empty values are left out: loading the dump back
leaves them as they are. A financing model leaves out its blend percentages
that are 0 and its use weights that are the defaults; a new year gets those
defaults when it is loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
import yaml

from hub.accounts.models import HubRole, Membership, Organization, User
from hub.errors import NotFound
from hub.extensions import db
from hub.finance.financing import BLEND_FIELDS, WEIGHT_FIELDS
from hub.finance.models import FinancingModel
from hub.hubfile.schema import (
    WEEKDAYS,
    CostItemIn,
    FinancingModelIn,
    FundingIn,
    HubIn,
    MembershipIn,
    OrganizationIn,
    SpaceIn,
    UserIn,
    format_span,
)
from hub.spaces.models import Hub


def _plain(value: Any) -> Any:
    """YAML-friendly scalars: enums as text, Decimals as numbers."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _fields(obj: Any, names: Iterable[str], skip: Iterable[str] = ()) -> dict[str, Any]:
    """Named attributes in schema order, leaving out empty ones."""
    out: dict[str, Any] = {}
    for name in names:
        if name in skip:
            continue
        value = getattr(obj, name)
        if value is None or value == "":
            continue
        out[name] = _plain(value)
    return out


def _sort_key(text: str) -> str:
    return text.casefold()


def dump_data(hub_slug: str | None = None) -> dict[str, Any]:
    """The hub file as Python data: all hubs, or one hub and what it refers to."""
    hub_query = sa.select(Hub).order_by(Hub.slug)
    if hub_slug is not None:
        hub_query = hub_query.where(Hub.slug == hub_slug)
    hubs = list(db.session.scalars(hub_query))
    if hub_slug is not None and not hubs:
        raise NotFound(f"No hub with the slug {hub_slug!r}.")

    if hub_slug is None:
        users = list(db.session.scalars(sa.select(User)))
    else:
        users = list(
            db.session.scalars(
                sa.select(User)
                .join(HubRole, HubRole.user_id == User.id)
                .where(HubRole.hub_id == hubs[0].id)
            ).unique()
        )
    hub_ids = {h.id for h in hubs}

    if hub_slug is None:
        orgs = list(db.session.scalars(sa.select(Organization)))
    else:
        org_ids = {m.organization_id for h in hubs for m in h.memberships}
        org_ids |= {u.home_organization_id for u in users}
        org_ids |= {
            r.organization_id
            for u in users
            for r in u.roles
            if r.hub_id in hub_ids and r.organization_id is not None
        }
        orgs = list(db.session.scalars(sa.select(Organization).where(Organization.id.in_(org_ids))))

    data: dict[str, Any] = {
        "organizations": [
            _fields(o, OrganizationIn.model_fields)
            for o in sorted(orgs, key=lambda o: _sort_key(o.name))
        ],
        "hubs": [_hub(h) for h in hubs],
        "users": [
            _user(u, hub_ids if hub_slug is not None else None)
            for u in sorted(users, key=lambda u: u.email)
        ],
    }
    return data


def _hub(hub: Hub) -> dict[str, Any]:
    children = {
        "opening_hours",
        "closures",
        "spaces",
        "memberships",
        "cost_items",
        "funding",
        "financing_models",
    }
    out = _fields(hub, HubIn.model_fields, skip=children)
    out["opening_hours"] = {
        WEEKDAYS[row.weekday]: format_span(row.opens_at, row.closes_at)
        for row in sorted(hub.opening_hours, key=lambda r: r.weekday)
    }
    out["closures"] = [
        {"on_date": c.on_date, **({"reason": c.reason} if c.reason else {})}
        for c in sorted(hub.closures, key=lambda c: c.on_date)
    ]
    out["spaces"] = [
        _fields(s, SpaceIn.model_fields)
        for s in sorted(hub.spaces, key=lambda s: (_sort_key(s.name), s.id))
    ]
    out["memberships"] = [_membership(m) for m in _sorted_memberships(hub.memberships)]
    out["cost_items"] = [
        _fields(c, CostItemIn.model_fields)
        for c in sorted(
            hub.cost_items,
            key=lambda c: (c.starts_on, c.category.value, c.description, c.id),
        )
    ]
    out["funding"] = [
        _fields(f, FundingIn.model_fields)
        for f in sorted(hub.funding, key=lambda f: (f.starts_on, f.source, f.id))
    ]
    out["financing_models"] = [
        _financing_model(m)
        for m in db.session.scalars(
            sa.select(FinancingModel)
            .where(FinancingModel.hub_id == hub.id)
            .order_by(FinancingModel.year)
        )
    ]
    return out


def _financing_model(m: FinancingModel) -> dict[str, Any]:
    out = _fields(m, FinancingModelIn.model_fields)
    defaults = FinancingModelIn.model_fields
    for name in (*BLEND_FIELDS, *WEIGHT_FIELDS):
        if getattr(m, name) == defaults[name].default:
            out.pop(name, None)
    return out


def _sorted_memberships(memberships: Iterable[Membership]) -> list[Membership]:
    return sorted(
        memberships,
        key=lambda m: (m.kind.value, _sort_key(m.organization.name), m.starts_on, m.id),
    )


def _membership(m: Membership) -> dict[str, Any]:
    out: dict[str, Any] = {"organization": m.organization.name}
    out |= _fields(m, MembershipIn.model_fields, skip={"organization"})
    if not m.carries_residual:
        out.pop("carries_residual", None)
    return out


def _user(user: User, hub_ids: set[int] | None) -> dict[str, Any]:
    out = {"email": user.email, "name": user.name}
    out["home_organization"] = user.home_organization.name
    out |= _fields(
        user, UserIn.model_fields, skip={"email", "name", "home_organization", "password", "roles"}
    )
    roles = [r for r in user.roles if hub_ids is None or r.hub_id in hub_ids]
    out["roles"] = [
        {
            "hub": r.hub.slug,
            "role": r.role.value,
            **({"organization": r.organization.name} if r.organization is not None else {}),
        }
        for r in sorted(
            roles,
            key=lambda r: (r.hub.slug, r.role.value, r.organization.name if r.organization else ""),
        )
    ]
    return out


class _Dumper(yaml.SafeDumper):
    """Block style, and lists indented under their key as people write them."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> Any:
        return super().increase_indent(flow, False)


def dump_text(hub_slug: str | None = None) -> str:
    header = (
        "# Hub configuration (docs/hubfile.md). Load with: flask hub load FILE\n"
        "# Amounts are integer øre (NOK x 100).\n"
    )
    body = yaml.dump(
        dump_data(hub_slug),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
    )
    return header + body
