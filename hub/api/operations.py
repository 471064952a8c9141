"""The route registry: one decorator adds the Flask rule and records the operation.

``@operation("GET", "/hubs/<slug>", ...)`` registers the view on the API
blueprint and keeps an ``Operation`` that ``hub.api.openapi`` turns into the
OpenAPI document. Handlers stay thin: they call ``read_body()`` (validated
against the operation's declared request model) after checking rights, call one
service, and return ORM objects, which are serialized with the declared
response model. Handlers never commit; the request boundary does.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import sqlalchemy.exc as sa_exc
from flask import Response, jsonify, request
from flask_babel import gettext as _
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import BadRequest

from hub.api import bp
from hub.errors import ValidationFailed
from hub.extensions import db
from hub.web import error_response


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str  # Flask rule relative to /api/v1, e.g. "/hubs/<slug>"
    endpoint: str
    summary: str
    tag: str
    request: type[BaseModel] | None
    response: type[BaseModel] | dict[str, Any] | None
    many: bool
    status: int
    also: tuple[int, ...]  # other success statuses, e.g. 200 for an idempotent create
    public: bool
    description: str | None
    body_required: bool = True  # False: no body at all means the request model's defaults


OPERATIONS: dict[str, Operation] = {}


def operation(
    method: str,
    rule: str,
    *,
    summary: str,
    tag: str,
    request: type[BaseModel] | None = None,
    response: type[BaseModel] | dict[str, Any] | None = None,
    many: bool = False,
    status: int = 200,
    also: tuple[int, ...] = (),
    public: bool = False,
    description: str | None = None,
    body_required: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func`` as ``method rule`` on the API blueprint and record it.

    The handler returns the result (ORM object(s), dict, or None for 204), or
    ``(result, status)`` when the status is one of ``also``.
    """

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        endpoint = func.__name__
        if endpoint in OPERATIONS:
            raise RuntimeError(f"API operation {endpoint!r} is declared twice")
        op = Operation(
            method=method.upper(),
            rule=rule,
            endpoint=endpoint,
            summary=summary,
            tag=tag,
            request=request,
            response=response,
            many=many,
            status=status,
            also=also,
            public=public,
            description=description or (func.__doc__ or "").strip() or None,
            body_required=body_required,
        )
        OPERATIONS[endpoint] = op

        @functools.wraps(func)
        def view(**kwargs: Any) -> Any:
            result = func(**kwargs)
            # Pending changes reach the database inside the view, so a constraint
            # violation is handled here (409) and not at the commit after it.
            db.session.flush()
            if op.method != "GET" and isinstance(result, db.Model) and result in db.session:
                # Answer with what was stored (e.g. a weight of "1.5" reads back "1.5000").
                db.session.refresh(result)
            return _respond(op, result)

        bp.add_url_rule(rule, endpoint=endpoint, view_func=view, methods=[op.method])
        return func

    return decorator


def current_operation() -> Operation | None:
    endpoint = request.endpoint or ""
    prefix = f"{bp.name}."
    return OPERATIONS.get(endpoint[len(prefix) :]) if endpoint.startswith(prefix) else None


def read_body() -> Any:
    """The request body, validated against this operation's request model.

    Malformed JSON (or a body that is not an object) is 400; a body that breaks
    the model is a ``ValidationFailed`` (422) keyed by dotted field paths. An
    operation declared with ``body_required=False`` reads no body as the defaults.
    """
    op = current_operation()
    if op is None or op.request is None:
        raise RuntimeError("read_body() called from an operation without a request model")
    if not op.body_required and not request.get_data():
        return op.request()
    try:
        body = op.request.model_validate_json(request.get_data() or b"")
    except ValidationError as exc:
        raise _as_domain_error(exc) from None
    return _within_calendar(body)


Q = TypeVar("Q", bound=BaseModel)


def read_query(model: type[Q]) -> Q:
    """The query string, validated by ``model``; problems are a 422 naming each parameter."""
    try:
        query = model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise ValidationFailed(_field_errors(exc)) from None
    return _within_calendar(query)


# Dates the services can do arithmetic on (a day before, a week after, another
# timezone) without leaving Python's calendar; nothing real is outside them.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def _within_calendar(model: Q) -> Q:
    """A 422 naming every date or instant outside FIRST_DAY..LAST_DAY, never a 500 later."""
    fields: dict[str, list[str]] = {}
    _collect_out_of_range(model, "", fields)
    if fields:
        raise ValidationFailed(fields)
    return model


def _collect_out_of_range(value: Any, path: str, fields: dict[str, list[str]]) -> None:
    if isinstance(value, BaseModel):
        for name, item in value:
            _collect_out_of_range(item, f"{path}.{name}" if path else name, fields)
    elif isinstance(value, list | tuple):
        for item in value:
            _collect_out_of_range(item, path, fields)
    elif isinstance(value, dict):
        for key, item in value.items():
            _collect_out_of_range(item, f"{path}.{key}" if path else str(key), fields)
    elif isinstance(value, date):  # a datetime is a date too
        day = value.date() if isinstance(value, datetime) else value
        if not FIRST_DAY <= day <= LAST_DAY:
            message = _(
                "Give a date from %(first)s to %(last)s.",
                first=FIRST_DAY.isoformat(),
                last=LAST_DAY.isoformat(),
            )
            fields.setdefault(path, []).append(message)


def _field_errors(exc: ValidationError) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        path = ".".join(str(part) for part in error["loc"])
        fields.setdefault(path, []).append(error["msg"])
    return fields


def _as_domain_error(exc: ValidationError) -> Exception:
    for error in exc.errors(include_url=False):
        if error["type"] == "json_invalid":
            return BadRequest(_("The request body is not valid JSON."))
        if not error["loc"]:
            return BadRequest(_("The request body must be a JSON object."))
    return ValidationFailed(_field_errors(exc))


def _respond(op: Operation, result: Any) -> Response:
    status = op.status
    if isinstance(result, tuple):
        result, status = result
        if status not in (op.status, *op.also):
            raise RuntimeError(f"{op.endpoint} returned undeclared status {status}")
    if isinstance(result, Response):
        return result
    if status == 204:
        return Response(status=204)
    response = jsonify(serialize(op, result))
    response.status_code = status
    return response


def serialize(op: Operation, result: Any) -> Any:
    model = op.response
    if not isinstance(model, type):
        return result
    if op.many:
        return [_dump(model, item) for item in result]
    return _dump(model, result)


def _dump(model: type[BaseModel], obj: Any) -> Any:
    if not isinstance(obj, model):
        obj = model.model_validate(obj, from_attributes=True)
    return obj.model_dump(mode="json")


# --- database errors that slip past the services' checks ----------------------


@bp.errorhandler(sa_exc.IntegrityError)
def _integrity_error(exc: sa_exc.IntegrityError) -> Any:
    """A unique or foreign-key rule the service did not catch (e.g. a race): 409."""
    db.session.rollback()
    return error_response(409, _("This conflicts with data that already exists. Nothing changed."))


@bp.errorhandler(sa_exc.DataError)
def _data_error(exc: sa_exc.DataError) -> Any:
    """A value the database cannot store (too long, out of range): 422, never 500."""
    db.session.rollback()
    return error_response(422, _("A value is too long or out of range. Nothing changed."))
