"""Admin pages for a hub's financing model: the year's model, the cost share, what-if.

The figures come from ``hub.finance.cost_share`` (the allocation engine fed from
the database) and the words from ``hub.finance.explain``; these views only read
the query string, check the rights, call the services and render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from hub.accounts import permissions
from hub.errors import FieldErrors, ValidationFailed
from hub.finance import allocation as engine
from hub.finance import cost_share, financing, whatif
from hub.finance.explain import explain, percent
from hub.finance.financing_forms import CANDIDATE_FIELDS, CandidateForm, FinancingModelForm
from hub.finance.labels import (
    CADENCE_LABELS,
    KEY_DESCRIPTIONS,
    KEY_LABELS,
    SURPLUS_POLICY_LABELS,
)
from hub.finance.models import FinancingModel
from hub.forms import apply_errors, form_errors, form_status, form_values, save_submitted
from hub.money import format_nok, ore_to_decimal
from hub.spaces.models import Hub
from hub.usage import charts, export
from hub.web import error_response

bp = Blueprint("financing", __name__, url_prefix="/admin/hubs/<slug>/financing")

Page = str | tuple[str, int] | Response

CANDIDATES = 4  # c1_ .. c4_ on the what-if page; c1 and c2 are always compared
CSV_COLUMNS = ("organization_id", "organization", "component", "amount_nok", "explanation")


def signed_nok(ore: int) -> str:
    """A difference: '+kr 1 200,00', '−kr 1 200,00' or 'kr 0,00'."""
    if ore > 0:
        return "+" + format_nok(ore)
    if ore < 0:
        return "\u2212" + format_nok(-ore)
    return format_nok(0)


def describe(model: engine.Model) -> str:
    """The key in words: 'Measured use', 'Blend: 50 % equal shares, 50 % measured use'."""
    if model.key is engine.Key.BLEND:
        parts = ", ".join(
            _(
                "%(percent)s %(key)s",
                percent=percent(Fraction(pct) / 100),
                key=str(KEY_LABELS[key]).lower(),
            )
            for key, pct in model.blend
            if pct
        )
        return _("Blend: %(parts)s", parts=parts)
    return str(KEY_LABELS[model.key])


@bp.context_processor
def _helpers() -> dict[str, Any]:
    return {
        "format_date": format_date,
        "signed_nok": signed_nok,
        "key_labels": KEY_LABELS,
        "key_descriptions": KEY_DESCRIPTIONS,
        "surplus_policy_labels": SURPLUS_POLICY_LABELS,
        "cadence_labels": CADENCE_LABELS,
    }


# --- the year and the period from the query string ---------------------------------


def _day(text: str | None) -> date | str | None:
    """A date, None when left empty, or the text as typed (check_period names it)."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return text


@dataclass(frozen=True, slots=True)
class Period:
    year: int
    first: Any  # a date when ``errors`` is empty
    last: Any
    errors: dict[str, list[str]]
    typed: Mapping[str, str]

    def value(self, name: str) -> str:
        """What the field shows: what was typed, else the day used."""
        if self.typed.get(name):
            return self.typed[name]
        day = self.first if name == "from" else self.last
        return day.isoformat() if isinstance(day, date) else str(day or "")

    def args(self) -> dict[str, str]:
        """from and to as typed, to keep them across a redirect."""
        return {k: self.typed[k] for k in ("from", "to") if self.typed.get(k)}


def _period(hub: Hub, args: Mapping[str, str]) -> Period:
    """``year`` (default: the year of ``from``, else this year in the hub's
    timezone) and ``from``/``to`` within it (default: the whole year)."""
    errors = FieldErrors()
    first, last = _day(args.get("from")), _day(args.get("to"))
    year: int | None = None
    text = (args.get("year") or "").strip()
    if text:
        year = int(text) if text.isascii() and text.isdigit() else None
        if year is None or not financing.MIN_YEAR <= year <= financing.MAX_YEAR:
            errors.add(
                "year",
                _(
                    "Give a year from %(min)s to %(max)s.",
                    min=financing.MIN_YEAR,
                    max=financing.MAX_YEAR,
                ),
            )
            year = None
    explicit = year is not None
    if year is None:
        year = first.year if isinstance(first, date) else hub.today().year
    first = date(year, 1, 1) if first is None else first
    last = date(year, 12, 31) if last is None else last
    cost_share.check_period(first, last, errors)
    if explicit and isinstance(first, date) and not errors.errors and first.year != year:
        errors.add(
            "from", _("Choose days in %(year)s, the year of the model on this page.", year=year)
        )
    return Period(year, first, last, errors.errors, dict(args))


# --- the year's model and the cost share ------------------------------------------


@dataclass(frozen=True, slots=True)
class Preview:
    result: engine.Allocation
    lines: list[cost_share.Line]
    costs: list[tuple[str, int, str]]
    funding: list[tuple[str, int, str]]
    model_text: str

    @property
    def total_ore(self) -> int:
        return sum(line.amount_ore for line in self.lines)


def _preview(hub: Hub, period: Period) -> Preview:
    model = cost_share.model_for(hub, period.year).to_model()
    result = cost_share.compute(hub, period.first, period.last, model)
    return Preview(
        result=result,
        lines=cost_share.lines(result),
        costs=cost_share.pool_rows(result.costs),
        funding=cost_share.pool_rows(result.funding),
        model_text=describe(model),
    )


def _overview_page(hub: Hub, period: Period, form: FinancingModelForm) -> Page:
    year = period.year
    saved = cost_share.saved_model(hub, year) is not None
    preview = None if period.errors else _preview(hub, period)
    status = 422 if period.errors else form_status(form)
    return render_template(
        "finance/financing.html",
        hub=hub,
        year=year,
        form=form,
        saved=saved,
        copied_from=None if saved else getattr(cost_share.latest_before(hub, year), "year", None),
        period=period,
        preview=preview,
        min_year=financing.MIN_YEAR,
        max_year=financing.MAX_YEAR,
        title=_("Financing of %(hub)s in %(year)s", hub=hub.name, year=year),
    ), status


@bp.route("", methods=["GET", "POST"])
@login_required
def overview(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    period = _period(hub, request.args)
    year = period.year
    form = FinancingModelForm(obj=cost_share.model_for(hub, year))
    if "year" not in period.errors and save_submitted(
        form, lambda: financing.save_model(hub, year, form_values(form))
    ):
        flash(_("The financing model for %(year)s has been saved.", year=year), "success")
        return redirect(url_for(".overview", slug=hub.slug, year=year, **period.args()), 303)
    return _overview_page(hub, period, form)


def csv_rows(result: engine.Allocation) -> list[dict[str, Any]]:
    """One row per part of each organization's share, then the hub's own lines."""
    rows = [
        {
            "organization_id": share.organization_id,
            "organization": share.name,
            "component": part.component.value,
            "amount_nok": ore_to_decimal(part.amount_ore),
            "explanation": explain(part, result),
        }
        for share in result.shares
        for part in share.parts
    ]
    for line in cost_share.lines(result):
        if line.organization_id is not None:
            continue
        # cost_share.lines adds two kinds of hub lines: what nobody carries (> 0)
        # and the surplus the hub keeps (< 0).
        component = "uncovered" if line.amount_ore > 0 else "surplus_kept"
        rows.append(
            {
                "organization_id": "",
                "organization": line.name,
                "component": component,
                "amount_nok": ore_to_decimal(line.amount_ore),
                "explanation": line.parts[0][2] if line.parts else "",
            }
        )
    return rows


@bp.get("/cost-share.csv")
@login_required
def cost_share_csv(slug: str) -> Page:
    """The cost share preview as CSV: UTF-8 with a byte-order mark, decimal points."""
    hub = permissions.administered_hub(slug)
    period = _period(hub, request.args)
    if period.errors:
        form = FinancingModelForm(obj=cost_share.model_for(hub, period.year))
        return _overview_page(hub, period, form)
    model = cost_share.model_for(hub, period.year).to_model()
    result = cost_share.compute(hub, period.first, period.last, model)
    body = "".join(export.to_csv(CSV_COLUMNS, iter(csv_rows(result))))
    name = f"cost-share-{hub.slug}-{period.first.isoformat()}-{period.last.isoformat()}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


# --- what-if -------------------------------------------------------------------------


@dataclass(slots=True)
class Candidate:
    number: int
    form: CandidateForm
    used: bool = True
    model: engine.Model | None = None

    @property
    def name(self) -> str:
        assert self.model is not None
        return _("Candidate %(number)s: %(model)s", number=self.number, model=describe(self.model))

    def hidden(self) -> list[tuple[str, str]]:
        """The candidate's fields as typed, for the form that saves it."""
        values = []
        for name in CANDIDATE_FIELDS:
            field = self.form[name]
            value = field.data if field.type == "RadioField" else field._value()
            values.append((name, "" if value is None else str(value)))
        return values


def _candidate_defaults(current: FinancingModel) -> list[dict[str, Any]]:
    """c1: the year's model; c2: measured use; c3: half equal, half use; c4: not used."""
    base = {name: getattr(current, name) for name in CANDIDATE_FIELDS if name != "key"}
    no_blend = dict.fromkeys(financing.BLEND_FIELDS, 0)
    first = {"key": current.key, **base}
    use = {**base, **no_blend, "key": engine.Key.USE.value}
    blend = {**base, **no_blend, "key": engine.Key.BLEND.value}
    blend |= {"blend_equal_pct": 50, "blend_use_pct": 50}
    return [first, use, blend, {**base, **no_blend, "key": ""}]


def _candidates(args: Mapping[str, str], current: FinancingModel) -> list[Candidate]:
    prefixes = [f"c{n}_" for n in range(1, CANDIDATES + 1)]
    submitted = any(key.startswith(tuple(prefixes)) for key in args)
    defaults = _candidate_defaults(current)
    out = []
    for number, prefix in enumerate(prefixes, start=1):
        form = CandidateForm(
            formdata=args if submitted else None,
            data=None if submitted else defaults[number - 1],
            prefix=prefix,
            meta={"csrf": False},
        )
        if number > 2:
            form.allow_not_used(_("Not used"))
        candidate = Candidate(number, form, used=number <= 2 or bool(form.key.data))
        if candidate.used and form.validate():
            try:
                candidate.model = financing.candidate(form_values(form))
            except ValidationFailed as exc:
                apply_errors(form, exc)
        out.append(candidate)
    return out


def _kroner(ore: int) -> int:
    """Whole kroner for the picture, never below zero (the table has the exact figures)."""
    return max(0, (ore + 50) // 100)


@bp.get("/what-if", endpoint="whatif")
@login_required
def whatif_page(slug: str) -> Page:
    hub = permissions.administered_hub(slug)
    period = _period(hub, request.args)
    candidates = _candidates(request.args, cost_share.model_for(hub, period.year))
    used = [c for c in candidates if c.used]
    failed = bool(period.errors) or any(c.model is None for c in used)
    comparison = chart = net_cost = None
    if not failed:
        results = [
            (c.name, cost_share.compute(hub, period.first, period.last, c.model)) for c in used
        ]
        comparison = whatif.compare(results)
        chart = charts.rows(
            [row.name for row in comparison.rows],
            [[_kroner(row.amounts[i]) for row in comparison.rows] for i in range(len(used))],
            value_format="{:.0f}",
            tick_format="{:.0f}",
            label_width=220,
            row_height=max(28, 10 * len(used) + 8),
        )
        net_cost = results[0][1].net_cost_ore
    labels = {"from": _("From"), "to": _("To"), "year": _("Year")}
    errors = [
        (f"whatif-{'to' if name == 'to' else 'from'}", labels.get(name, name), message)
        for name, messages in period.errors.items()
        for message in messages
    ]
    for c in candidates:
        errors += [
            (ident, _("Candidate %(number)s: %(field)s", number=c.number, field=label), message)
            for ident, label, message in form_errors(c.form)
        ]
    return render_template(
        "finance/whatif.html",
        hub=hub,
        year=period.year,
        period=period,
        candidates=candidates,
        used=used,
        comparison=comparison,
        chart=chart,
        net_cost=net_cost,
        errors=errors,
        title=_("Compare financing models for %(hub)s", hub=hub.name),
    ), (422 if failed else 200)


@bp.post("/what-if/save")
@login_required
def whatif_save(slug: str) -> Page:
    """Store one candidate as the year's model, keeping the year's statement settings."""
    hub = permissions.administered_hub(slug)
    text = (request.form.get("year") or "").strip()
    year: Any = int(text) if text.isascii() and text.isdigit() else text
    form = CandidateForm()
    failure: list[ValidationFailed] = []
    saved = save_submitted(
        form, lambda: financing.save_model(hub, year, form_values(form)), failure.append
    )
    if saved is not None:
        flash(
            _(
                "The model for %(year)s has been saved: %(model)s.",
                year=year,
                model=describe(saved.to_model()),
            ),
            "success",
        )
        return redirect(url_for(".overview", slug=hub.slug, year=year), 303)
    if not isinstance(year, int) or any("year" in exc.errors for exc in failure):
        message = " ".join(exc.sentence() for exc in failure) or _("Give a year.")
        return error_response(422, message)
    # Show the year's whole model with the candidate in it and the errors next to
    # the fields (a stored setting the candidate does not touch may be what fails).
    current = cost_share.model_for(hub, year)
    values = {name: getattr(current, name) for name in financing.MODEL_FIELDS}
    values |= {name: form[name].data for name in CANDIDATE_FIELDS}
    model_form = FinancingModelForm(formdata=None, data=values, meta={"csrf": False})
    for name in CANDIDATE_FIELDS:
        model_form[name].raw_data = form[name].raw_data
        model_form[name].errors = list(form[name].errors)
    for exc in failure:
        apply_errors(model_form, exc)
    period = _period(hub, {"year": str(year)})
    return _overview_page(hub, period, model_form)
