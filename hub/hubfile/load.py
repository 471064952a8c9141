"""Load a hub file: parse, check the shape, then upsert through the domain services.

Everything happens in the caller's transaction. Each object is applied through
its service (which enforces the domain rules); a rule broken by one object is
recorded with that object's path in the file and the loader carries on, so one
run lists every problem. If there was any, ``HubfileInvalid`` is raised at the
end and the caller rolls back: a bad file changes nothing. The loader flushes,
never commits (docs/conventions.md).

Matching (so loading the same file twice changes nothing): organizations by
name (or organisation number), hubs by slug, spaces by name within the hub,
memberships by (organization, kind, starts_on), cost items by (category,
description, starts_on), funding by (source, starts_on), financing models by
year, closures by date, users by email (case-insensitive), roles by (hub, role,
organization). Rows the file does not mention are left alone, and so are keys an
object leaves out.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import sqlalchemy as sa
import yaml
from pydantic import ValidationError

from hub.accounts import orgnr
from hub.accounts import service as accounts
from hub.accounts.models import Membership, Organization, Role, User
from hub.errors import ValidationFailed
from hub.extensions import db
from hub.finance import cost_share, financing
from hub.finance import service as finance
from hub.finance.models import CostItem, Funding
from hub.hubfile.schema import (
    HUB_CHILDREN,
    SECTIONS,
    WEEKDAYS,
    ClosureIn,
    CostItemIn,
    FinancingModelIn,
    FundingIn,
    HubIn,
    Item,
    MembershipIn,
    OrganizationIn,
    RoleIn,
    SpaceIn,
    UserIn,
)
from hub.spaces import service as spaces
from hub.spaces.models import Hub, Space

M = TypeVar("M", bound=Item)

# Service field names that the file spells as a reference by name.
FIELD_IN_FILE = {
    "organization_id": "organization",
    "home_organization_id": "home_organization",
}


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class HubfileInvalid(Exception):
    """The file was rejected; ``problems`` lists every one found, with its path."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class LoadReport:
    """What a load did, per section: created, updated or unchanged objects."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add(self, section: str, action: str) -> None:
        self.counts[(section, action)] += 1

    @property
    def changed(self) -> int:
        return sum(n for (_, action), n in self.counts.items() if action != "unchanged")

    def lines(self) -> list[str]:
        sections = sorted({s for s, _ in self.counts})
        out = []
        for section in sections:
            parts = [
                f"{self.counts[(section, action)]} {action}"
                for action in ("created", "updated", "unchanged")
                if self.counts[(section, action)]
            ]
            out.append(f"{section}: {', '.join(parts)}")
        return out


# --- YAML ------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """safe_load that refuses a key written twice in one mapping (the last would win)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: dict[Any, yaml.Node] = {}
    for key_node, _value in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"the key {key!r} appears twice",
                key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def parse_yaml(text: str) -> Any:
    """The document as Python data; a syntax error names its line and column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        what = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise HubfileInvalid([Problem(where, f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise HubfileInvalid([Problem("", f"YAML error: {exc}")]) from None


# --- entry points -------------------------------------------------------------------


def load_text(text: str) -> LoadReport:
    """Apply a hub file; raises HubfileInvalid (the caller rolls back) on any problem."""
    return load_data(parse_yaml(text))


def load_data(data: Any) -> LoadReport:
    loader = _Loader()
    try:
        loader.run(data)
    except sa.exc.IntegrityError as exc:
        # A rule no service checks; the session must be rolled back by the caller.
        loader.problem("", f"the database refused a change: {exc.orig}")
    if loader.problems:
        raise HubfileInvalid(loader.problems)
    return loader.report


# --- helpers --------------------------------------------------------------------------


def _join(path: str, loc: Iterable[Any]) -> str:
    for part in loc:
        path = f"{path}[{part}]" if isinstance(part, int) else f"{path}.{part}" if path else part
    return path


def _same(current: Any, new: Any) -> bool:
    if new is None or new == "":
        return current is None or current == ""
    if isinstance(current, Decimal) or isinstance(new, Decimal):
        try:
            return Decimal(str(current)) == Decimal(str(new))
        except (InvalidOperation, ValueError):
            return False
    return bool(current == new)


def _changes(obj: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    """The values that differ from what the object already has."""
    return {k: v for k, v in values.items() if not _same(getattr(obj, k), v)}


def _shape_message(model: type[Item], err: Any) -> str:
    loc = err["loc"]
    if err["type"] == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
        hint = f"; did you mean {close[0]!r}?" if close and len(loc) == 1 else ""
        return f"unknown key{hint}"
    if err["type"] == "missing":
        return "is required"
    return str(err["msg"]).removeprefix("Value error, ")


def _org_by_name(name: str) -> Organization | None:
    """Case-insensitive, also for Æ, Ø and Å (SQLite's lower() is ASCII only)."""
    found = db.session.scalar(sa.select(Organization).where(Organization.name == name))
    if found is not None:
        return found
    key = name.casefold()
    return next(
        (o for o in db.session.scalars(sa.select(Organization)) if o.name.casefold() == key),
        None,
    )


class _Skip(Exception):
    """A reference to an object whose own problems are already reported."""


class _Loader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.report = LoadReport()
        # lower-case name -> organization; None when the file's own entry failed.
        self.orgs: dict[str, Organization | None] = {}
        self.hubs: dict[str, Hub | None] = {}

    # --- problems ------------------------------------------------------------------

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def service_problems(self, path: str, exc: ValidationFailed) -> None:
        for name, messages in exc.errors.items():
            # opening_hours.0 -> opening_hours.monday
            if name.startswith("opening_hours.") and name.rsplit(".", 1)[1].isdigit():
                day = int(name.rsplit(".", 1)[1])
                name = f"opening_hours.{WEEKDAYS[day] if day < 7 else day}"
            for message in messages:
                self.problem(_join(path, [FIELD_IN_FILE.get(name, name)]), message)

    def validate(self, model: type[M], raw: Any, path: str, skip: Iterable[str] = ()) -> M | None:
        if not isinstance(raw, dict):
            self.problem(path, "must be a mapping of keys to values")
            return None
        data = {k: v for k, v in raw.items() if k not in set(skip)}
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors()
        for err in errors:
            self.problem(_join(path, err["loc"]), _shape_message(model, err))
        # The file is rejected anyway; carry on without the bad keys (defaults
        # instead) so the domain rules still run and report the other problems.
        bad = {err["loc"][0] for err in errors if err["loc"]}
        try:
            return model.model_validate({k: v for k, v in data.items() if k not in bad})
        except ValidationError:
            return None

    def items(self, raw: Any, path: str) -> list[Any]:
        if raw is None:
            return []
        if not isinstance(raw, list):
            self.problem(path, "must be a list (items starting with '-')")
            return []
        return raw

    def unique(self, seen: dict[Any, str], key: Any, path: str, what: str) -> bool:
        if key in seen:
            self.problem(path, f"{what} appears twice in the file (also at {seen[key]})")
            return False
        seen[key] = path
        return True

    def apply(
        self,
        section: str,
        path: str,
        existing: Any,
        values: Mapping[str, Any],
        create_with: Callable[[dict[str, Any]], Any],
        update: Callable[[Any, dict[str, Any]], Any],
        salvage: bool = False,
    ) -> Any:
        """Create, update (only what differs) or leave one object; record problems.

        With ``salvage`` an object the service refuses is still applied without the
        refused keys (the load fails anyway), so that its children get checked too.
        """
        try:
            if existing is None:
                obj = create_with(dict(values))
                self.report.add(section, "created")
                return obj
            changes = _changes(existing, values)
            if changes:
                update(existing, dict(values))
                self.report.add(section, "updated")
            else:
                self.report.add(section, "unchanged")
            return existing
        except ValidationFailed as exc:
            self.service_problems(path, exc)
            refused = set(exc.errors)
        if not salvage:
            return None
        # The file is rejected anyway; apply the object without the keys the
        # service refused, so the objects that belong to it can still be checked.
        kept = {k: v for k, v in values.items() if k not in refused}
        try:
            if existing is None:
                return create_with(kept)
            update(existing, kept)
            return existing
        except ValidationFailed:
            return None

    # --- the document ----------------------------------------------------------------

    def run(self, data: Any) -> None:
        if data is None:
            return
        if not isinstance(data, dict):
            self.problem("", "the file must be a mapping with organizations, hubs and users")
            return
        for key in data:
            if key not in SECTIONS:
                close = difflib.get_close_matches(str(key), list(SECTIONS), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                self.problem(str(key), f"unknown key{hint}")
        for i, raw in enumerate(self.items(data.get("organizations"), "organizations")):
            self.organization(raw, f"organizations[{i}]")
        for i, raw in enumerate(self.items(data.get("hubs"), "hubs")):
            self.hub(raw, f"hubs[{i}]")
        seen: dict[Any, str] = {}
        for i, raw in enumerate(self.items(data.get("users"), "users")):
            self.user(raw, f"users[{i}]", seen)

    # --- organizations ------------------------------------------------------------------

    def organization(self, raw: Any, path: str) -> None:
        item = self.validate(OrganizationIn, raw, path)
        name = raw.get("name") if isinstance(raw, dict) else None
        if item is None:
            if isinstance(name, str) and name.strip():
                self.orgs.setdefault(name.strip().casefold(), None)
            return
        key = item.name.casefold()
        if key in self.orgs and self.orgs[key] is not None:
            self.problem(f"{path}.name", f"the organization {item.name!r} appears twice")
            return
        values = item.given()
        if values.get("contact_email"):
            values["contact_email"] = accounts.normalize_email(values["contact_email"])
        existing = _org_by_name(item.name)
        if existing is None and item.org_number:
            digits = orgnr.normalize(item.org_number)
            existing = db.session.scalar(
                sa.select(Organization).where(Organization.org_number == digits)
            )
        given_number = values.get("org_number")
        if existing is not None and orgnr.normalize(given_number or "") == existing.org_number:
            values["org_number"] = existing.org_number  # "974 761 076" is no change
        org = self.apply(
            "organizations",
            path,
            existing,
            values,
            accounts.create_organization,
            accounts.update_organization,
            salvage=True,
        )
        self.orgs[key] = org

    def org_ref(self, ref: str, path: str) -> Organization:
        key = ref.strip().casefold()
        if key in self.orgs:
            found = self.orgs[key]
            if found is None:
                raise _Skip
            return found
        org = _org_by_name(ref.strip())
        digits = orgnr.normalize(ref)
        if org is None and len(digits) == 9:
            org = db.session.scalar(
                sa.select(Organization).where(Organization.org_number == digits)
            )
        if org is None:
            self.problem(
                path,
                f"unknown organization {ref!r}: list it under organizations "
                "or use the name of one that exists",
            )
            raise _Skip
        self.orgs[key] = org
        return org

    # --- hubs -------------------------------------------------------------------------------

    def hub(self, raw: Any, path: str) -> None:
        item = self.validate(HubIn, raw, path, skip=HUB_CHILDREN)
        hub: Hub | None = None
        if item is not None:
            if item.slug in self.hubs:
                self.problem(f"{path}.slug", f"the hub {item.slug!r} appears twice")
            else:
                hub = self.hub_itself(item, path)
                self.hubs[item.slug] = hub
        elif isinstance(raw, dict) and isinstance(raw.get("slug"), str):
            self.hubs.setdefault(raw["slug"], None)
        children = raw if isinstance(raw, dict) else {}
        handlers: dict[str, Callable[[Hub | None, Any, str, dict[Any, str]], None]] = {
            "closures": self.closure,
            "spaces": self.space,
            "memberships": self.membership,
            "cost_items": self.cost_item,
            "funding": self.funding_item,
            "financing_models": self.financing_model,
        }
        for key, handler in handlers.items():
            seen: dict[Any, str] = {}
            for i, child in enumerate(self.items(children.get(key), f"{path}.{key}")):
                handler(hub, child, f"{path}.{key}[{i}]", seen)

    def hub_itself(self, item: HubIn, path: str) -> Hub | None:
        values = item.given(exclude=frozenset({"opening_hours", *HUB_CHILDREN}))
        existing = db.session.scalar(sa.select(Hub).where(Hub.slug == item.slug))
        weekly = item.weekly_hours() if item.opening_hours is not None else None
        hub = self.apply(
            "hubs",
            path,
            existing,
            values,
            lambda v: spaces.create_hub(v, weekly),
            spaces.update_hub,
            salvage=True,
        )
        if hub is None or existing is None or weekly is None:
            return hub
        if spaces.weekly_hours(hub) != weekly:
            try:
                spaces.set_opening_hours(hub, weekly)
            except ValidationFailed as exc:
                self.service_problems(path, exc)
                return hub
            self.report.add("opening_hours", "updated")
        return hub

    def closure(self, hub: Hub | None, raw: Any, path: str, seen: dict[Any, str]) -> None:
        item = self.validate(ClosureIn, raw, path)
        if item is None or not self.unique(seen, item.on_date, path, "this closed day"):
            return
        if hub is None:
            return
        existing = next((c for c in hub.closures if c.on_date == item.on_date), None)
        if existing is not None and existing.reason == item.reason:
            self.report.add("closures", "unchanged")
            return
        spaces.add_closure(hub, item.on_date, item.reason)
        self.report.add("closures", "created" if existing is None else "updated")

    def space(self, hub: Hub | None, raw: Any, path: str, seen: dict[Any, str]) -> None:
        item = self.validate(SpaceIn, raw, path)
        if item is None or not self.unique(seen, item.name.casefold(), path, "this space"):
            return
        if hub is None:
            return
        # Matched in Python: SQLite's lower() leaves Æ, Ø and Å alone.
        existing = next(
            (
                space
                for space in db.session.scalars(sa.select(Space).where(Space.hub_id == hub.id))
                if space.name.casefold() == item.name.casefold()
            ),
            None,
        )
        values = item.given()
        self.apply(
            "spaces",
            path,
            existing,
            values,
            lambda v: spaces.create_space(hub, v),
            spaces.update_space,
        )

    def membership(self, hub: Hub | None, raw: Any, path: str, seen: dict[Any, str]) -> None:
        item = self.validate(MembershipIn, raw, path)
        if item is None:
            return
        try:
            org = self.org_ref(item.organization, f"{path}.organization")
        except _Skip:
            return
        key = (org.id, item.kind, item.starts_on)
        if not self.unique(seen, key, path, "this membership") or hub is None:
            return
        values = item.given(exclude=frozenset({"organization"}))
        values["organization_id"] = org.id
        existing = db.session.scalar(
            sa.select(Membership).where(
                Membership.hub_id == hub.id,
                Membership.organization_id == org.id,
                Membership.kind == item.kind,
                Membership.starts_on == item.starts_on,
            )
        )
        self.apply(
            "memberships",
            path,
            existing,
            values,
            lambda v: accounts.create_membership(hub, v),
            accounts.update_membership,
        )

    def cost_item(self, hub: Hub | None, raw: Any, path: str, seen: dict[Any, str]) -> None:
        item = self.validate(CostItemIn, raw, path)
        if item is None:
            return
        key = (item.category, item.description, item.starts_on)
        if not self.unique(seen, key, path, "this cost item") or hub is None:
            return
        existing = db.session.scalar(
            sa.select(CostItem).where(
                CostItem.hub_id == hub.id,
                CostItem.category == item.category,
                CostItem.description == item.description,
                CostItem.starts_on == item.starts_on,
            )
        )
        values = item.given()
        self.apply(
            "cost_items",
            path,
            existing,
            values,
            lambda v: finance.create_cost_item(hub, v),
            finance.update_cost_item,
        )

    def funding_item(self, hub: Hub | None, raw: Any, path: str, seen: dict[Any, str]) -> None:
        item = self.validate(FundingIn, raw, path)
        if item is None:
            return
        key = (item.source, item.starts_on)
        if not self.unique(seen, key, path, "this funding") or hub is None:
            return
        existing = db.session.scalar(
            sa.select(Funding).where(
                Funding.hub_id == hub.id,
                Funding.source == item.source,
                Funding.starts_on == item.starts_on,
            )
        )
        values = item.given()
        self.apply(
            "funding",
            path,
            existing,
            values,
            lambda v: finance.create_funding(hub, v),
            finance.update_funding,
        )

    def financing_model(self, hub: Hub | None, raw: Any, path: str, seen: dict[Any, str]) -> None:
        item = self.validate(FinancingModelIn, raw, path)
        if item is None:
            return
        year = item.year
        what = f"the financing model for {year}"
        if not self.unique(seen, year, f"{path}.year", what) or hub is None:
            return
        values = item.given(exclude=frozenset({"year"}))
        if isinstance(values.get("statement_prefix"), str):
            values["statement_prefix"] = values["statement_prefix"].upper()  # as it is stored

        def create(v: dict[str, Any]) -> Any:
            # A new year gets the defaults for what the file leaves out, not a copy of
            # an earlier year's model (what the service would start from), so that a
            # dump, which leaves defaults out, loads back as the same models.
            defaults = item.model_dump(exclude={"year"})
            defaults["statement_prefix"] = cost_share.default_prefix(hub)
            return financing.save_model(hub, year, defaults | v)

        self.apply(
            "financing_models",
            path,
            cost_share.saved_model(hub, year),
            values,
            create,
            lambda _model, v: financing.save_model(hub, year, v),
        )

    # --- users and roles ---------------------------------------------------------------------

    def user(self, raw: Any, path: str, seen: dict[Any, str]) -> None:
        item = self.validate(UserIn, raw, path, skip=("roles",))
        roles = self.items(raw.get("roles") if isinstance(raw, dict) else None, f"{path}.roles")
        role_items = [
            (self.validate(RoleIn, r, f"{path}.roles[{i}]"), f"{path}.roles[{i}]")
            for i, r in enumerate(roles)
        ]
        for role, role_path in role_items:
            if role is not None:  # report unknown hubs even when the user itself fails
                self.hub_ref(role.hub, f"{role_path}.hub")
        if item is None:
            return
        email = accounts.normalize_email(item.email)
        if not self.unique(seen, email, f"{path}.email", "this email"):
            return
        try:
            home = self.org_ref(item.home_organization, f"{path}.home_organization")
        except _Skip:
            return
        values = item.given(exclude=frozenset({"home_organization", "password", "roles"}))
        values["home_organization_id"] = home.id
        values["email"] = email
        existing = accounts.find_user_by_email(email)
        user: User | None = self.apply(
            "users",
            path,
            existing,
            values,
            lambda v: accounts.create_user(v, password=item.password),
            accounts.update_user,
            salvage=True,
        )
        if user is None:
            return
        role_seen: dict[Any, str] = {}
        for role, role_path in role_items:
            if role is None:
                continue
            self.role(user, role, role_path, role_seen)

    def role(self, user: User, role: RoleIn, path: str, seen: dict[Any, str]) -> None:
        hub = self.hub_ref(role.hub, f"{path}.hub")
        org_id = None
        if role.organization is not None:
            try:
                org_id = self.org_ref(role.organization, f"{path}.organization").id
            except _Skip:
                return
        if role.role != Role.PARTNER_CONTACT and org_id is not None:
            self.problem(
                f"{path}.organization", "only a partner_contact speaks for an organization"
            )
            return
        if hub is None or not self.unique(seen, (hub.id, role.role, org_id), path, "this role"):
            return
        had = any(
            r.hub_id == hub.id and r.role == role.role and r.organization_id == org_id
            for r in user.roles
        )
        try:
            accounts.grant_role(user, hub, role.role, org_id)
        except ValidationFailed as exc:
            self.service_problems(path, exc)
            return
        self.report.add("roles", "unchanged" if had else "created")

    def hub_ref(self, slug: str, path: str) -> Hub | None:
        if slug in self.hubs:
            return self.hubs[slug]
        hub = db.session.scalar(sa.select(Hub).where(Hub.slug == slug))
        if hub is None:
            self.problem(path, f"unknown hub {slug!r}: list it under hubs or use an existing slug")
        self.hubs[slug] = hub
        return hub
