"""Pages for finding a free place, booking it, and the person's own bookings."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from hub.accounts.views import safe_next
from hub.booking import availability, notify, recurrence, service
from hub.booking.forms import DayBookingForm, RoomBookingForm, SeriesForm
from hub.booking.rules import GRID_MINUTES, day_presets
from hub.errors import Conflict, ValidationFailed
from hub.forms import apply_errors
from hub.spaces import opening
from hub.spaces import service as spaces
from hub.spaces.models import Hub, Space, SpaceKind

bp = Blueprint("booking", __name__)


def _today(hub: Hub) -> date:
    return datetime.now(ZoneInfo(hub.timezone)).date()


def _parse_day(value: str | None, hub: Hub) -> date:
    try:
        return date.fromisoformat(value) if value else _today(hub)
    except ValueError:
        abort(404)


@bp.get("/hubs/<slug>/availability")
def hub_availability(slug: str) -> str:
    hub = spaces.get_hub(slug)
    view = "week" if request.args.get("view") == "week" else "day"
    first = _parse_day(request.args.get("date"), hub)
    if view == "week":
        first -= timedelta(days=first.weekday())
    kind_arg = request.args.get("kind") or None
    kind = SpaceKind(kind_arg) if kind_arg in {k.value for k in SpaceKind} else None
    capacity = request.args.get("capacity", type=int)
    days = 7 if view == "week" else 1
    rows = availability.hub_availability(
        hub, first, days, current_user, kind=kind, min_capacity=capacity
    )
    step = timedelta(days=days)
    return render_template(
        "booking/availability.html",
        title=_("Availability in %(hub)s", hub=hub.name),
        hub=hub,
        rows=rows,
        view=view,
        first=first,
        days=availability.local_days(first, days),
        previous=first - step,
        next=first + step,
        kind=kind_arg or "",
        capacity=capacity,
        zone=ZoneInfo(hub.timezone),
        holidays=opening.public_holidays(first.year),
    )


def _time_choices(hub: Hub, day: date) -> list[SelectChoice]:
    hours = spaces.weekly_hours(hub).get(day.weekday()) or (time(8), time(16))
    start = datetime.combine(day, hours[0])
    end = datetime.combine(day, hours[1])
    choices = []
    while start <= end:
        choices.append(SelectChoice(start.strftime("%H:%M")))
        start += timedelta(minutes=GRID_MINUTES)
    return choices


def _organization_choices() -> list[SelectChoice]:
    return [SelectChoice(o.id, o.name) for o in service.billable_organizations(current_user)]


@bp.route("/hubs/<slug>/book/<int:space_id>", methods=["GET", "POST"])
@login_required
def book(slug: str, space_id: int) -> Response | tuple[str, int] | str:
    hub = spaces.get_hub(slug)
    space = spaces.get_space(space_id)
    if space.hub_id != hub.id or not space.bookable or not space.active:
        abort(404)
    is_room = space.kind == SpaceKind.MEETING_ROOM
    day = _parse_day(request.args.get("date"), hub)
    form = RoomBookingForm() if is_room else DayBookingForm()
    form.organization_id.choices = _organization_choices()
    if request.method == "GET":
        form.organization_id.data = current_user.home_organization_id
        if is_room:
            form.day.data = day
            form.participants.data = 1
        else:
            form.first_day.data = day
            form.part.data = request.args.get("part", "day")
    chosen_day = (form.day.data if is_room else form.first_day.data) or day
    if is_room:
        form.start.choices = form.end.choices = _time_choices(hub, chosen_day)
    status = 200
    if form.validate_on_submit():
        try:
            intervals = _room_interval(hub, form) if is_room else _day_intervals(hub, form)
            created = service.create_bookings(
                current_user,
                space,
                intervals,
                organization_id=form.organization_id.data,
                participants=form.participants.data if is_room else None,
                title=(form.title.data or None) if is_room else None,
            )
        except ValidationFailed as exc:
            apply_errors(form, _rename_fields(exc, is_room))
            status = 422
        except Conflict as exc:
            form.form_errors.append(exc.message)
            status = 409
        else:
            notify.booking_created(created)
            flash(
                _("Booked: %(space)s, %(n)d time(s).", space=space.name, n=len(created)),
                "success",
            )
            return redirect(url_for("booking.my_bookings"))
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "booking/book.html",
            title=_("Book %(space)s", space=space.name),
            hub=hub,
            space=space,
            form=form,
            is_room=is_room,
        ),
        status,
    )


def _rename_fields(exc: ValidationFailed, is_room: bool) -> ValidationFailed:
    """Service fields (start, end) onto this form's fields."""
    mapping = (
        {"start": "start", "end": "end"} if is_room else {"start": "first_day", "end": "first_day"}
    )
    return ValidationFailed({mapping.get(k, k): v for k, v in exc.errors.items()})


def _room_interval(hub: Hub, form: RoomBookingForm) -> list[tuple[datetime, datetime]]:
    zone = ZoneInfo(hub.timezone)
    start = datetime.combine(form.day.data, time.fromisoformat(form.start.data), tzinfo=zone)
    end = datetime.combine(form.day.data, time.fromisoformat(form.end.data), tzinfo=zone)
    return [(start, end)]


def _day_intervals(hub: Hub, form: DayBookingForm) -> list[tuple[datetime, datetime]]:
    first: date = form.first_day.data
    last: date = form.last_day.data or first
    if last < first:
        raise ValidationFailed({"last_day": [_("The last day cannot be before the first day.")]})
    if (last - first).days > 31:
        raise ValidationFailed({"last_day": [_("Book at most 31 days at once.")]})
    weekly, closed = spaces.weekly_hours(hub), spaces.closed_days(hub)
    intervals = []
    day = first
    while day <= last:
        hours = opening.opening_interval(day, weekly, hub.timezone, closed)
        if hours is not None:
            intervals.append(day_presets(hours)[form.part.data])
        elif first == last:
            raise ValidationFailed(
                {
                    "first_day": [
                        _("The hub is closed that day (weekend, public holiday or closed day).")
                    ]
                }
            )
        day += timedelta(days=1)
    if not intervals:
        raise ValidationFailed({"first_day": [_("The hub is closed on all these days.")]})
    return intervals


@bp.get("/bookings")
@login_required
def my_bookings() -> str:
    return render_template(
        "booking/my_bookings.html",
        title=_("My bookings"),
        upcoming=service.bookings_of(current_user, upcoming=True),
        past=service.bookings_of(current_user, upcoming=False, limit=50),
    )


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int) -> Response:
    booking = service.visible_booking(booking_id, current_user)
    try:
        service.cancel_booking(booking, current_user)
        notify.booking_cancelled([booking])
        flash(_("The booking is cancelled."), "success")
    except ValidationFailed as exc:
        flash(exc.sentence(), "error")
    return redirect(url_for("booking.my_bookings"))


@bp.post("/bookings/<int:booking_id>/check-in")
@login_required
def check_in(booking_id: int) -> Response:
    booking = service.visible_booking(booking_id, current_user)
    try:
        service.check_in(booking, current_user)
        flash(_("You are checked in. Welcome!"), "success")
    except ValidationFailed as exc:
        flash(exc.sentence(), "error")
    return redirect(safe_next(request.form.get("next"), url_for("booking.my_bookings")))


@bp.post("/bookings/<int:booking_id>/check-out")
@login_required
def check_out(booking_id: int) -> Response:
    booking = service.visible_booking(booking_id, current_user)
    try:
        sequence = booking.sequence
        service.check_out(booking, current_user)
        if booking.sequence != sequence:  # the end moved: update the person's calendar
            notify.booking_checked_out(booking)
        flash(_("You are checked out; the place is free for others."), "success")
    except ValidationFailed as exc:
        flash(exc.sentence(), "error")
    return redirect(url_for("booking.my_bookings"))


@bp.route("/s/<code>", methods=["GET", "POST"])
@login_required
def space_checkin(code: str) -> Response | str:
    """The short link on a space's sign: check in to a booking, or drop in."""
    space: Space = service.find_space_by_code(code)
    booking = service.current_booking(space, current_user)
    if request.method == "POST":
        try:
            if booking is not None:
                service.check_in(booking, current_user)
            else:
                notify.booking_created([service.drop_in(current_user, space)])
            flash(_("You are checked in at %(space)s. Welcome!", space=space.name), "success")
            return redirect(url_for("booking.my_bookings"))
        except ValidationFailed as exc:
            flash(exc.sentence(), "error")
        except Conflict as exc:
            flash(exc.message, "error")
        return redirect(url_for("booking.space_checkin", code=code))
    return render_template(
        "booking/space_checkin.html", title=space.name, space=space, booking=booking
    )


@bp.get("/admin/hubs/<slug>/approvals")
@login_required
def approvals(slug: str) -> str:
    from hub.accounts import permissions

    hub = permissions.administered_hub(slug)
    return render_template(
        "booking/approvals.html",
        title=_("Bookings awaiting approval"),
        hub=hub,
        pending=service.pending_approvals(hub),
    )


@bp.post("/admin/hubs/<slug>/approvals/<int:booking_id>")
@login_required
def decide(slug: str, booking_id: int) -> Response:
    from hub.accounts import permissions

    hub = permissions.administered_hub(slug)
    booking = service.get_booking(booking_id)
    if booking.hub_id != hub.id:
        abort(404)
    approve = request.form.get("decision") == "approve"
    try:
        service.decide_booking(booking, current_user, approve)
    except ValidationFailed as exc:
        flash(exc.sentence(), "error")
    else:
        notify.booking_decided(booking)
        flash(_("Approved.") if approve else _("Declined."), "success")
    return redirect(url_for("booking.approvals", slug=slug))


@bp.route("/hubs/<slug>/book/<int:space_id>/weekly", methods=["GET", "POST"])
@login_required
def book_series(slug: str, space_id: int) -> Response | tuple[str, int] | str:
    """Weekly bookings: first show which dates are free, then book those or none."""
    hub = spaces.get_hub(slug)
    space = spaces.get_space(space_id)
    if space.hub_id != hub.id or not space.bookable or not space.active:
        abort(404)
    is_room = space.kind == SpaceKind.MEETING_ROOM
    form = SeriesForm()
    form.organization_id.choices = _organization_choices()
    day = _parse_day(request.args.get("date"), hub)
    form.start.choices = form.end.choices = _time_choices(hub, day)
    if request.method == "GET":
        form.first_day.data = day
        form.until.data = day + timedelta(weeks=4)
        form.weekdays.data = [day.weekday()] if day.weekday() < 5 else [0]
        form.organization_id.data = current_user.home_organization_id
        form.participants.data = 1
    occurrences = None
    status = 200
    if form.validate_on_submit():
        try:
            recurrence.check_request(form.first_day.data, form.until.data, form.weekdays.data)
            interval_for = _series_interval(hub, form, is_room)
            if "confirm" in request.form:
                _series, created = recurrence.book_free(
                    current_user,
                    space,
                    form.first_day.data,
                    form.until.data,
                    form.weekdays.data,
                    interval_for,
                    organization_id=form.organization_id.data,
                    participants=form.participants.data if is_room else None,
                )
                notify.booking_created(created)
                flash(_("Booked %(n)d dates in the series.", n=len(created)), "success")
                return redirect(url_for("booking.my_bookings"))
            occurrences = recurrence.plan(
                space, form.first_day.data, form.until.data, form.weekdays.data, interval_for
            )
        except ValidationFailed as exc:
            apply_errors(form, _rename_fields(exc, is_room))
            status = 422
        except Conflict as exc:
            form.form_errors.append(exc.message)
            status = 409
    elif request.method == "POST":
        status = 422
    return (
        render_template(
            "booking/book_series.html",
            title=_("Book %(space)s every week", space=space.name),
            hub=hub,
            space=space,
            form=form,
            is_room=is_room,
            occurrences=occurrences,
            free_count=sum(1 for o in occurrences or [] if o.state == "free"),
        ),
        status,
    )


def _series_interval(hub: Hub, form: SeriesForm, is_room: bool):  # type: ignore[no-untyped-def]
    zone = ZoneInfo(hub.timezone)
    weekly, closed = spaces.weekly_hours(hub), spaces.closed_days(hub)
    if is_room and (not form.start.data or not form.end.data):
        raise ValidationFailed({"start": [_("Choose a start and an end time.")]})

    def interval_for(day: date) -> tuple[datetime, datetime] | None:
        hours = opening.opening_interval(day, weekly, hub.timezone, closed)
        if hours is None:
            return None
        if is_room:
            return (
                datetime.combine(day, time.fromisoformat(form.start.data), tzinfo=zone),
                datetime.combine(day, time.fromisoformat(form.end.data), tzinfo=zone),
            )
        return day_presets(hours)[form.part.data]

    return interval_for


@bp.post("/bookings/<int:booking_id>/cancel-series")
@login_required
def cancel_series(booking_id: int) -> Response:
    booking = service.visible_booking(booking_id, current_user)
    try:
        cancelled = recurrence.cancel_rest_of_series(booking, current_user)
        notify.booking_cancelled(cancelled)
        flash(_("Cancelled %(n)d bookings in the series.", n=len(cancelled)), "success")
    except ValidationFailed as exc:
        flash(exc.sentence(), "error")
    return redirect(url_for("booking.my_bookings"))


@bp.get("/admin/hubs/<slug>/spaces/<int:space_id>/sign")
@login_required
def space_sign(slug: str, space_id: int) -> str:
    """A printable sign for the space: its name, short link and QR code for check-in."""
    import io

    import segno
    from flask import current_app
    from markupsafe import Markup

    from hub.accounts import permissions

    hub = permissions.administered_hub(slug)
    space = spaces.get_space(space_id)
    if space.hub_id != hub.id:
        abort(404)
    link = current_app.config["PUBLIC_URL"].rstrip("/") + f"/s/{space.checkin_code}"
    buffer = io.BytesIO()
    segno.make(link, error="m").save(
        buffer, kind="svg", scale=8, border=2, xmldecl=False, svgclass="qr-code", title=link
    )
    return render_template(
        "booking/space_sign.html",
        title=_("Sign for %(space)s", space=space.name),
        hub=hub,
        space=space,
        link=link,
        qr_svg=Markup(buffer.getvalue().decode()),  # generated here, not user input
    )


@bp.get("/admin/hubs/<slug>/bookings")
@login_required
def hub_bookings(slug: str) -> str:
    """The host's list of one day's bookings, to check people in or cancel."""
    from hub.accounts import permissions

    hub = permissions.administered_hub(slug)
    day = _parse_day(request.args.get("date"), hub)
    return render_template(
        "booking/hub_bookings.html",
        title=_("Bookings in %(hub)s", hub=hub.name),
        hub=hub,
        day=day,
        bookings=service.bookings_on(hub, day),
        previous=day - timedelta(days=1),
        next=day + timedelta(days=1),
    )
