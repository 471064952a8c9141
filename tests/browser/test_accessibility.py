"""axe-core (WCAG 2.1 A and AA) on every page, in bokmål, nynorsk and English.

"Every page" is found by crawling, so new pages are covered without listing
them: breadth-first over same-origin `a[href]` links, starting from `/` as a
logged-in system administrator and from `/` and `/login` without logging in.
Form pages are also checked in their error state (submitted with bad input).
Each language's crawl reports all violations of all pages at once.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterable
from typing import Any
from urllib.parse import urldefrag, urlsplit

import pytest
from browser_support import LANGUAGES, axe_violations, format_violations
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

MAX_PAGES = 80  # per language and per visitor (anonymous, administrator)
MAX_QUERY_VARIANTS = 3  # links to one path that differ only in the query string
SKIP_PREFIXES = ("/logout", "/static", "/api")
SKIP_SUFFIXES = (".pdf", ".csv", ".ics", ".json", ".png", ".svg", ".zip", ".xlsx")

# Violations on pages this project's browser tests cannot fix in base.html or
# app.css: {(path regex, axe rule id): "owned by X, reported"}. A crawl whose
# only violations are listed here is xfail with these reasons.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}


def _known(path: str, rule: str) -> str | None:
    for (pattern, known_rule), reason in KNOWN_VIOLATIONS.items():
        if known_rule == rule and re.fullmatch(pattern, path):
            return reason
    return None


class Crawl:
    """Breadth-first over same-origin links, with axe on each HTML page."""

    def __init__(self, page: Any, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.seen: set[str] = set()
        self.query_variants: Counter[str] = Counter()
        self.visited: list[str] = []
        self.new_forms: list[str] = []  # pages with a form that creates something
        self.problems: list[str] = []
        self.known: set[str] = set()

    def _path(self, url: str) -> str | None:
        url, _fragment = urldefrag(url)
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            return None
        path = parts.path or "/"
        if path.startswith(SKIP_PREFIXES) or path.lower().endswith(SKIP_SUFFIXES):
            return None
        if parts.query:
            if self.query_variants[path] >= MAX_QUERY_VARIANTS:
                return None
            return f"{path}?{parts.query}"
        return path

    def _enqueue(self, queue: deque[str], urls: Iterable[str]) -> None:
        for url in urls:
            path = self._path(url)
            if path is None or path in self.seen:
                continue
            self.seen.add(path)
            if "?" in path:
                self.query_variants[path.split("?", 1)[0]] += 1
            queue.append(path)

    def run(self, starts: Iterable[str]) -> None:
        queue: deque[str] = deque()
        self._enqueue(queue, (self.origin + start for start in starts))
        while queue and len(self.visited) < MAX_PAGES:
            path = queue.popleft()
            try:
                response = self.page.goto(path)
            except PlaywrightError as exc:
                if "Download is starting" in str(exc) or "ERR_ABORTED" in str(exc):
                    continue  # a file download, not a page
                raise
            if response is None:
                continue
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue
            final = self._path(self.page.url) or path
            self.visited.append(path)
            if response.status >= 400:
                self.problems.append(f"{path}: HTTP {response.status} (linked from a page)")
            self.check(final)
            if (
                final.split("?", 1)[0].endswith(("/new", "/invite"))
                and self.page.locator("main form[method=post] button[type=submit]").count()
            ):
                self.new_forms.append(final)
            links = self.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            self._enqueue(queue, links)

    def check(self, where: str) -> None:
        path = where.split("?", 1)[0]
        unexpected = []
        for violation in axe_violations(self.page):
            reason = _known(path, violation["id"])
            if reason is None:
                unexpected.append(violation)
            else:
                self.known.add(f"{where} {violation['id']}: {reason}")
        if unexpected:
            self.problems.append(format_violations(where, unexpected))

    def check_error_states(self) -> None:
        """Submit each creating form empty: it must come back (422) with accessible errors."""
        for path in self.new_forms:
            self.page.goto(path)
            form = self.page.locator("main form[method=post]").filter(
                has=self.page.locator("button[type=submit]")
            )
            # The server's messages are what is tested, not the browser's own checks.
            form.first.evaluate("f => { f.noValidate = true; }")
            for field in form.first.locator("input:not([type=hidden]), textarea").all():
                if field.get_attribute("type") not in ("checkbox", "radio", "submit"):
                    field.fill("")
            with self.page.expect_response(lambda r: r.request.method == "POST") as posted:
                form.first.locator("button[type=submit]").last.click()
            status = posted.value.status
            if status != 422:
                self.problems.append(f"{path}: an empty form gave HTTP {status}, expected 422")
                continue
            expect(self.page.locator("[aria-invalid=true]").first).to_be_visible()
            self.check(f"{path} (submitted empty)")

    def finish(self, label: str) -> None:
        print(f"\n{label}: checked {len(self.visited)} pages: {' '.join(self.visited)}")
        if len(self.visited) >= MAX_PAGES:
            print(f"{label}: stopped at MAX_PAGES={MAX_PAGES}; raise it to check more pages")
        if self.problems:
            report = "\n".join(self.problems)
            print(report)
            pytest.fail(f"{label}:\n{report}", pytrace=False)
        if self.known:
            pytest.xfail("; ".join(sorted(self.known)))


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_as_administrator_has_no_axe_violations(
    page: Any, live_server: Any, login: Any, set_language: Any, lang: str
) -> None:
    login(page, live_server.seed.admin_email)
    set_language(page, lang)
    crawl = Crawl(page, live_server.url)
    crawl.run(["/"])
    assert len(crawl.visited) >= 3, crawl.visited
    crawl.check_error_states()
    crawl.finish(f"administrator, {lang}")


def test_axe_finds_violations_when_there_are_some(page: Any) -> None:
    """Guards the guard: a broken page must not pass because axe did not run."""
    page.set_content('<html><body><img src="x.png"><a href="/x"></a></body></html>')
    rules = {violation["id"] for violation in axe_violations(page)}
    assert {"html-has-lang", "image-alt", "link-name"} <= rules, rules


@pytest.mark.parametrize("lang", LANGUAGES)
def test_error_pages_have_no_axe_violations(
    page: Any, live_server: Any, set_language: Any, lang: str
) -> None:
    page.goto("/")
    set_language(page, lang)
    response = page.goto("/hubs/does-not-exist")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_count(1)
    crawl = Crawl(page, live_server.url)
    crawl.check("/hubs/does-not-exist (404)")
    crawl.finish(f"error page, {lang}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_anonymous_page_has_no_axe_violations(
    page: Any, live_server: Any, set_language: Any, lang: str
) -> None:
    page.goto("/")
    set_language(page, lang)
    crawl = Crawl(page, live_server.url)
    crawl.run(["/", "/login"])
    assert "/login" in crawl.visited
    crawl.finish(f"anonymous, {lang}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_forms_in_their_error_state_have_no_axe_violations(
    page: Any, live_server: Any, set_language: Any, lang: str
) -> None:
    page.goto("/login")
    set_language(page, lang)
    expect(page).to_have_url(live_server("/login"))
    crawl = Crawl(page, live_server.url)

    # Login with a wrong password: the form comes back with status 422 and a message.
    page.locator("#email").fill(live_server.seed.admin_email)
    page.locator("#password").fill("not-the-password")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main form button[type=submit]").click()
    assert posted.value.status == 422
    expect(page.locator("html")).to_have_attribute("lang", lang)
    crawl.check("/login (wrong password)")

    # Login with nothing filled in: every required field has an error.
    page.goto("/login")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("main form button[type=submit]").click()
    assert posted.value.status == 422
    expect(page.locator("[aria-invalid=true]")).not_to_have_count(0)
    crawl.check("/login (empty)")

    # The forgot-password form with an address that is not an email, if linked.
    page.goto("/login")
    forgot = page.locator("main a[href*=password]")
    if forgot.count():
        forgot.first.click()
        field = page.locator("main form input[type=email], main form input[name=email]")
        field.first.fill("not-an-email")
        with page.expect_response(lambda r: r.request.method == "POST"):
            page.locator("main form button[type=submit]").click()
        crawl.check(f"{urlsplit(page.url).path} (invalid email)")
    crawl.finish(f"form errors, {lang}")
