"""Domain services against a real database (SQLite and PostgreSQL)."""

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from hub.accounts import service as accounts
from hub.accounts.models import Membership, Organization, Role, User
from hub.errors import ValidationFailed
from hub.extensions import db
from hub.finance import service as finance
from hub.spaces import service as spaces
from hub.spaces.models import Hub, Space


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_organization_number_is_checked_and_normalized(app):
    org = accounts.create_organization(
        {"name": "Brønnøysundregistrene", "kind": "state_agency", "org_number": "974 760 673"}
    )
    assert org.org_number == "974760673"
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_organization(
            {"name": "Feil", "kind": "state_agency", "org_number": "974760674"}
        )
    assert list(exc.value.errors) == ["org_number"]


def test_every_problem_is_reported_at_once(app):
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_organization({"name": "", "kind": "ministry", "org_number": "1"})
    assert set(exc.value.errors) == {"name", "kind", "org_number"}
    assert count(Organization) == 0


def test_duplicate_email_in_other_case_is_refused(app, make_org):
    org = make_org()
    accounts.create_user(
        {"email": "Kari@Example.no", "name": "Kari", "home_organization_id": org.id}
    )
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_user(
            {"email": "kari@example.NO", "name": "Kari 2", "home_organization_id": org.id}
        )
    assert "email" in exc.value.errors


def test_database_guarantees_case_insensitive_unique_email(app, make_org):
    org = make_org()
    db.session.add(User(email="ola@example.no", name="Ola", home_organization_id=org.id))
    db.session.flush()
    db.session.add(User(email="OLA@example.no", name="Ola 2", home_organization_id=org.id))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_database_refuses_negative_capacity(app, make_hub):
    hub = make_hub()
    db.session.add(
        Space(hub_id=hub.id, name="X", kind="desk", capacity=-1, bookable=True, active=True)
    )
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_space_rules(app, make_hub, make_space):
    hub = make_hub()
    make_space(hub, name="Møterom 1", kind="meeting_room", capacity=8)
    cases = [
        ({"name": "Pult", "kind": "desk", "capacity": -2}, "capacity"),
        ({"name": "møterom 1", "kind": "meeting_room", "capacity": 4}, "name"),
        ({"name": "Lounge", "kind": "common_area", "capacity": 0, "bookable": True}, "bookable"),
        ({"name": "Tomt", "kind": "meeting_room", "capacity": 0}, "capacity"),
        ({"name": "Areal", "kind": "cell", "area_m2": "-3"}, "area_m2"),
    ]
    for values, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            spaces.create_space(hub, values)
        assert field in exc.value.errors, values
    assert count(Space) == 1
    lounge = spaces.create_space(
        hub, {"name": "Lounge", "kind": "common_area", "area_m2": "40,5".replace(",", ".")}
    )
    assert lounge.bookable is False


def test_hub_rules(app, make_hub):
    make_hub(slug="regionlab-lister")
    with pytest.raises(ValidationFailed) as exc:
        spaces.create_hub(
            {
                "slug": "regionlab-lister",
                "name": "",
                "municipality": "Lyngdal",
                "timezone": "Europe/Lyngdal",
            }
        )
    assert set(exc.value.errors) == {"slug", "name", "timezone"}
    assert count(Hub) == 1


def test_new_hub_gets_weekday_opening_hours(app, make_hub):
    hub = make_hub()
    assert sorted(spaces.weekly_hours(hub)) == [0, 1, 2, 3, 4]


def test_memberships_of_same_kind_may_not_overlap(app, make_hub, make_org):
    hub, org = make_hub(), make_org()
    accounts.create_membership(
        hub,
        {
            "organization_id": org.id,
            "kind": "partner",
            "starts_on": date(2025, 1, 1),
            "ends_on": date(2027, 12, 31),
        },
    )
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_membership(
            hub, {"organization_id": org.id, "kind": "partner", "starts_on": date(2027, 6, 1)}
        )
    assert "starts_on" in exc.value.errors
    # Another kind, or after the first ends, is fine.
    accounts.create_membership(
        hub, {"organization_id": org.id, "kind": "project", "starts_on": date(2025, 1, 1)}
    )
    accounts.create_membership(
        hub, {"organization_id": org.id, "kind": "partner", "starts_on": date(2028, 1, 1)}
    )
    assert count(Membership) == 3


def test_membership_terms_must_fit_the_kind(app, make_hub, make_org):
    hub, org = make_hub(), make_org()
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_membership(
            hub,
            {
                "organization_id": org.id,
                "kind": "guest",
                "starts_on": date(2025, 1, 1),
                "ends_on": date(2024, 1, 1),
                "yearly_amount_ore": 100_000_00,
                "desk_day_rate_ore": -5,
            },
        )
    assert set(exc.value.errors) == {"ends_on", "yearly_amount_ore", "desk_day_rate_ore"}


def test_partner_contact_needs_an_organization(app, make_hub, make_user):
    hub, user = make_hub(), make_user()
    with pytest.raises(ValidationFailed):
        accounts.grant_role(user, hub, Role.PARTNER_CONTACT)
    first = accounts.grant_role(user, hub, Role.MEMBER)
    assert accounts.grant_role(user, hub, "member") is first  # idempotent


def test_api_token_is_stored_hashed_and_revocable(app, make_user):
    user = make_user()
    token, secret = accounts.create_api_token(user, "Skript")
    assert secret.startswith("hub_") and secret not in token.token_hash
    assert accounts.user_for_api_token(secret) is user
    accounts.revoke_api_token(token)
    assert accounts.user_for_api_token(secret) is None
    assert accounts.user_for_api_token("hub_wrong") is None


def test_authenticate(app, make_user):
    user = make_user(email="kari@example.no", password="et-langt-passord")
    assert accounts.authenticate("KARI@example.no", "et-langt-passord") is user
    assert accounts.authenticate("kari@example.no", "feil-passord") is None
    assert accounts.authenticate("ukjent@example.no", "et-langt-passord") is None


def test_fit_out_is_amortized_over_its_months(app, make_hub):
    hub = make_hub()
    item = finance.create_cost_item(
        hub,
        {
            "category": "fit_out",
            "description": "Innredning",
            "amount_ore": 360_000_00,
            "starts_on": date(2025, 1, 1),
            "amortize_months": 36,
        },
    )
    assert item.ends_on == date(2027, 12, 31)
    with pytest.raises(ValidationFailed) as exc:
        finance.create_funding(
            hub,
            {
                "kind": "gift",
                "source": "",
                "amount_ore": -1,
                "starts_on": date(2025, 2, 1),
                "ends_on": date(2025, 1, 1),
            },
        )
    assert set(exc.value.errors) == {"kind", "source", "amount_ore", "ends_on"}


def test_case_insensitive_names_fold_norwegian_letters(app, make_hub, make_space):
    hub = make_hub()
    make_space(hub, name="Åpen kontorplass 1")
    with pytest.raises(ValidationFailed) as exc:
        spaces.create_space(hub, {"name": "åpen kontorplass 1", "kind": "desk"})
    assert "name" in exc.value.errors


@pytest.mark.parametrize(
    ("field", "value"), [("dedicated_area_m2", "-2"), ("weight", "abc"), ("weight", -1)]
)
def test_membership_decimals_must_be_positive_numbers(app, make_hub, make_org, field, value):
    hub, org = make_hub(), make_org()
    with pytest.raises(ValidationFailed) as exc:
        accounts.create_membership(
            hub,
            {
                "organization_id": org.id,
                "kind": "partner",
                "starts_on": date(2025, 1, 1),
                field: value,
            },
        )
    assert list(exc.value.errors) == [field]
