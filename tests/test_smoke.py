from hub.spaces.models import SpaceKind


def test_hub_page_lists_spaces_grouped_by_kind(client, make_hub, make_space, backend):
    hub = make_hub(name="RegionLab Lister", slug="regionlab-lister")
    make_space(hub, name="Cellekontor 1", kind=SpaceKind.CELL, capacity=1, area_m2="10.5")
    make_space(hub, name="Møterom Lista", kind="meeting_room", capacity=12)

    response = client.get("/hubs/regionlab-lister")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Cellekontor 1" in html and "Møterom Lista" in html
    assert html.index("Cellekontor") < html.index("Møterom Lista")


def test_unknown_hub_is_404_page(client, app):
    response = client.get("/hubs/finnes-ikke")
    assert response.status_code == 404
    assert "<h1" in response.get_data(as_text=True)
