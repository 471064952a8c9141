"""The message catalogs: complete, consistent with their msgids, compiled, and used."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

TRANSLATIONS = Path(__file__).resolve().parents[1] / "hub" / "translations"
NORWEGIAN = ["nb", "nn"]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def _catalog(lang: str) -> Catalog:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale=lang)


def _messages(lang: str) -> list[Message]:
    return [m for m in _catalog(lang) if m.id]


def _label(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _as_tuple(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return ("",)
    return (value,) if isinstance(value, str) else tuple(value)


def _placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@pytest.mark.parametrize("lang", NORWEGIAN)
def test_every_message_is_translated(lang: str) -> None:
    untranslated = [_label(m) for m in _messages(lang) if not all(_as_tuple(m.string))]
    assert untranslated == []


@pytest.mark.parametrize("lang", [*NORWEGIAN, "en"])
def test_no_message_is_fuzzy(lang: str) -> None:
    catalog = _catalog(lang)
    assert not catalog.fuzzy
    assert [_label(m) for m in catalog if m.id and m.fuzzy] == []


@pytest.mark.parametrize("lang", NORWEGIAN)
def test_placeholders_match_the_msgid(lang: str) -> None:
    wrong = []
    for message in _messages(lang):
        ids = _as_tuple(message.id)
        wanted = _placeholders(ids[0]) | _placeholders(ids[-1])
        for text in _as_tuple(message.string):
            # A singular form may leave out the count ("one booking"), nothing else.
            has = _placeholders(text)
            if has != wanted and not (len(ids) > 1 and wanted - has <= {"num"} and has <= wanted):
                wrong.append((_label(message), text))
    assert wrong == []


@pytest.mark.parametrize("lang", NORWEGIAN)
def test_plural_forms_header(lang: str) -> None:
    catalog = _catalog(lang)
    assert catalog.num_plurals == 2
    assert catalog.plural_expr == "(n != 1)"


def test_catalogs_hold_the_same_msgids_as_the_template() -> None:
    with (TRANSLATIONS / "messages.pot").open("rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    for lang in [*NORWEGIAN, "en"]:
        assert {m.id for m in _messages(lang)} == template, lang


@pytest.mark.parametrize("lang", [*NORWEGIAN, "en"])
def test_compiled_catalog_is_not_older_than_the_po(lang: str) -> None:
    folder = TRANSLATIONS / lang / "LC_MESSAGES"
    po, mo = folder / "messages.po", folder / "messages.mo"
    assert mo.exists(), f"run `make translations` to compile {mo}"
    # A fresh git checkout writes messages.mo just before messages.po, hence the slack.
    assert mo.stat().st_mtime >= po.stat().st_mtime - 5, f"{mo} is older: run `make translations`"


@pytest.mark.parametrize("lang", NORWEGIAN)
def test_compiled_catalog_has_the_translations_of_the_po(lang: str) -> None:
    with (TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo").open("rb") as f:
        compiled = {_as_tuple(m.id): _as_tuple(m.string) for m in read_mo(f) if m.id}
    written = {
        _as_tuple(m.id): _as_tuple(m.string) for m in _messages(lang) if all(_as_tuple(m.string))
    }
    assert compiled == written, "run `make translations` to compile the catalogs"


@pytest.fixture
def app_config() -> dict[str, Any]:
    """The real default language (tests elsewhere run in English)."""
    return {"BABEL_DEFAULT_LOCALE": "nb"}


def _nb(msgid: str) -> str:
    message = _catalog("nb").get(msgid)
    assert message is not None and message.string
    return str(message.string)


def test_pages_are_in_bokmal_by_default_and_english_on_request(
    app: Flask, client: FlaskClient
) -> None:
    norwegian = _nb("Shared office hubs")
    assert norwegian != "Shared office hubs"

    page = client.get("/").get_data(as_text=True)
    assert norwegian in page
    assert "Shared office hubs" not in page

    response = client.post("/language", data={"language": "en", "next": "/"})
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Shared office hubs" in page
    assert _nb("Log in") not in page


def test_nynorsk_differs_from_bokmal(app: Flask, client: FlaskClient) -> None:
    client.post("/language", data={"language": "nn"})
    nynorsk = client.get("/login").get_data(as_text=True)
    client.post("/language", data={"language": "nb"})
    bokmal = client.get("/login").get_data(as_text=True)
    assert nynorsk != bokmal
