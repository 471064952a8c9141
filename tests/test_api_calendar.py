"""API: turning subscription feeds on, renewing them, listing and turning them off."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from hub.accounts.models import Role
from hub.calendar import tokens
from hub.calendar.models import FeedScope
from hub.extensions import db

NOW = datetime(2030, 1, 4, 8, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_time() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def lister(make_hub: Any) -> Any:
    return make_hub(slug="regionlab-lister", name="RegionLab Lister")


@pytest.fixture
def room(lister: Any, make_space: Any) -> Any:
    return make_space(lister, name="Møterom Lista", kind="meeting_room", capacity=6)


@pytest.fixture
def member(person: Any, lister: Any) -> Any:
    return person(hub=lister, role=Role.MEMBER)


@pytest.fixture
def outsider(person: Any) -> Any:
    return person()


@pytest.fixture
def nav(make_org: Any) -> Any:
    return make_org(name="NAV Lister")


@pytest.fixture
def contact(person: Any, lister: Any, nav: Any) -> Any:
    return person(hub=lister, role=Role.PARTNER_CONTACT, organization=nav)


def feed_path(url: str) -> str:
    assert url.startswith("http://hub.test/feeds/") and url.endswith(".ics")
    return url.removeprefix("http://hub.test")


def test_post_me_feed_renews_and_returns_the_urls(api, client, member):
    response = api("POST", "/me/feed", member)

    assert response.status_code == 201
    body = response.get_json()
    assert body["scope"] == "personal"
    assert body["created_at"] == "2030-01-04T08:00:00Z"
    assert body["webcal_url"] == body["url"].replace("http://", "webcal://", 1)
    assert client.get(feed_path(body["url"])).status_code == 200

    again = api("POST", "/me/feed", member).get_json()

    assert again["url"] != body["url"]
    assert client.get(feed_path(body["url"])).status_code == 404
    assert client.get(feed_path(again["url"])).status_code == 200


def test_delete_me_feed_turns_it_off(api, client, member):
    url = api("POST", "/me/feed", member).get_json()["url"]

    response = api("DELETE", "/me/feed", member)

    assert response.status_code == 204
    assert response.get_data() == b""
    assert client.get(feed_path(url)).status_code == 404
    assert api("DELETE", "/me/feed", member).status_code == 204  # already off: no change


def test_list_my_feeds_has_no_secrets(api, member, lister, room):
    api("POST", "/me/feed", member)
    api("POST", f"/hubs/{lister.slug}/feed", member)
    api("POST", f"/spaces/{room.id}/feed", member)
    api("POST", f"/spaces/{room.id}/feed", member)  # renewed: still one

    response = api("GET", "/me/feeds", member)

    assert response.status_code == 200
    feeds = response.get_json()
    assert [(f["scope"], f["hub_id"], f["space_id"]) for f in feeds] == [
        ("personal", None, None),
        ("hub", lister.id, None),
        ("space", None, room.id),
    ]
    for feed in feeds:
        assert set(feed) == {
            "id",
            "scope",
            "space_id",
            "hub_id",
            "organization_id",
            "created_at",
            "last_used_at",
        }


def test_someone_elses_feeds_are_not_listed_and_cannot_be_turned_off(api, member, outsider):
    feed_id = api("POST", "/me/feed", member).get_json()["id"]

    assert api("GET", "/me/feeds", outsider).get_json() == []
    assert api("DELETE", f"/me/feeds/{feed_id}", outsider).status_code == 404
    assert api("DELETE", "/me/feeds/999999", member).status_code == 404
    assert [t.id for t in tokens.active_tokens(member)] == [feed_id]


def test_delete_one_feed_by_id(api, client, member, lister):
    body = api("POST", f"/hubs/{lister.slug}/feed", member).get_json()

    assert api("DELETE", f"/me/feeds/{body['id']}", member).status_code == 204
    assert client.get(feed_path(body["url"])).status_code == 404
    assert api("GET", "/me/feeds", member).get_json() == []


@pytest.mark.parametrize("who", ["member", "hub_admin", "system_admin"])
def test_hub_and_space_feeds_for_members_and_admins(
    api, client, request, lister, room, who, hub_admin
):
    user = hub_admin(lister) if who == "hub_admin" else request.getfixturevalue(who)

    hub_feed = api("POST", f"/hubs/{lister.slug}/feed", user)
    space_feed = api("POST", f"/spaces/{room.id}/feed", user)

    assert hub_feed.status_code == space_feed.status_code == 201
    assert (hub_feed.get_json()["scope"], hub_feed.get_json()["hub_id"]) == ("hub", lister.id)
    assert space_feed.get_json()["space_id"] == room.id
    assert client.get(feed_path(space_feed.get_json()["url"])).status_code == 200


def test_hub_and_space_feeds_are_403_for_others_and_404_for_unknown(api, outsider, lister, room):
    assert api("POST", f"/hubs/{lister.slug}/feed", outsider).status_code == 403
    assert api("POST", f"/spaces/{room.id}/feed", outsider).status_code == 403
    assert api("POST", "/hubs/no-such-hub/feed", outsider).status_code == 404
    assert api("POST", "/spaces/999999/feed", outsider).status_code == 404
    assert tokens.active_tokens(outsider) == []


@pytest.mark.parametrize("who", ["contact", "system_admin"])
def test_organization_feed_for_partner_contacts_and_system_admins(api, request, nav, who):
    user = request.getfixturevalue(who)

    response = api("POST", f"/organizations/{nav.id}/feed", user)

    assert response.status_code == 201
    assert (response.get_json()["scope"], response.get_json()["organization_id"]) == (
        "organization",
        nav.id,
    )


def test_organization_feed_is_403_for_others(api, nav, member, hub_admin, lister, make_org, person):
    other_contact = person(hub=lister, role=Role.PARTNER_CONTACT, organization=make_org())
    for user in (member, hub_admin(lister), other_contact):
        response = api("POST", f"/organizations/{nav.id}/feed", user)
        assert response.status_code == 403
        assert response.get_json()["error"]["status"] == 403
    assert api("POST", "/organizations/999999/feed", member).status_code == 404


def test_feed_operations_need_a_token(api):
    for method, path in [
        ("GET", "/me/feeds"),
        ("POST", "/me/feed"),
        ("DELETE", "/me/feed"),
        ("POST", "/hubs/x/feed"),
    ]:
        assert api(method, path).status_code == 401


def test_api_and_page_share_one_feed_per_target(api, member):
    api("POST", "/me/feed", member)
    token, _secret = tokens.issue(member, FeedScope.PERSONAL)
    db.session.commit()

    assert [f["id"] for f in api("GET", "/me/feeds", member).get_json()] == [token.id]


def test_openapi_documents_the_feed_operations_and_stays_valid(client):
    document = client.get("/api/v1/openapi.json").get_json()

    validate(document, cls=OpenAPIV31SpecValidator)
    paths = document["paths"]
    assert set(paths["/me/feed"]) == {"post", "delete"}
    assert set(paths["/me/feeds"]) == {"get"}
    assert set(paths["/me/feeds/{feed_id}"]) == {"delete"}
    for path in (
        "/spaces/{space_id}/feed",
        "/hubs/{slug}/feed",
        "/organizations/{organization_id}/feed",
    ):
        assert paths[path]["post"]["tags"] == ["calendar"]
        assert "201" in paths[path]["post"]["responses"]
    created = document["components"]["schemas"]["CalendarFeedCreated"]
    assert {"url", "webcal_url", "scope", "created_at"} <= set(created["properties"])
