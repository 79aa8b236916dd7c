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

    if content.verification_url:
        _draw_qr(canvas, content.verification_url, x=left, y=20 * mm, size=32 * mm)
        canvas.setFont("DejaVuSans", 8)
        text_x = left + 36 * mm
        text_y = 44 * mm
        for line in _wrap(content.verification_hint, "DejaVuSans", 8, right - text_x):
            canvas.drawString(text_x, text_y, line)
            text_y -= 4 * mm
        canvas.setFont("DejaVuSans-Bold", 9)
        canvas.drawString(text_x, text_y - 1 * mm, content.verification_url)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _draw_qr(canvas: Canvas, payload: str, *, x: float, y: float, size: float) -> None:
    """Draw the QR code as vector squares: sharp at any zoom, no image to embed."""
    qr = segno.make_qr(payload, error="m")
    matrix = list(qr.matrix_iter(scale=1, border=2))
    module = size / len(matrix)
    canvas.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                canvas.rect(
                    x + col_index * module,
                    y + size - (row_index + 1) * module,
                    module,
                    module,
                    stroke=0,
                    fill=1,
                )
