"""The OpenAPI 3.1 document, built from the route registry and the pydantic models."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from hub.api import schemas as s
from hub.api.operations import OPERATIONS, Operation, operation

REF = "#/components/schemas/{model}"
RULE_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
PARAMETER_SCHEMAS: dict[str, dict[str, Any]] = {
    "id": {"type": "integer", "minimum": 1},
    "isodate": {"type": "string", "format": "date"},
    "default": {"type": "string"},
}

ERROR_RESPONSES = {
    400: ("BadRequest", "Malformed JSON, or a body that is not a JSON object."),
    401: ("Unauthorized", "No valid Bearer token (missing, unknown or revoked)."),
    403: ("Forbidden", "The token's user may not do this."),
    404: ("NotFound", "No such hub, resource or route."),
    409: ("Conflict", "The change conflicts with existing data; nothing changed."),
    422: ("UnprocessableEntity", "Invalid input; `fields` names each problem. Nothing changed."),
}

TAGS = [
    {"name": "hubs", "description": "Hubs, opening hours and closed days."},
    {"name": "calendar", "description": "Subscription feeds: secret iCal URLs."},
    {"name": "spaces", "description": "Desks, cells, meeting rooms and common areas."},
    {"name": "organizations", "description": "The shared register of organizations."},
    {"name": "memberships", "description": "Organizations' memberships and financing terms."},
    {
        "name": "finance",
        "description": "Cost items, funding, the yearly financing model and the cost share.",
    },
    {"name": "statements", "description": "Statements, credit notes and closed periods."},
    {"name": "bookings", "description": "Bookings, availability, check-in and approvals."},
    {
        "name": "usage",
        "description": "Usage and occupancy, events with attendance, presence imports.",
    },
    {"name": "users", "description": "People, invitations and roles."},
    {"name": "me", "description": "The token's user, their API tokens and their own data."},
    {"name": "audit", "description": "The audit log of admin changes."},
    {"name": "meta", "description": "This document."},
]


def openapi_path(rule: str) -> str:
    """Flask rule (relative to /api/v1) to OpenAPI path: ``<id:space_id>`` -> ``{space_id}``."""
    return RULE_VARIABLE.sub(lambda m: "{" + m["name"] + "}", rule)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    return [
        {
            "name": m["name"],
            "in": "path",
            "required": True,
            "schema": PARAMETER_SCHEMAS.get(m["converter"] or "default", {"type": "string"}),
        }
        for m in RULE_VARIABLE.finditer(rule)
    ]


def _models() -> list[tuple[type[BaseModel], str]]:
    pairs: dict[tuple[type[BaseModel], str], None] = {(s.Error, "serialization"): None}
    for op in OPERATIONS.values():
        if op.request is not None:
            pairs[(op.request, "validation")] = None
        if isinstance(op.response, type):
            pairs[(op.response, "serialization")] = None
    return list(pairs)


def _operation(op: Operation, refs: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    doc: dict[str, Any] = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.tag]}
    if op.description:
        doc["description"] = op.description
    if parameters := _path_parameters(op.rule):
        doc["parameters"] = parameters
    if op.request is not None:
        doc["requestBody"] = {
            "required": op.body_required,
            "content": {"application/json": {"schema": refs[(op.request, "validation")]}},
        }
    response = op.response
    schema = refs[(response, "serialization")] if isinstance(response, type) else response
    if op.many and schema is not None:
        schema = {"type": "array", "items": schema}
    responses: dict[str, Any] = {}
    for status in sorted({op.status, *op.also}):
        if status == 204 or schema is None:
            responses[str(status)] = {"description": "Done; no content."}
        else:
            # A plain schema may name another media type, e.g. a PDF download.
            media = schema.get("contentMediaType", "application/json")
            responses[str(status)] = {
                "description": "Created." if status == 201 else "OK.",
                "content": {media: {"schema": schema}},
            }
    if op.public:
        doc["security"] = []
    else:
        errors = [401, 403, 404, 409, 422] + ([400] if op.request is not None else [])
        for status in sorted(errors):
            responses[str(status)] = {
                "$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"
            }
    doc["responses"] = responses
    return doc


@cache
def build_document() -> dict[str, Any]:
    refs, defs = models_json_schema(_models(), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in sorted(OPERATIONS.values(), key=lambda o: (o.rule, o.method)):
        paths.setdefault(openapi_path(op.rule), {})[op.method.lower()] = _operation(op, refs)
    error_ref = refs[(s.Error, "serialization")]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Hub API",
            "version": "1",
            "description": (
                "Booking, usage and cost sharing for shared public-sector office hubs. "
                "Authenticate with `Authorization: Bearer <token>` (create tokens at "
                "POST /me/tokens or on your profile page). Money is integer øre, dates "
                "YYYY-MM-DD, instants ISO 8601 UTC, decimals strings. See docs/api.md."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": TAGS,
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token (hub_...).",
                }
            },
            "responses": {
                name: {
                    "description": description,
                    "content": {"application/json": {"schema": error_ref}},
                }
                for name, description in ERROR_RESPONSES.values()
            },
        },
    }


@operation(
    "GET",
    "/openapi.json",
    summary="This OpenAPI 3.1 document",
    tag="meta",
    response={"type": "object", "description": "An OpenAPI 3.1 document."},
    public=True,
)
def openapi_document() -> Any:
    """Public: no token needed."""
    return build_document()
