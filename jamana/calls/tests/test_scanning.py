"""Checking applicants' uploads: type by content, parsing, size, and a real ClamAV scan (clamscan
and a clamd started for these tests) with the EICAR-only database in jamana/calls/clamav."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from PIL import Image
from pyhanko.pdf_utils import embed
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen.canvas import Canvas

from jamana.calls.scanning import (
    DEVELOPMENT_DATABASE,
    MAX_IMAGE_PIXELS,
    ClamdScanner,
    UploadInfo,
    check_upload,
    scan,
)
from jamana.core.errors import JamanaError
from jamana.documents.rendering import DocumentContent, render_pdf
from jamana.testing import require_tool

MAX = 10 * 1024 * 1024

# The standard anti-virus test file, in two halves so that this source file is not itself
# taken for it.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EI" + b"CAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


# --- Files ------------------------------------------------------------------------------------


def diploma_pdf() -> bytes:
    """A real PDF as the platform renders them (embedded fonts, compressed streams, a QR)."""
    return render_pdf(
        DocumentContent(
            country_heading="République du Mali",
            motto="Un Peuple – Un But – Une Foi",
            issuer="Université des Sciences Sociales et de Gestion de Bamako",
            title="Diplôme de Licence",
            number="USSGB-2024-00117",
            fields=[("Titulaire", "Aminata Traoré"), ("Mention", "Assez bien")],
            paragraphs=["Délivré à Bamako le 12 juillet 2024."],
            verification_url="https://jamana.example/v/USSGB-2024-00117",
        )
    )


def scanned_image(fmt: str, *, size: tuple[int, int] = (600, 400)) -> bytes:
    buffer = BytesIO()
    Image.effect_noise(size, 40).convert("RGB").save(buffer, fmt)
    return buffer.getvalue()


def simple_pdf(*, encrypt: StandardEncryption | None = None) -> bytes:
    buffer = BytesIO()
    canvas = Canvas(buffer, encrypt=encrypt)
    canvas.drawString(72, 720, "Curriculum vitae")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def pdf_with_attachment(data: bytes, name: str) -> bytes:
    """A valid PDF carrying ``data`` as an embedded (compressed) file."""
    writer = IncrementalPdfFileWriter(BytesIO(simple_pdf()))
    embedded = embed.EmbeddedFileObject.from_file_data(writer, data=data)
    embed.embed_file(writer, embed.FileSpec(file_spec_string=name, embedded_data=embedded))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def refusal(data: bytes, filename: str = "piece.pdf", *, max_bytes: int = MAX) -> str:
    with pytest.raises(JamanaError) as caught:
        check_upload(data, filename, max_bytes=max_bytes)
    assert caught.value.message  # a sentence for the applicant, not only a code
    return caught.value.code


# --- Type, size and content -------------------------------------------------------------------


def test_a_real_pdf_is_accepted_with_its_digest() -> None:
    data = diploma_pdf()

    info = check_upload(data, "diplome-licence.pdf", max_bytes=MAX)

    assert info == UploadInfo(
        content_type="application/pdf",
        extension="pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        filename="diplome-licence.pdf",
    )


@pytest.mark.parametrize(
    ("fmt", "content_type", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png")],
)
def test_scanned_images_are_accepted(fmt: str, content_type: str, extension: str) -> None:
    info = check_upload(scanned_image(fmt), f"scan.{extension}", max_bytes=MAX)

    assert (info.content_type, info.extension) == (content_type, extension)


def test_the_type_comes_from_the_content_not_the_name() -> None:
    info = check_upload(scanned_image("PNG"), "photo.pdf", max_bytes=MAX)

    assert info.content_type == "image/png"
    assert info.filename == "photo.pdf.png"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(Path("/bin/true").read_bytes(), id="elf-executable"),
        pytest.param(
            b"MZ\x90\x00\x03" + b"\x00" * 59 + b"This program cannot be run in DOS mode.",
            id="windows-executable",
        ),
        pytest.param(b"PK\x03\x04" + b"\x00" * 100, id="zip"),
        pytest.param(b"<html><script>alert(1)</script></html>", id="html"),
        pytest.param(b"GIF89a" + b"\x00" * 100, id="gif"),
    ],
)
def test_an_executable_or_other_type_renamed_pdf_is_refused(data: bytes) -> None:
    assert refusal(data, "diplome.pdf") == "type_not_allowed"


def test_a_pdf_header_further_in_the_file_is_not_enough() -> None:
    # A polyglot: an executable stub with a whole PDF behind it.
    assert refusal(b"MZ" + b"\x00" * 62 + diploma_pdf()) == "type_not_allowed"


@pytest.mark.parametrize("keep", [0.5, 0.95])
def test_a_truncated_pdf_is_refused_as_damaged(keep: float) -> None:
    data = diploma_pdf()

    assert refusal(data[: int(len(data) * keep)]) == "file_damaged"


def test_garbage_behind_a_pdf_header_is_refused_as_damaged() -> None:
    assert refusal(b"%PDF-1.7\n" + os.urandom(4000) + b"\n%%EOF\n") == "file_damaged"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_truncated_image_is_refused_as_damaged(fmt: str) -> None:
    data = scanned_image(fmt)

    assert refusal(data[: len(data) // 2], "scan.jpg") == "file_damaged"


def test_a_pdf_that_needs_a_password_is_refused() -> None:
    locked = simple_pdf(encrypt=StandardEncryption("secret", ownerPassword="owner"))

    assert refusal(locked) == "pdf_protected"


def test_a_pdf_with_only_an_owner_password_opens_and_is_accepted() -> None:
    no_print = simple_pdf(encrypt=StandardEncryption("", ownerPassword="owner", canPrint=0))

    assert check_upload(no_print, "cv.pdf", max_bytes=MAX).content_type == "application/pdf"


def test_an_empty_file_is_refused() -> None:
    assert refusal(b"") == "empty_file"


def test_a_file_over_the_limit_is_refused_and_one_at_the_limit_accepted() -> None:
    data = diploma_pdf()

    assert refusal(data, max_bytes=len(data) - 1) == "too_large"
    assert check_upload(data, "cv.pdf", max_bytes=len(data)).size == len(data)


def test_the_size_limit_is_shown_in_the_language_of_whoever_reads_it() -> None:
    with pytest.raises(JamanaError) as caught:
        check_upload(b"%PDF-" + b"0" * 3000, "cv.pdf", max_bytes=2 * 1024)

    with translation.override("en"):
        assert "2.0\xa0KB" in caught.value.message
    with translation.override("fr"):
        assert "2,0\xa0Kio" in caught.value.message


def test_an_image_with_too_many_pixels_is_refused_before_decoding() -> None:
    # One bit a pixel: a few kilobytes on disk, 40 megapixels once decoded.
    buffer = BytesIO()
    Image.new("1", (8000, MAX_IMAGE_PIXELS // 8000 + 1)).save(buffer, "PNG")

    assert refusal(buffer.getvalue(), "scan.png") == "too_large"


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("C:\\fakepath\\Diplôme licence.pdf", "Diplôme licence.pdf"),
        ("../../etc/cv.pdf", "cv.pdf"),
        ("cv\u202efdp.exe", "cvfdp.exe.pdf"),  # a right-to-left override would show "cvexe.pdf"
        ("pro\x00jet\n.PDF", "projet.PDF"),
        ("", "document.pdf"),
        ("...", "document.pdf"),
        ("a" * 300 + ".pdf", "a" * 96 + ".pdf"),
    ],
)
def test_the_file_name_is_cleaned_for_display(sent: str, shown: str) -> None:
    assert check_upload(simple_pdf(), sent, max_bytes=MAX).filename == shown


# --- clamscan ---------------------------------------------------------------------------------


@pytest.fixture
def clamscan(settings: Any) -> None:
    settings.JAMANA_MALWARE_SCANNER = "clamscan"
    settings.JAMANA_CLAMSCAN = require_tool("clamscan")
    settings.JAMANA_CLAMAV_DATABASE = str(DEVELOPMENT_DATABASE)


@pytest.mark.usefixtures("clamscan")
def test_clamscan_finds_eicar() -> None:
    result = scan(EICAR)

    assert result.clean is False
    assert result.signature == "Jamana.Test.EICAR.UNOFFICIAL"
    assert result.engine == "clamscan"


@pytest.mark.usefixtures("clamscan")
def test_eicar_followed_by_a_newline_is_still_found() -> None:
    # The EICAR standard allows trailing whitespace; editors add a newline.
    assert scan(EICAR + b"\r\n").clean is False


@pytest.mark.usefixtures("clamscan")
def test_a_clean_pdf_is_clean() -> None:
    result = scan(diploma_pdf())

    assert (result.clean, result.signature, result.engine) == (True, "", "clamscan")


@pytest.mark.usefixtures("clamscan")
def test_eicar_attached_inside_a_valid_pdf_passes_the_type_check_but_not_the_scan() -> None:
    data = pdf_with_attachment(EICAR, "annexe.com")

    assert check_upload(data, "projet.pdf", max_bytes=MAX).content_type == "application/pdf"
    assert EICAR not in data  # compressed: only a scanner that opens the PDF finds it
    assert scan(data).clean is False


@pytest.mark.usefixtures("clamscan")
def test_clamscan_without_a_database_cannot_scan(settings: Any, tmp_path: Path) -> None:
    settings.JAMANA_CLAMAV_DATABASE = str(tmp_path)

    result = scan(EICAR)

    assert result.clean is None
    assert "exited with 2" in result.detail


def test_a_missing_clamscan_binary_cannot_scan(settings: Any, tmp_path: Path) -> None:
    settings.JAMANA_MALWARE_SCANNER = "clamscan"
    settings.JAMANA_CLAMSCAN = str(tmp_path / "clamscan")

    result = scan(EICAR)

    assert (result.clean, result.engine) == (None, "clamscan")
    assert "not installed" in result.detail


def test_an_unknown_scanner_setting_fails_loudly(settings: Any) -> None:
    settings.JAMANA_MALWARE_SCANNER = "none"

    with pytest.raises(ImproperlyConfigured):
        scan(b"%PDF-")


# --- clamd ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Clamd:
    socket_path: Path
    tcp_address: str


STREAM_MAX_LENGTH = 2 * 1024 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _clamd_answers(socket_path: Path) -> bool:
    try:
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(2)
            client.connect(str(socket_path))
            client.sendall(b"zPING\0")
            return client.recv(16).startswith(b"PONG")
    except OSError:
        return False


@pytest.fixture(scope="module")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clamd]:
    """A real clamd on our database, on a unix socket and on loopback TCP, for this module."""
    # clamd lives in /usr/sbin, which is not on an ordinary user's PATH on Debian.
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin"])
    binary = require_tool(shutil.which("clamd", path=search) or "clamd")
    folder = tmp_path_factory.mktemp("clamd")
    socket_path = folder / "clamd.sock"  # short: a unix socket path has at most 107 bytes
    port = _free_port()
    config = folder / "clamd.conf"
    config.write_text(
        f"LocalSocket {socket_path}\n"
        f"TCPSocket {port}\n"
        "TCPAddr 127.0.0.1\n"
        f"DatabaseDirectory {DEVELOPMENT_DATABASE}\n"
        f"TemporaryDirectory {folder}\n"
        f"StreamMaxLength {STREAM_MAX_LENGTH}\n"
        "Foreground yes\n"
    )
    log = (folder / "clamd.log").open("wb")
    daemon = subprocess.Popen(  # noqa: S603 — the Debian binary, our own config file
        [binary, "--config-file", str(config)], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while not _clamd_answers(socket_path):
            if daemon.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"clamd did not start:\n{(folder / 'clamd.log').read_text()}")
            time.sleep(0.05)
        yield Clamd(socket_path=socket_path, tcp_address=f"127.0.0.1:{port}")
    finally:
        daemon.terminate()
        try:
            daemon.wait(timeout=10)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()


@pytest.fixture
def clamd_settings(settings: Any, clamd: Clamd) -> Clamd:
    settings.JAMANA_MALWARE_SCANNER = "clamd"
    settings.JAMANA_CLAMD_SOCKET = str(clamd.socket_path)
    return clamd


def test_clamd_finds_eicar_through_its_socket(clamd_settings: Clamd) -> None:
    result = scan(EICAR)

    assert (result.clean, result.signature, result.engine) == (
        False,
        "Jamana.Test.EICAR.UNOFFICIAL",
        "clamd",
    )


def test_clamd_says_a_real_pdf_and_image_are_clean(clamd_settings: Clamd) -> None:
    assert scan(diploma_pdf()).clean is True
    assert scan(scanned_image("JPEG")).clean is True


def test_clamd_over_tcp_finds_eicar_attached_inside_a_pdf(clamd: Clamd) -> None:
    scanner = ClamdScanner(clamd.tcp_address)

    assert scanner.scan(pdf_with_attachment(EICAR, "annexe.com")).clean is False
    assert scanner.scan(simple_pdf()).clean is True


def test_clamd_reads_a_stream_of_many_chunks(clamd_settings: Clamd) -> None:
    # EICAR as the last member of an archive behind a megabyte of noise: the stream is sent
    # in 64 KiB chunks and clamd must have read all of them to find it.
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("noise.bin", os.urandom(1024 * 1024))
        archive.writestr("eicar.com", EICAR)

    assert scan(buffer.getvalue()).clean is False
    assert scan(os.urandom(1024 * 1024)).clean is True


def test_a_stream_longer_than_clamd_accepts_is_not_scanned(clamd_settings: Clamd) -> None:
    # clamd's StreamMaxLength must be at least MAX_UPLOAD_BYTES (docs/calls/uploads.md).
    result = scan(EICAR + b" " * STREAM_MAX_LENGTH)

    assert result.clean is None
    assert "size limit exceeded" in result.detail


def test_a_missing_clamd_socket_cannot_scan(settings: Any, tmp_path: Path) -> None:
    settings.JAMANA_MALWARE_SCANNER = "clamd"
    settings.JAMANA_CLAMD_SOCKET = str(tmp_path / "clamd.sock")

    result = scan(EICAR)

    assert (result.clean, result.engine) == (None, "clamd")
    assert "cannot reach clamd" in result.detail


def test_a_closed_clamd_port_cannot_scan() -> None:
    assert ClamdScanner(f"127.0.0.1:{_free_port()}").scan(EICAR).clean is None


def test_a_server_that_hangs_up_without_answering_is_not_taken_for_clean() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)

        def hang_up() -> None:
            connection, _address = server.accept()
            connection.recv(16)
            connection.close()

        thread = threading.Thread(target=hang_up)
        thread.start()
        result = ClamdScanner(f"127.0.0.1:{server.getsockname()[1]}", timeout=5).scan(EICAR)
        thread.join()

    assert result.clean is None


def test_a_malformed_clamd_address_fails_loudly() -> None:
    with pytest.raises(ImproperlyConfigured):
        ClamdScanner("clamd-without-port")
