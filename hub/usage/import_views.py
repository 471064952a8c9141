"""Admin pages to import presence from an access-card system or a manual list.

Upload a file, read the report (every bad line with its number and reason),
then import the good lines or discard the file. Hub admins only.
"""

from __future__ import annotations

import csv
import io

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from hub.accounts import permissions
from hub.errors import Conflict, ValidationFailed
from hub.forms import apply_errors
from hub.spaces.models import Hub
from hub.usage import imports
from hub.usage.import_forms import UsageImportForm
from hub.usage.models import ImportStatus, UsageImport

bp = Blueprint("usage_imports", __name__, url_prefix="/admin/hubs/<slug>/usage-imports")

Page = str | tuple[str, int] | Response

# The preview page lists this many bad lines; the CSV download has all of them.
SHOWN_BAD_LINES = 1000

STATUS_LABELS = {
    ImportStatus.PREVIEWED.value: _l("Checked, not imported"),
    ImportStatus.IMPORTED.value: _l("Imported"),
    ImportStatus.DISCARDED.value: _l("Discarded"),
}


def _new_page(hub: Hub, form: UsageImportForm, status: int = 200) -> tuple[str, int]:
    return render_template(
        "usage/import_new.html",
        title=_("Import presence into %(hub)s", hub=hub.name),
        hub=hub,
        form=form,
    ), status


@bp.get("")
@login_required
def import_list(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    return render_template(
        "usage/import_list.html",
        title=_("Presence imports for %(hub)s", hub=hub.name),
        hub=hub,
        imports=imports.imports_of(hub),
        import_status_labels=STATUS_LABELS,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def import_new(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    form = UsageImportForm()
    if not form.validate_on_submit():
        return _new_page(hub, form, 422 if form.is_submitted() else 200)
    upload = form.file.data
    # One byte more than allowed is enough to know the file is too large.
    data = upload.stream.read(imports.MAX_BYTES + 1)
    try:
        usage_import, _report = imports.preview_import(hub, upload.filename, data, current_user)
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return _new_page(hub, form, 422)
    return redirect(url_for(".import_preview", slug=hub.slug, import_id=usage_import.id), 303)


def _import(slug: str, import_id: int) -> tuple[Hub, UsageImport]:
    hub = permissions.administered_hub(slug)
    return hub, imports.get_import(hub, import_id)


@bp.get("/<int:import_id>")
@login_required
def import_preview(slug: str, import_id: int) -> Page:
    hub, usage_import = _import(slug, import_id)
    report = None
    if usage_import.status == ImportStatus.PREVIEWED:
        report = imports.check_import(usage_import)
    return render_template(
        "usage/import_preview.html",
        title=_("Import of %(file)s", file=usage_import.filename),
        hub=hub,
        usage_import=usage_import,
        report=report,
        shown_bad_lines=SHOWN_BAD_LINES,
        import_status_labels=STATUS_LABELS,
    )


@bp.get("/<int:import_id>/bad-lines.csv")
@login_required
def import_bad_lines(slug: str, import_id: int) -> Response:
    """Every bad line of a previewed import as CSV (line, reason)."""
    _hub, usage_import = _import(slug, import_id)
    report = imports.check_import(usage_import)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["line", "reason"])
    for line, reason in report.bad:
        # A reason quotes the file; never let a spreadsheet read it as a formula.
        writer.writerow([line, "'" + reason if reason[:1] in "=+-@\t\r" else reason])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="bad-lines-{usage_import.id}.csv"'
    )
    return response


@bp.post("/<int:import_id>/confirm")
@login_required
def import_confirm(slug: str, import_id: int) -> Response:
    hub, usage_import = _import(slug, import_id)
    try:
        imports.confirm_import(usage_import, current_user)
    except (Conflict, ValidationFailed) as exc:
        message = exc.message if isinstance(exc, Conflict) else exc.sentence()
        flash(message, "error")
        return redirect(url_for(".import_preview", slug=hub.slug, import_id=import_id), 303)
    flash(
        _(
            "%(count)d lines from %(file)s have been imported.",
            count=usage_import.good_lines,
            file=usage_import.filename,
        ),
        "success",
    )
    return redirect(url_for(".import_list", slug=hub.slug), 303)


@bp.post("/<int:import_id>/discard")
@login_required
def import_discard(slug: str, import_id: int) -> Response:
    hub, usage_import = _import(slug, import_id)
    try:
        imports.discard_import(usage_import, current_user)
    except Conflict as exc:
        flash(exc.message, "error")
        return redirect(url_for(".import_preview", slug=hub.slug, import_id=import_id), 303)
    flash(_("The file %(file)s has been discarded.", file=usage_import.filename), "success")
    return redirect(url_for(".import_list", slug=hub.slug), 303)
