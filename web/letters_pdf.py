"""Letters as PDF (reportlab): A4, the letterhead, date, reference, the letter's paragraphs, and its
footer (the emergency numbers) boxed at the end.

The PDF is made from the letter as recorded (its stored text), so downloading it again gives the same
letter; reportlab's invariant mode keeps the bytes the same too (no creation time, fixed document id).

Fonts: DejaVu Sans, embedded (vendored in ``web/fonts``, with its licence), because the Latin-1 fonts
built into PDF cannot show names such as Łukasz or Zoë, and the Vera fonts reportlab ships lack
most of Latin Extended-A (ś, ż, ą, ę, ő...). DejaVu Sans covers Latin, Greek, Cyrillic and much
more; it has no Chinese, Japanese, Korean or Indic glyphs, and reportlab does not shape Arabic or
Hebrew (they would print unjoined, left to right). :func:`uncovered` names the characters of a
letter the font cannot print, so the preview can warn before the letter is sent.
"""
from __future__ import annotations

import functools
import io
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from engine import LetterView

FONT_DIR = Path(__file__).parent / "fonts"
REGULAR, BOLD = "PathwaysSans", "PathwaysSans-Bold"


@functools.lru_cache(maxsize=1)
def _fonts() -> frozenset[int]:
    """Register the fonts once per process; the code points the regular face covers."""
    regular = TTFont(REGULAR, str(FONT_DIR / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(TTFont(BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)
    return frozenset(regular.face.charToGlyph)


def uncovered(text: str) -> list[str]:
    """The characters of ``text`` the letter font cannot print (each once, in order of appearance)."""
    covered = _fonts()
    return list(dict.fromkeys(ch for ch in text if ord(ch) not in covered and not ch.isspace()))


def _styles() -> dict[str, ParagraphStyle]:
    body = ParagraphStyle("body", fontName=REGULAR, fontSize=11, leading=15, spaceAfter=9)
    return {
        "body": body,
        "sender": ParagraphStyle("sender", parent=body, alignment=TA_RIGHT, spaceAfter=0, fontSize=10, leading=13),
        "meta": ParagraphStyle("meta", parent=body, spaceAfter=2),
        "footer": ParagraphStyle("footer", parent=body, fontSize=10, leading=13, spaceAfter=0),
    }


def _lines(lines) -> str:
    """Text as reportlab paragraph markup: escaped (case data is never markup), line breaks kept."""
    return "<br/>".join(escape(line) for line in lines)


def letter_pdf(letter: LetterView) -> bytes:
    """The letter as an A4 PDF."""
    _fonts()
    styles = _styles()
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=25 * mm, rightMargin=25 * mm, topMargin=20 * mm,
                            bottomMargin=20 * mm, title=f"{letter.title}, {letter.case_reference}",
                            author=letter.sender[0] if letter.sender else "", subject=letter.title,
                            creator="Pathways", invariant=1)
    story = []
    if letter.sender:
        first, *rest = letter.sender
        story.append(Paragraph(f"<b>{escape(first)}</b>" + ("<br/>" + _lines(rest) if rest else ""),
                               styles["sender"]))
        story.append(Spacer(1, 10 * mm))
    story.append(Paragraph(escape(letter.date_text), styles["meta"]))
    story.append(Paragraph(f"Our reference: {escape(letter.case_reference)}", styles["meta"]))
    story.append(Spacer(1, 6 * mm))
    for paragraph in letter.paragraphs:
        story.append(Paragraph(_lines(paragraph.split("\n")), styles["body"]))
    if letter.footer:
        box = Table([[Paragraph(_lines(letter.footer), styles["footer"])]], colWidths=[doc.width])
        box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 1.5, colors.black),
                                 ("LEFTPADDING", (0, 0), (-1, -1), 8), ("RIGHTPADDING", (0, 0), (-1, -1), 8),
                                 ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]))
        story.append(KeepTogether([Spacer(1, 6 * mm), box]))
    reference = letter.case_reference

    def page_foot(canvas, document) -> None:
        # On every page, so a page that comes apart from the others can be put back with its case.
        canvas.saveState()
        canvas.setFont(REGULAR, 8)
        canvas.drawRightString(A4[0] - 25 * mm, 10 * mm, f"{reference}, page {document.page}")
        canvas.restoreState()

    doc.build(story, onFirstPage=page_foot, onLaterPages=page_foot)
    return out.getvalue()


def filename(letter: LetterView) -> str:
    """``PW-000123-referrer-outcome-4.pdf``: the case reference, the letter and its number."""
    safe = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in
                   f"{letter.case_reference}-{letter.key.replace('_', '-')}-{letter.id or 'preview'}")
    return f"{safe}.pdf"
