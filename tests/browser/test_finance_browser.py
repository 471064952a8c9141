"""Financing and statements as hub admins and partner contacts click them in Chromium.

The pages are found through the links a person follows; elements are picked by
role, by stable ids and names, or by data from the seed (organization names,
numbers), not by UI text, so the tests hold while the catalogs are translated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from browser_support import LANGUAGES, axe_violations, format_violations
from playwright.sync_api import expect

from hub.accounts.models import Organization
from hub.extensions import db
from hub.finance import statements
from hub.spaces import service as spaces

pytestmark = pytest.mark.browser

NUMBER = re.compile(r"[A-Z0-9]{2,20}-\d{4}-\d{4}")
PARTNER = "NAV Agder"  # the seed's partner, whose contact is the seed's employee
OTHER = "Agder fylkeskommune"  # a guest of the same hub; the employee must not see its figures


def assert_accessible(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert not violations, format_violations(where, violations)


def number_in(text: str) -> str:
    found = NUMBER.search(text)
    assert found, f"no statement number in {text!r}"
    return found.group(0)


@dataclass(frozen=True)
class Issued:
    """A statement issued outside the browser, for the pages that only read one."""

    id: int
    number: str


@pytest.fixture(scope="module")
def issued(live_server: Any) -> Iterator[dict[str, Issued]]:
    """Issued January statements of this year for the partner and for the other organization.

    Added to the shared seed's database by this module only; the period is one no
    other test uses, so the statements page keeps its other rows as they were.
    """
    app = live_server.app
    with app.test_request_context():
        hub = spaces.get_hub(live_server.seed.hub_slug)
        year = hub.today().year
        first, last = date(year, 1, 1), date(year, 1, 31)
        found = {}
        for name in (PARTNER, OTHER):
            org = db.session.scalar(sa.select(Organization).where(Organization.name == name))
            assert org is not None, name
            draft = statements.create_draft(hub, org, first, last)
            statements.issue(draft)
            found[name] = Issued(draft.id, draft.number or "")
        db.session.commit()
        db.session.remove()
    yield found


def test_admin_compares_models_and_saves_one_for_the_year(
    page: Any, live_server: Any, login: Any, set_language: Any
) -> None:
    seed = live_server.seed
    login(page, seed.admin_email)
    set_language(page, "nb")

    # Administration -> the hub -> Financing, by the links a person sees.
    page.locator("header nav a[href='/admin/']").click()
    page.get_by_role("link", name=seed.hub_name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(seed.hub_name)
    page.locator(f"main a[href='/admin/hubs/{seed.hub_slug}/financing']").click()
    expect(page).to_have_url(live_server(f"/admin/hubs/{seed.hub_slug}/financing"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(seed.hub_name)

    # The cost share: one row per organization, each amount explained part by part.
    share = page.locator("main table").last
    partner_row = share.get_by_role("row").filter(has_text=PARTNER)
    expect(partner_row.get_by_role("listitem").first).to_be_visible()
    expect(share.locator("tfoot")).to_be_visible()

    page.locator(f"main a[href^='/admin/hubs/{seed.hub_slug}/financing/what-if']").first.click()
    expect(page.locator("#c1_key")).to_be_visible()

    # Candidate 2 starts as measured use. Tab into its key from candidate 1's
    # last group: focus lands on the chosen radio, arrows move the choice.
    page.locator("#c1_surplus_policy input:checked").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#c2_key input[value=use]")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#c2_key input[value=blend]")).to_be_checked()
    page.keyboard.press("ArrowUp")
    page.keyboard.press(" ")
    area = page.locator("#c2_key input[value=area]")
    expect(area).to_be_focused()
    expect(area).to_be_checked()
    expect(page.locator("#c2_key input:checked")).to_have_count(1)

    compare = page.locator("form[method=get]").filter(has=page.locator("#c1_key"))
    with page.expect_navigation() as navigation:
        compare.get_by_role("button").click()
    assert navigation.value.status == 200
    expect(page).to_have_url(re.compile(r"[?&]c2_key=area(&|$)"))
    expect(page.locator("#c2_key input[value=area]")).to_be_checked()

    result = page.locator("section[aria-labelledby=result-heading]")
    expect(result.get_by_role("heading", level=2)).to_be_visible()
    chart = result.get_by_role("img")
    expect(chart).to_have_count(1)
    expect(chart).to_have_attribute("aria-label", re.compile(r"\S"))
    assert result.locator("svg rect.chart__bar").count() >= 2 * 3  # organizations x candidates
    table = result.get_by_role("table")
    # Organization, then candidate 1, and for every other candidate its amount and difference.
    headers = table.locator("thead th")
    assert headers.count() >= 4 and headers.count() % 2 == 0, headers.all_inner_texts()
    host_row = table.locator("tbody tr").filter(has_text="Lyngdal kommune")
    host_under_area = host_row.locator("td").nth(1).inner_text()
    assert host_under_area != host_row.locator("td").nth(0).inner_text()

    save_area = result.locator("form[method=post]").filter(
        has=page.locator("input[name=key][value=area]")
    )
    with page.expect_navigation():
        save_area.get_by_role("button").click()
    expect(page).to_have_url(re.compile(rf"/admin/hubs/{seed.hub_slug}/financing\?year=\d{{4}}$"))
    expect(page.locator(".flash[data-color=success]")).to_be_visible()

    # The overview shows the saved model and splits the cost by it.
    model = page.locator("section[aria-labelledby=model-heading]")
    expect(model.locator("input[name=key][value=area]")).to_be_checked()
    expect(model.locator(".ds-alert[data-color=info]")).to_have_count(0)
    share = page.locator("section[aria-labelledby=share-heading] table").last
    expect(
        share.get_by_role("row").filter(has_text="Lyngdal kommune").locator("td").first
    ).to_have_text(host_under_area)


def test_admin_creates_issues_and_credits_a_statement(
    page: Any, live_server: Any, login: Any, set_language: Any
) -> None:
    seed = live_server.seed
    login(page, seed.admin_email)
    set_language(page, "nb")

    page.goto(f"/admin/hubs/{seed.hub_slug}")
    page.locator(f"main a[href='/admin/hubs/{seed.hub_slug}/statements']").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(seed.hub_name)
    # The year the page shows: this year in the hub's timezone.
    drafts = page.locator("form[action$='/statements/drafts']")
    year = drafts.locator("input[name=year]").get_attribute("value")
    first, last = f"{year}-03-01", f"{year}-03-31"

    page.locator("#drafts-period").select_option("custom")
    page.locator("#drafts-period_first").fill(first)
    page.locator("#drafts-period_last").fill(last)
    with page.expect_navigation():
        drafts.get_by_role("button").click()
    expect(page.locator(".flash[data-color=success]")).to_be_visible()
    row = (
        page.locator("main table tbody tr")
        .filter(has=page.locator(f"time[datetime='{first}']"))
        .filter(has=page.locator(f"time[datetime='{last}']"))
        .filter(has_text=PARTNER)
    )
    expect(row).to_have_count(1)
    # The draft's link says whose draft it is, not only "Draft".
    link = row.get_by_role("link")
    expect(link).to_have_accessible_name(re.compile(re.escape(PARTNER)))
    link.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(PARTNER)
    draft_url = page.url
    assert_accessible(page, "draft statement (nb)")

    with page.expect_navigation():
        page.locator("form[action$='/issue']").get_by_role("button").click()
    expect(page).to_have_url(draft_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(NUMBER)
    number = number_in(page.get_by_role("heading", level=1).inner_text())
    assert number.split("-")[-2] == year
    expect(page.locator("form[action$='/issue']")).to_have_count(0)

    pdf_link = page.locator("main a[href$='.pdf']")
    expect(pdf_link).to_have_accessible_name(re.compile(re.escape(number)))
    response = page.request.get(live_server(pdf_link.get_attribute("href") or ""))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    reason = "Feil antall plasser i mars"
    page.locator("#reason").fill(reason)
    with page.expect_navigation():
        page.locator("form[action$='/credit']").get_by_role("button").click()
    expect(page).not_to_have_url(draft_url)
    expect(page.locator(".flash[data-color=success]")).to_contain_text(number)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(NUMBER)
    note_number = number_in(heading.inner_text())
    assert note_number != number
    document = page.locator("main article")
    expect(document).to_contain_text(reason)
    assert_accessible(page, "credit note (nb)")
    # The credit note links to what it credits, and that statement now links back.
    document.get_by_role("link", name=number, exact=True).click()
    expect(page).to_have_url(draft_url)
    expect(page.get_by_role("link", name=note_number, exact=True)).to_be_visible()
    expect(page.locator("#reason")).to_have_count(0)


def test_partner_contact_reads_only_own_statements(
    page: Any, live_server: Any, login: Any, set_language: Any, issued: dict[str, Issued]
) -> None:
    seed = live_server.seed
    own, other = issued[PARTNER], issued[OTHER]
    login(page, seed.employee_email)
    set_language(page, "nb")

    page.locator("header nav a[href='/statements']").click()
    expect(page).to_have_url(live_server(f"/hubs/{seed.hub_slug}/statements"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(seed.hub_name)
    expect(page.get_by_role("link", name=own.number, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=other.number, exact=True)).to_have_count(0)
    expect(page.locator("main")).not_to_contain_text(OTHER)
    assert_accessible(page, "partner's statement list (nb)")

    page.get_by_role("link", name=own.number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(own.number)
    pdf = page.request.get(live_server(f"/hubs/{seed.hub_slug}/statements/{own.id}.pdf"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert_accessible(page, "partner's statement (nb)")

    for path in (f"/{other.id}", f"/{other.id}.pdf"):
        response = page.request.get(live_server(f"/hubs/{seed.hub_slug}/statements{path}"))
        assert response.status == 403, path


@pytest.mark.parametrize("lang", LANGUAGES)
def test_finance_pages_have_no_axe_violations(
    page: Any,
    live_server: Any,
    login: Any,
    set_language: Any,
    issued: dict[str, Issued],
    lang: str,
) -> None:
    slug = live_server.seed.hub_slug
    login(page, live_server.seed.admin_email)
    set_language(page, lang)

    page.goto(f"/admin/hubs/{slug}/financing")
    assert_accessible(page, f"financing ({lang})")

    response = page.goto(f"/admin/hubs/{slug}/financing/what-if")
    assert response is not None and response.status == 200
    assert_accessible(page, f"what-if ({lang})")

    # A blend whose percentages do not add up to 100 comes back with 422 and the
    # error next to the field; the summary's link takes the focus there.
    page.locator("#c2_key input[value=blend]").check()
    page.locator("#c2_blend_equal_pct").fill("30")
    form = page.locator("form[method=get]").filter(has=page.locator("#c1_key"))
    with page.expect_navigation() as navigation:
        form.get_by_role("button").click()
    assert navigation.value.status == 422
    expect(page.locator("#c2_blend_equal_pct")).to_have_value("30")
    expect(page.locator("#c2_blend_equal_pct")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("section[aria-labelledby=result-heading]")).to_have_count(0)
    summary_link = page.locator("#error-summary a[href='#c2_blend_equal_pct']")
    summary_link.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#c2_blend_equal_pct")).to_be_focused()
    assert_accessible(page, f"what-if with an error ({lang})")

    page.goto(f"/admin/hubs/{slug}/statements")
    expect(page.get_by_role("link", name=issued[PARTNER].number, exact=True)).to_be_visible()
    assert_accessible(page, f"statement list ({lang})")

    # Another period without its days: 422, nothing created, the errors at the fields.
    page.locator("#drafts-period").select_option("custom")
    with page.expect_navigation() as navigation:
        page.locator("form[action$='/statements/drafts']").get_by_role("button").click()
    assert navigation.value.status == 422
    expect(page.locator("#drafts-period_first")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#drafts-period_last")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, f"statement list with an error ({lang})")

    page.goto(f"/admin/hubs/{slug}/statements/{issued[PARTNER].id}")
    expect(page.locator("#reason")).to_be_visible()
    assert_accessible(page, f"statement detail ({lang})")


def test_finance_pages_reflow_at_320_css_pixels(
    page: Any, live_server: Any, login: Any, set_language: Any, issued: dict[str, Issued]
) -> None:
    """WCAG 1.4.10: at 320 px (1280 px at 400 % zoom) only the wide tables scroll, not the page."""
    slug = live_server.seed.hub_slug
    login(page, live_server.seed.admin_email)
    set_language(page, "nb")
    page.set_viewport_size({"width": 320, "height": 800})
    too_wide = {}
    for path in (
        f"/admin/hubs/{slug}/financing",
        f"/admin/hubs/{slug}/financing/what-if",
        f"/admin/hubs/{slug}/statements",
        f"/admin/hubs/{slug}/statements/{issued[PARTNER].id}",
        f"/hubs/{slug}/statements",
    ):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 320:
            too_wide[path] = width
    assert not too_wide, f"pages wider than the 320 px viewport: {too_wide}"
