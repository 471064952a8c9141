"""PDF rendering of financing statements: content, paging, drafts, determinism.

Pure layout, so no app or database: plain documents in, bytes out, read back
with pypdf.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from hub.finance.pdf import FONT_DIR, render_statement

HASH = "3f1c" * 16
LABELS = {
    "hub": "Hub",
    "organization": "Virksomhet",
    "period": "Periode",
    "issued_on": "Utstedt",
    "number": "Nummer",
    "credits": "Krediterer",
    "description": "Beskrivelse",
    "amount": "Beløp",
    "total": "Sum",
    "usage": "Bruk i perioden",
    "org_number": "Org.nr.",
    "content_hash": "Innholdskontroll (SHA-256)",
    "page": "Side {page} av {pages}",
    "draft": "UTKAST",
}


def line(label: str, amount: str = "kr 1 000,00", explanation: str = "") -> dict[str, Any]:
    return {"label": label, "explanation": explanation, "amount": amount, "amount_ore": 0}


def document(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "status": "issued",
        "kind": "statement",
        "title": "Kostnadsoppstilling",
        "number": "LISTER-2026-0007",
        "credits_number": None,
        "issued_on": "2026-11-24",
        "issued_on_text": "24. november 2026",
        "period_text": "1. januar–31. mars 2026",
        "hub": {
            "name": "Sentrumsgården",
            "address": "Lyngdal sentrum, 4580 Lyngdal",
            "contact_email": "regionlab@demo.example",
        },
        "organization": {"name": "Bærekraftig landbruk i Lister – Øst", "org_number": "974761076"},
        "lines": [
            line(
                "Fast bidrag",
                "kr 18 493,15",
                "kr 75 000 per år × 90 av 365 dager ≈ € 1 600",
            ),
            line("Refusjon møterom", "−kr 250,00"),
        ],
        "total": "kr 18 243,15",
        "total_ore": 1824315,
        "usage": [
            {"label": "Kontorplassdager", "value": "12,5"},
            {"label": "Møteromstimer", "value": "3"},
        ],
        "notes": ["Beløpet faktureres av vertskommunen."],
        "content_hash": HASH,
        "labels": LABELS,
    }
    values.update(changes)
    return values


def draft(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "status": "draft",
        "number": None,
        "issued_on": None,
        "issued_on_text": "",
        "content_hash": None,
    }
    values.update(changes)
    return document(**values)


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    """Whitespace collapsed, so wrapped text can be found as one phrase."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def issued() -> bytes:
    """The standard issued statement, rendered once for the tests that only read it."""
    return render_statement(document())


def test_statement_shows_every_part(issued: bytes) -> None:
    assert issued.startswith(b"%PDF-")
    [text] = pages_text(issued)
    for expected in (
        "Sentrumsgården",
        "Lyngdal sentrum, 4580 Lyngdal",
        "regionlab@demo.example",
        "Kostnadsoppstilling",
        "LISTER-2026-0007",
        "24. november 2026",
        "1. januar–31. mars 2026",
        "Bærekraftig landbruk i Lister – Øst",
        "Org.nr. 974761076",
        "Fast bidrag",
        "kr 18 493,15",
        "kr 75 000 per år × 90 av 365 dager ≈ € 1 600",
        "Refusjon møterom",
        "−kr 250,00",
        "Sum",
        "kr 18 243,15",
        "Bruk i perioden",
        "Kontorplassdager",
        "12,5",
        "Beløpet faktureres av vertskommunen.",
        f"Innholdskontroll (SHA-256): {HASH}",
        "Side 1 av 1",
    ):
        assert expected in text
    assert "UTKAST" not in text
    assert "Krediterer" not in text


def test_metadata_and_bundled_fonts(issued: bytes) -> None:
    reader = PdfReader(io.BytesIO(issued))

    meta = reader.metadata
    assert meta is not None
    assert (
        meta.title == "Kostnadsoppstilling LISTER-2026-0007 – Bærekraftig landbruk i Lister – Øst"
    )
    assert meta.author == "Sentrumsgården"
    assert meta.subject is not None and "1. januar–31. mars 2026" in meta.subject
    assert meta["/CreationDate"] == "D:20261124000000Z"
    assert reader.trailer["/Root"]["/Lang"] == "nb"
    fonts = reader.pages[0]["/Resources"]["/Font"]
    base_fonts = sorted(str(font.get_object()["/BaseFont"]) for font in fonts.values())
    assert base_fonts == ["/MPDFAA+DejaVuSansBold", "/MPDFAA+DejaVuSansBook"]
    assert {p.name for p in FONT_DIR.iterdir()} >= {
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "LICENSE",
    }


def test_rendering_is_byte_identical(issued: bytes) -> None:
    assert render_statement(document()) == issued
    assert render_statement(draft()) == render_statement(draft())


def test_creation_date_comes_from_the_issue_date(issued: bytes) -> None:
    later = render_statement(document(issued_on="2026-11-25"))

    assert later != issued
    assert b"D:20261125000000Z" in later
    assert b"D:19700101000000Z" in render_statement(draft())


def test_many_lines_span_pages_with_footer_on_each() -> None:
    lines = [
        line(f"Kostnadspost {n}", f"kr {n},00", "kr 75 000 per år × 90 av 365 dager")
        for n in range(1, 61)
    ]
    texts = pages_text(render_statement(document(lines=lines)))

    assert len(texts) > 1
    for number, text in enumerate(texts, start=1):
        assert f"Side {number} av {len(texts)}" in text
        assert "Kostnadsoppstilling LISTER-2026-0007" in text
        assert "Beskrivelse" in text  # table heading repeats
    everything = "\n".join(texts)
    for n in range(1, 61):
        assert re.search(rf"^Kostnadspost {n}\b", everything, re.MULTILINE)
        assert f"kr {n},00" in everything
    assert HASH in texts[-1]
    assert all(HASH not in text for text in texts[:-1])


def test_draft_is_marked_on_every_page() -> None:
    lines = [line(f"Kostnadspost {n}") for n in range(1, 41)]
    texts = pages_text(render_statement(draft(lines=lines)))

    assert len(texts) > 1
    for number, text in enumerate(texts, start=1):
        assert "UTKAST" in text
        assert f"Side {number} av {len(texts)}" in text
    assert "Innholdskontroll" not in "".join(texts)


def test_credit_note_shows_the_credited_statement() -> None:
    data = render_statement(
        document(
            kind="credit_note",
            title="Kreditnota",
            number="LISTER-2026-0009",
            credits_number="LISTER-2026-0003",
            lines=[line("Fast bidrag", "−kr 18 493,15", "Kreditert i sin helhet")],
            total="−kr 18 493,15",
            usage=[],
            notes=[],
        )
    )

    [text] = pages_text(data)
    assert "Kreditnota" in text
    assert "Krediterer LISTER-2026-0003" in text
    assert "LISTER-2026-0009" in text
    assert "−kr 18 493,15" in text
    assert "Bruk i perioden" not in text


@pytest.mark.parametrize(
    "changes",
    [
        {"organization": {"name": "Bærekraftig landbruk i Lister – Øst " * 6, "org_number": ""}},
        {"lines": [line("Fast bidrag", explanation="kr 75 000 per år × 90 av 365 dager " * 8)]},
        {"hub": {"name": "Sentrumsgården næringshage og kontorfellesskap " * 3}},
    ],
    ids=["organization", "explanation", "hub"],
)
def test_long_texts_wrap(changes: dict[str, Any]) -> None:
    [text] = pages_text(render_statement(document(**changes)))

    [value] = changes.values()
    long_text = value["name"] if "name" in value else value[0]["explanation"]
    assert long_text.strip() not in text  # not one overlong line...
    assert flat(long_text) in flat(text)  # ...but wrapped, with nothing lost
