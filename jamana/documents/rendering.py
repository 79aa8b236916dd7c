"""Render an official document to PDF (before sealing): heading, fields, text, and a QR code
with the verification link. DejaVu Sans covers French and Bambara letters (ɛ ɔ ɲ ŋ)."""

from __future__ import annotations

from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from jamana.trust.seal2d import seal_qr_matrix

FONTS = Path(__file__).resolve().parent / "fonts"
_registered = False


def _register_fonts() -> None:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(FONTS / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))
        _registered = True


@dataclass(frozen=True)
class DocumentContent:
    country_heading: str  # "République du Mali" + motto
    motto: str
    issuer: str
    title: str
    number: str
    fields: list[tuple[str, str]]
    paragraphs: list[str] = field(default_factory=list)
    issued_line: str = ""
    verification_url: str = ""
    verification_hint: str = ""
    language: str = "fr"
    # The offline 2D seal ("JM1:…") of the printable copy; the electronic original carries
    # a plain link instead.
    seal2d: str = ""
    seal2d_hint: str = ""


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}".strip()
            if pdfmetrics.stringWidth(candidate, font, size) <= width:
                current = candidate
            else:
                if current:
                    lines.append(current)
                current = word
        lines.append(current)
    return lines


def render_pdf(content: DocumentContent) -> bytes:
    """A one-page A4 PDF. Deterministic for the same content (no creation-time noise)."""
    _register_fonts()
    buffer = BytesIO()
    canvas = Canvas(
        buffer,
        pagesize=A4,
        invariant=True,
        lang=content.language,
        initialFontName="DejaVuSans",
        initialFontSize=10,
    )
    canvas.setTitle(f"{content.title} — {content.number}")
    canvas.setAuthor(content.issuer)
    canvas.setSubject(content.title)
    width, height = A4
    left, right = 20 * mm, width - 20 * mm
    y = height - 20 * mm

    canvas.setFont("DejaVuSans-Bold", 12)
    canvas.drawCentredString(width / 2, y, content.country_heading)
    y -= 5 * mm
    canvas.setFont("DejaVuSans", 9)
    canvas.drawCentredString(width / 2, y, content.motto)
    y -= 9 * mm
    canvas.setFont("DejaVuSans", 10)
    canvas.drawCentredString(width / 2, y, content.issuer)
    y -= 14 * mm
    canvas.setFont("DejaVuSans-Bold", 16)
    canvas.drawCentredString(width / 2, y, content.title)
    y -= 7 * mm
    canvas.setFont("DejaVuSans", 10)
    canvas.drawCentredString(width / 2, y, f"N° {content.number}")
    y -= 12 * mm

    label_width = 55 * mm
    for label, value in content.fields:
        canvas.setFont("DejaVuSans-Bold", 10)
        canvas.drawString(left, y, label)
        canvas.setFont("DejaVuSans", 10)
        for line in _wrap(value or "—", "DejaVuSans", 10, right - left - label_width):
            canvas.drawString(left + label_width, y, line)
            y -= 5.5 * mm
        y -= 1.5 * mm
    y -= 4 * mm
    canvas.setFont("DejaVuSans", 10)
    for paragraph in content.paragraphs:
        for line in _wrap(paragraph, "DejaVuSans", 10, right - left):
            canvas.drawString(left, y, line)
            y -= 5.5 * mm
        y -= 3 * mm
    if content.issued_line:
        y -= 4 * mm
        canvas.drawRightString(right, y, content.issued_line)

    if content.seal2d:
        # 30 mm including the quiet zone: the size the seal is specified to be read at.
        _draw_matrix(
            canvas, seal_qr_matrix(content.seal2d), x=right - 30 * mm, y=20 * mm, size=30 * mm
        )
        canvas.setFont("DejaVuSans", 7)
        text_y = 16 * mm
        for line in _wrap(content.seal2d_hint, "DejaVuSans", 7, 60 * mm):
            canvas.drawRightString(right, text_y, line)
            text_y -= 3.2 * mm
    if content.verification_url:
        link = segno.make_qr(content.verification_url, error="m")
        _draw_matrix(
            canvas,
            tuple(tuple(bool(m) for m in row) for row in link.matrix_iter(scale=1, border=2)),
            x=left,
            y=20 * mm,
            size=32 * mm,
        )
        canvas.setFont("DejaVuSans", 8)
        text_x = left + 36 * mm
        text_y = 44 * mm
        # Leave room for the 2D seal in the right-hand corner.
        text_right = right - 34 * mm if content.seal2d else right
        for line in _wrap(content.verification_hint, "DejaVuSans", 8, text_right - text_x):
            canvas.drawString(text_x, text_y, line)
            text_y -= 4 * mm
        canvas.setFont("DejaVuSans-Bold", 8 if content.seal2d else 9)
        canvas.drawString(text_x, text_y - 1 * mm, content.verification_url)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_matrix(
    canvas: Canvas, matrix: tuple[tuple[bool, ...], ...], *, x: float, y: float, size: float
) -> None:
    """Draw a QR matrix as vector rectangles, one per horizontal run of dark modules: sharp at
    any zoom, no image to embed, and several times fewer drawing operations than one per
    module."""
    module = size / len(matrix)
    canvas.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(matrix):
        top = y + size - (row_index + 1) * module
        col = 0
        while col < len(row):
            if not row[col]:
                col += 1
                continue
            start = col
            while col < len(row) and row[col]:
                col += 1
            canvas.rect(x + start * module, top, (col - start) * module, module, stroke=0, fill=1)
