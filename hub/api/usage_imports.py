"""Presence imports: check a CSV of presence lines, then import or discard it.

The operation registry reads JSON bodies only, so the CSV is sent as text in
``{"filename": ..., "content": ...}``; the service's ``file`` errors are
reported on ``content``. Hub admins only.
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from hub.accounts.permissions import administered_hub
from hub.api import schemas as s
from hub.api.operations import operation, read_body
from hub.errors import ValidationFailed
from hub.usage import imports
from hub.usage.models import ImportStatus, UsageImport

TAG = "usage"


def _out(usage_import: UsageImport, report: imports.ImportReport | None) -> dict[str, Any]:
    data = s.UsageImportSummary.model_validate(usage_import).model_dump()
    return data | {
        "already_counted": report.already_counted if report else None,
        "records": report.records if report else None,
        "problems": [{"line": line, "reason": reason} for line, reason in report.bad]
        if report
        else [],
    }


@operation(
    "GET",
    "/hubs/<slug>/usage-imports",
    summary="List a hub's presence imports",
    tag=TAG,
    response=s.UsageImportSummary,
    many=True,
)
def list_usage_imports(slug: str) -> Any:
    """Newest first."""
    return imports.imports_of(administered_hub(slug))


@operation(
    "POST",
    "/hubs/<slug>/usage-imports",
    summary="Check a CSV of presence lines (nothing is counted yet)",
    tag=TAG,
    request=s.UsageImportCreate,
    response=s.UsageImportReport,
    status=201,
)
def create_usage_import(slug: str) -> Any:
    """Stores the file as a previewed import and reports every bad line.

    Confirm it with ``POST .../confirm`` to count the good lines. A file that
    cannot be read at all (no header, too large, too many lines) is a 422 on
    ``content`` and stores nothing.
    """
    hub = administered_hub(slug)
    body = read_body()
    try:
        usage_import, report = imports.preview_import(
            hub, body.filename, body.content.encode("utf-8"), current_user
        )
    except ValidationFailed as exc:
        raise ValidationFailed(
            {("content" if k == "file" else k): v for k, v in exc.errors.items()}
        ) from None
    return _out(usage_import, report), 201


@operation(
    "GET",
    "/hubs/<slug>/usage-imports/<id:import_id>",
    summary="Get a presence import and its report",
    tag=TAG,
    response=s.UsageImportReport,
)
def get_usage_import(slug: str, import_id: int) -> Any:
    usage_import = imports.get_import(administered_hub(slug), import_id)
    report = None
    if usage_import.status == ImportStatus.PREVIEWED:
        report = imports.check_import(usage_import)
    return _out(usage_import, report)


@operation(
    "POST",
    "/hubs/<slug>/usage-imports/<id:import_id>/confirm",
    summary="Import the good lines of a previewed import",
    tag=TAG,
    response=s.UsageImportSummary,
)
def confirm_usage_import(slug: str, import_id: int) -> Any:
    """409 unless the import is previewed; 422 when it has no good lines."""
    usage_import = imports.get_import(administered_hub(slug), import_id)
    return imports.confirm_import(usage_import, current_user)


@operation(
    "POST",
    "/hubs/<slug>/usage-imports/<id:import_id>/discard",
    summary="Discard a previewed import",
    tag=TAG,
    response=s.UsageImportSummary,
)
def discard_usage_import(slug: str, import_id: int) -> Any:
    """409 unless the import is previewed. The file's text is not kept."""
    usage_import = imports.get_import(administered_hub(slug), import_id)
    return imports.discard_import(usage_import, current_user)
