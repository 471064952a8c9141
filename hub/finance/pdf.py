"""PDF layout of financing statements and credit notes (kostnadsoppstilling).

Pure: takes a fully formatted and translated document mapping (see
``render_statement``) and returns PDF bytes. No Flask, no database, so it can be
tested with plain data and called from a view, a CLI command or a job alike.

The output is byte-for-byte reproducible for the same document: the PDF
creation date comes from ``issued_on`` and fpdf2 derives the file /ID from the
content and that date. An issued statement can therefore be rendered again
later and still be the same file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF, FontFace
from fpdf.enums import CellBordersLayout, TableBordersLayout
from fpdf.fonts import TTFFont
from fpdf.util import Padding

FONT_DIR = Path(__file__).with_name("fonts")
FAMILY = "DejaVuSans"

MARGIN = 18.0  # mm, left/right/top; the footer text also stops 18 mm from the bottom
# Body text stops higher up so the footer (rule, content hash, page line) fits
# below it without ever being overlapped.
BOTTOM_MARGIN = 31.0
FOOTER_RULE = 28.0  # mm above the bottom edge
FOOTER_LINE_HEIGHT = 4.0

# Drafts have no issue date; a constant keeps their bytes stable too.
DRAFT_CREATION_DATE = datetime(1970, 1, 1, tzinfo=UTC)

TEXT = (20, 20, 20)
MUTED = (95, 95, 95)
RULE = (150, 150, 150)
TOTAL_FILL = (236, 236, 236)
WATERMARK = (222, 222, 222)

_BOLD = FontFace(emphasis="BOLD")
_REGULAR = FontFace(emphasis="")


class _StatementPDF(FPDF):
    """FPDF with the statement's page furniture (draft marker and footer)."""

    def __init__(self, document: Mapping[str, Any], total_pages: int) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.document = document
        self.labels: Mapping[str, str] = document["labels"]
        # Assumed 1 on the first pass; see render_statement.
        self.total_pages = total_pages

    def header(self) -> None:
        """Draw the draft marker first on every page so content covers it."""
        if self.document.get("status") != "draft":
            return
        text = self.labels["draft"]
        with self.local_context(text_color=WATERMARK):
            self.set_font(FAMILY, "B", 96)
            width = self.get_string_width(text)
            cx, cy = self.w / 2, self.h / 2
            with self.rotation(angle=55, x=cx, y=cy):
                self.text(cx - width / 2, cy + self.font_size / 3, text)

    def footer(self) -> None:
        """Statement number and "Side N av M" on every page; hash on the last."""
        doc = self.document
        self.set_y(-FOOTER_RULE)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.y, self.w - self.r_margin, self.y)
        self.set_text_color(*MUTED)
        content_hash = doc.get("content_hash")
        if content_hash and self.page_no() == self.total_pages:
            self.set_y(-FOOTER_RULE + 1.5)
            self.set_font(FAMILY, "", 6.5)
            self.multi_cell(0, 3, f"{self.labels['content_hash']}: {content_hash}")
        self.set_y(-MARGIN - FOOTER_LINE_HEIGHT)
        self.set_font(FAMILY, "", 8)
        reference = " ".join(
            part for part in (doc["title"], doc.get("number") or self.labels["draft"]) if part
        )
        page = self.labels["page"].format(page=self.page_no(), pages=self.total_pages)
        half = self.epw / 2
        self.cell(half, FOOTER_LINE_HEIGHT, reference, align="L")
        self.cell(half, FOOTER_LINE_HEIGHT, page, align="R")


def render_statement(document: Mapping[str, Any]) -> bytes:
    """Lay out one statement or credit note as A4 PDF bytes.

    ``document`` holds display-ready, already translated strings (hub,
    organization, lines with label/explanation/amount, total, usage, notes,
    content_hash and the ``labels`` headings); nothing is formatted or
    translated here, so the PDF shows exactly what the caller shows elsewhere.

    The footer says "page N of M", so M must be known while laying out. Most
    statements fit on one page: the first pass assumes so, and only a longer
    document is laid out a second time with its real page count. (fpdf2's
    ``{nb}`` alias reserves room for three digits, which leaves a visible gap
    in a right-aligned footer.) The footer lives in the bottom margin, so it
    cannot change the page count.
    """
    with _laid_out(document, total_pages=1) as pdf:
        if pdf.pages_count == 1:
            return bytes(pdf.output())
        total_pages = pdf.pages_count
    with _laid_out(document, total_pages=total_pages) as pdf:
        return bytes(pdf.output())


@contextmanager
def _laid_out(document: Mapping[str, Any], total_pages: int) -> Iterator[_StatementPDF]:
    """The whole document laid out; font files are closed afterwards.

    fpdf2 keeps each TTF open until ``output()``; the counting pass never
    calls it, and an exception would skip it, so close them here.
    """
    pdf = _StatementPDF(document, total_pages)
    try:
        _setup(pdf, document)
        pdf.add_page()
        _draw_heading(pdf, document)
        _draw_organization(pdf, document)
        _draw_lines(pdf, document)
        _draw_usage(pdf, document)
        _draw_notes(pdf, document)
        yield pdf
    finally:
        for font in pdf.fonts.values():
            if isinstance(font, TTFFont):
                font.close()


def _setup(pdf: _StatementPDF, document: Mapping[str, Any]) -> None:
    """Fonts, margins and metadata; everything that must not vary between runs."""
    pdf.add_font(FAMILY, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=BOTTOM_MARGIN)
    pdf.set_font(FAMILY, "", 10)
    pdf.set_text_color(*TEXT)

    labels = document["labels"]
    number = document.get("number") or labels["draft"]
    organization = document["organization"]["name"]
    pdf.set_title(f"{document['title']} {number} – {organization}")
    subject = (document["title"], organization, document.get("period_text"))
    pdf.set_subject(", ".join(part for part in subject if part))
    pdf.set_author(document["hub"]["name"])
    pdf.set_creator(document["hub"]["name"])
    pdf.set_lang("nb")
    pdf.set_creation_date(_creation_date(document.get("issued_on")))


def _creation_date(issued_on: str | None) -> datetime:
    """Midnight UTC of the issue date: fixed per statement, unlike "now"."""
    if not issued_on:
        return DRAFT_CREATION_DATE
    day = date.fromisoformat(issued_on)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _draw_heading(pdf: _StatementPDF, document: Mapping[str, Any]) -> None:
    """Hub (sender) on the left, title and key facts on the right."""
    labels = document["labels"]
    hub = document["hub"]
    top = pdf.y
    left_width = pdf.epw * 0.56
    right_width = pdf.epw - left_width - 6

    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(left_width, 7, hub["name"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*MUTED)
    for line in (hub.get("address"), hub.get("contact_email")):
        if line:
            pdf.multi_cell(left_width, 4.5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*TEXT)
    left_bottom = pdf.y

    right_x = pdf.l_margin + pdf.epw - right_width
    pdf.set_xy(right_x, top)
    pdf.set_font(FAMILY, "B", 16)
    pdf.multi_cell(right_width, 7, document["title"], align="R", new_x="LEFT", new_y="NEXT")
    pdf.ln(1)
    facts = [
        (labels["number"], document.get("number")),
        (labels["credits"], document.get("credits_number")),
        (labels["issued_on"], document.get("issued_on_text")),
        (labels["period"], document.get("period_text")),
    ]
    facts = [(label, value) for label, value in facts if value]
    if facts:
        pdf.set_x(right_x)
        pdf.set_font(FAMILY, "", 9)
        with pdf.table(
            width=right_width,
            align="RIGHT",
            col_widths=(2, 3),
            borders_layout=TableBordersLayout.NONE,
            first_row_as_headings=False,
            text_align=("LEFT", "RIGHT"),
            v_align="TOP",
            line_height=4.5,
            padding=Padding(top=0.3, bottom=0.3),
        ) as table:
            for label, value in facts:
                row = table.row()
                row.cell(label, style=FontFace(emphasis="BOLD", color=MUTED))
                row.cell(value)
    right_bottom = pdf.y

    pdf.set_y(max(left_bottom, right_bottom) + 8)


def _draw_organization(pdf: _StatementPDF, document: Mapping[str, Any]) -> None:
    """Who the statement is for; long names wrap over the full width."""
    labels = document["labels"]
    organization = document["organization"]
    _section_heading(pdf, labels["organization"])
    pdf.set_font(FAMILY, "B", 12)
    pdf.multi_cell(0, 5.5, organization["name"], new_x="LMARGIN", new_y="NEXT")
    if organization.get("org_number"):
        pdf.set_font(FAMILY, "", 9)
        pdf.multi_cell(
            0,
            4.5,
            f"{labels['org_number']} {organization['org_number']}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.ln(7)


def _draw_lines(pdf: _StatementPDF, document: Mapping[str, Any]) -> None:
    """The cost lines and the total, as one table whose heading repeats per page.

    A line with an explanation takes two table rows (bold label, then the
    smaller explanation) with the amount spanning both, so fpdf2 keeps them on
    the same page.
    """
    labels = document["labels"]
    pdf.set_font(FAMILY, "", 10)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    explanation_style = FontFace(emphasis="", size_pt=8.5, color=MUTED)
    bottom = CellBordersLayout.BOTTOM
    none = CellBordersLayout.NONE
    with pdf.table(
        col_widths=(3, 1),
        borders_layout=TableBordersLayout.NONE,
        headings_style=FontFace(emphasis="BOLD", size_pt=9, color=MUTED),
        text_align=("LEFT", "RIGHT"),
        v_align="TOP",
        line_height=4.6,
        padding=Padding(top=1.8, right=1.5, bottom=1.8, left=1.5),
    ) as table:
        heading = table.row()
        heading.cell(labels["description"], border=bottom)
        heading.cell(labels["amount"], border=bottom)
        for line in document["lines"]:
            explanation = line.get("explanation")
            row = table.row()
            if explanation:
                row.cell(
                    line["label"],
                    style=_BOLD,
                    border=none,
                    padding=Padding(top=1.8, right=1.5, bottom=0.2, left=1.5),
                )
                row.cell(line["amount"], style=_REGULAR, border=bottom, rowspan=2)
                table.row().cell(
                    explanation,
                    style=explanation_style,
                    border=bottom,
                    padding=Padding(top=0, right=1.5, bottom=1.8, left=1.5),
                )
            else:
                row.cell(line["label"], style=_BOLD, border=bottom)
                row.cell(line["amount"], style=_REGULAR, border=bottom)
        total_style = FontFace(emphasis="BOLD", size_pt=10.5, fill_color=TOTAL_FILL)
        total = table.row(style=total_style)
        total.cell(labels["total"], border=none)
        total.cell(document["total"], border=none)
    pdf.ln(7)


def _draw_usage(pdf: _StatementPDF, document: Mapping[str, Any]) -> None:
    """Usage figures for the period, for context only (not priced here)."""
    usage: Sequence[Mapping[str, str]] = document.get("usage") or ()
    if not usage:
        return
    _section_heading(pdf, document["labels"]["usage"], keep_with=len(usage) * 5)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_draw_color(*RULE)
    with pdf.table(
        width=pdf.epw * 0.6,
        align="LEFT",
        col_widths=(3, 1),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        first_row_as_headings=False,
        text_align=("LEFT", "RIGHT"),
        v_align="TOP",
        line_height=4.3,
        padding=Padding(top=0.8, right=1.5, bottom=0.8, left=1.5),
    ) as table:
        for item in usage:
            table.row((item["label"], item["value"]))
    pdf.ln(7)


def _draw_notes(pdf: _StatementPDF, document: Mapping[str, Any]) -> None:
    """Free-text paragraphs, each wrapped to the page width."""
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*TEXT)
    for note in document.get("notes") or ():
        pdf.multi_cell(0, 4.5, note, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2.5)


def _section_heading(pdf: _StatementPDF, text: str, keep_with: float = 12) -> None:
    """Small muted heading; moves to a new page rather than end one alone."""
    if pdf.will_page_break(5 + keep_with):
        pdf.add_page()
    with pdf.local_context(text_color=MUTED):
        pdf.set_font(FAMILY, "B", 8.5)
        pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
