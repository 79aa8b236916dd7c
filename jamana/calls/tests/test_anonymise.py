"""What blind reviewers download carries no author metadata, and still opens."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from jamana.calls.anonymise import CannotAnonymise, without_metadata
from jamana.calls.tests.conftest import small_pdf
from jamana.testing import require_tool, run_tool


def test_a_pdf_loses_its_info_and_xmp_and_keeps_its_pages(tmp_path):
    original = small_pdf("Mon projet de forage", author="Awa Traoré")
    assert b"Traor" in original
    clean = without_metadata(original, "application/pdf")
    assert b"Traor" not in clean and b"/Author" not in clean and b"/Metadata" not in clean
    path = tmp_path / "clean.pdf"
    path.write_bytes(clean)
    code, text = run_tool(require_tool("pdftotext"), str(path), "-")
    assert code == 0 and "Mon projet de forage" in text


def test_a_photo_loses_its_exif_and_comment_and_stays_upright():
    picture = Image.new("RGB", (40, 20), "green")
    exif = Image.Exif()
    exif[0x013B] = "Awa Traore"  # Artist
    exif[0x0112] = 6  # Orientation: rotated 90° clockwise
    buffer = BytesIO()
    picture.save(buffer, format="JPEG", exif=exif, comment=b"Awa Traore")
    clean = without_metadata(buffer.getvalue(), "image/jpeg")
    assert b"Awa Traore" not in clean
    with Image.open(BytesIO(clean)) as opened:
        assert not opened.getexif() and opened.size == (20, 40)  # turned as the EXIF said


def test_what_cannot_be_rewritten_is_refused_not_passed_on():
    with pytest.raises(CannotAnonymise):
        without_metadata(b"%PDF-1.7 this is not a PDF", "application/pdf")
    with pytest.raises(CannotAnonymise):
        without_metadata(b"<html>", "text/html")
