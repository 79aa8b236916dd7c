"""Checking the files applicants upload (a diploma scan, a project file, a CV): the type decided
by the content and the content parsed (``check_upload``), then a malware scan with ClamAV
(``scan``). See docs/calls/uploads.md.

Two steps because they fail differently: ``check_upload`` refuses at once, while the applicant
is still on the page and can send another file; ``scan`` may be unable to answer (clamd down,
no database), and the file then stays pending and is scanned again later — never taken for
clean.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import socket
import struct
import subprocess
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.template.defaultfilters import filesizeformat
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.crypt import AuthStatus, StandardSecurityHandler
from pyhanko.pdf_utils.reader import PdfFileReader

from jamana.core.errors import JamanaError

logger = logging.getLogger(__name__)

# The signature database for development and tests: it detects the EICAR test file only.
DEVELOPMENT_DATABASE = Path(__file__).resolve().parent / "clamav"

# A 600 dpi scan of an A4 page is 35 megapixels. Decoding is what costs memory (4 bytes a
# pixel for RGBA), so the limit is checked on the header, before any pixel is decoded.
MAX_IMAGE_PIXELS = 40_000_000
DISPLAY_NAME_LENGTH = 100

# clamscan loads the whole database on every run: about 20 s with the official databases
# (clamd loads it once), more on a loaded machine.
CLAMSCAN_TIMEOUT = 180.0
CLAMD_TIMEOUT = 60.0
_CLAMD_CHUNK = 64 * 1024
_CLAMD_MAX_REPLY = 4096


# --- Type, size and content ------------------------------------------------------------------


@dataclass(frozen=True)
class UploadInfo:
    """An accepted upload. ``filename`` is for display only (storage names are our own)."""

    content_type: str  # "application/pdf", "image/jpeg" or "image/png"
    extension: str  # "pdf", "jpg" or "png", without the dot
    size: int
    sha256: str  # hex
    filename: str


@dataclass(frozen=True)
class _Kind:
    content_type: str
    extension: str
    magic: bytes
    suffixes: frozenset[str]  # the names a person may already have given such a file
    parse: Callable[[bytes], None]


def _parse_pdf(data: bytes) -> None:
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        # A PDF with only an owner password (printing forbidden, say) opens with an empty user
        # password, as in any viewer: the jury can read it.
        locked = reader.encrypted and not (
            isinstance(reader.security_handler, StandardSecurityHandler)
            and reader.decrypt("").status != AuthStatus.FAILED
        )
        if not locked and _count_pages(reader) < 1:
            raise ValueError("no page")
    # Anything the reader trips on (bad xref, missing trailer, broken object, loop) means a
    # file the jury could not open either; the reader raises many exception types.
    except Exception as exc:
        raise _damaged() from exc
    if locked:
        raise JamanaError(
            "pdf_protected", _("The PDF is protected by a password. Send it without a password.")
        )


def _count_pages(reader: PdfFileReader) -> int:
    """The leaves of the page tree, each node read once (a loop in the tree is an error)."""
    count = 0
    seen: set[generic.Reference] = set()
    pending: list[generic.PdfObject] = [reader.root.raw_get("/Pages")]
    while pending:
        node_ref = pending.pop()
        if isinstance(node_ref, generic.IndirectObject):
            if node_ref.reference in seen:
                raise ValueError("loop in the page tree")
            seen.add(node_ref.reference)
        node = node_ref.get_object()
        if not isinstance(node, generic.DictionaryObject):
            raise TypeError("page tree node is not a dictionary")
        if node.get("/Type") == "/Pages" or "/Kids" in node:
            kids = node["/Kids"]
            if not isinstance(kids, generic.ArrayObject):
                raise TypeError("/Kids is not an array")
            pending.extend(kids)
        else:
            count += 1
    return count


def _image_parser(pillow_format: str) -> Callable[[bytes], None]:
    def parse(data: bytes) -> None:
        try:
            with Image.open(BytesIO(data), formats=[pillow_format]) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _too_many_pixels()
                # A JPEG decodes at 1/8 scale with the same checks (every scan of the entropy
                # coded data is read, so a truncated file fails) for 1/64 of the memory.
                image.draft(image.mode, (1, 1))
                image.load()
        except JamanaError:
            raise
        except Image.DecompressionBombError as exc:
            raise _too_many_pixels() from exc
        # Pillow reports a truncated or corrupt image as OSError, SyntaxError, ValueError, …
        except Exception as exc:
            raise _damaged() from exc

    return parse


_KINDS = (
    _Kind("application/pdf", "pdf", b"%PDF-", frozenset({".pdf"}), _parse_pdf),
    _Kind(
        "image/jpeg",
        "jpg",
        b"\xff\xd8\xff",
        frozenset({".jpg", ".jpeg", ".jpe"}),
        _image_parser("JPEG"),
    ),
    _Kind("image/png", "png", b"\x89PNG\r\n\x1a\n", frozenset({".png"}), _image_parser("PNG")),
)


def _damaged() -> JamanaError:
    return JamanaError(
        "file_damaged",
        _("The file is damaged or incomplete. Save or scan it again, then send it again."),
    )


def _too_many_pixels() -> JamanaError:
    return JamanaError(
        "too_large",
        _("The image is too large: at most %(megapixels)d megapixels."),
        megapixels=MAX_IMAGE_PIXELS // 1_000_000,
    )


# Formatted when the message is shown, in the reader's language ("10,0 Mo").
_lazy_filesize = lazy(filesizeformat, str)


def check_upload(data: bytes, filename: str, *, max_bytes: int) -> UploadInfo:
    """Accept a PDF, JPEG or PNG file of at most ``max_bytes``, decided by its content (the
    name is never trusted) and only if it parses; raise ``JamanaError`` otherwise, with code
    ``empty_file``, ``too_large`` (bytes, or pixels of an image), ``type_not_allowed``,
    ``file_damaged`` (truncated, garbage behind the header) or ``pdf_protected`` (needs a
    password to open). This does not look for malware: see ``scan``."""
    if not data:
        raise JamanaError("empty_file", _("The file is empty."))
    if len(data) > max_bytes:
        raise JamanaError(
            "too_large",
            _("The file is too large: the limit is %(limit)s."),
            limit=_lazy_filesize(max_bytes),
        )
    # The signature at offset 0 only: a PDF header further in is how polyglot files (an
    # executable that is also a PDF) are built.
    kind = next((each for each in _KINDS if data.startswith(each.magic)), None)
    if kind is None:
        raise JamanaError("type_not_allowed", _("Only PDF, JPEG and PNG files are accepted."))
    kind.parse(data)
    return UploadInfo(
        content_type=kind.content_type,
        extension=kind.extension,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        filename=_display_name(filename, kind),
    )


def _display_name(filename: str, kind: _Kind) -> str:
    """The base name without control or format characters (a right-to-left override makes
    "cv" + U+202E + "fdp.exe" display as "cvexe.pdf"), ending in an extension that matches the
    content, at most DISPLAY_NAME_LENGTH characters."""
    # Older browsers send the whole Windows path ("C:\\fakepath\\cv.pdf").
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = unicodedata.normalize("NFC", name).strip(" .")
    stem, suffix = os.path.splitext(name)
    if suffix.lower() not in kind.suffixes:
        stem, suffix = name or "document", f".{kind.extension}"
    return stem[: DISPLAY_NAME_LENGTH - len(suffix)].rstrip() + suffix


# --- Malware scanning ------------------------------------------------------------------------


@dataclass(frozen=True)
class ScanResult:
    """The scanner's verdict: ``clean`` is True (nothing found), False (``signature`` names
    what was found) or None (could not scan: keep the file pending, scan it again later)."""

    clean: bool | None
    signature: str = ""
    engine: str = ""  # "clamd" or "clamscan"
    detail: str = ""  # why it could not scan, for the operators


class Scanner(Protocol):
    engine: str

    def scan(self, data: bytes) -> ScanResult: ...


class ClamdScanner:
    """A clamd daemon reached over its socket: a unix socket path, or "host:port" for TCP.
    The bytes are streamed with INSTREAM; clamd needs no access to our files."""

    engine = "clamd"

    def __init__(self, address: str, *, timeout: float = CLAMD_TIMEOUT) -> None:
        self.address = address
        self.timeout = timeout
        self._family, self._target = _parse_clamd_address(address)

    def scan(self, data: bytes) -> ScanResult:
        try:
            sock = socket.socket(self._family, socket.SOCK_STREAM)
        except OSError as exc:
            return self._unavailable(f"no socket: {exc}")
        with sock:
            sock.settimeout(self.timeout)
            try:
                sock.connect(self._target)
            except OSError as exc:
                return self._unavailable(f"cannot reach clamd at {self.address}: {exc}")
            try:
                _send_instream(sock, data)
            except OSError as exc:
                # clamd answers and hangs up mid-stream when the stream passes its
                # StreamMaxLength: its answer may still be waiting to be read.
                logger.info("clamd stopped reading the stream: %s", exc)
            try:
                reply = _read_reply(sock)
            except OSError as exc:
                return self._unavailable(f"no answer from clamd: {exc}")
        return _clamd_verdict(reply, engine=self.engine)

    def _unavailable(self, detail: str) -> ScanResult:
        return ScanResult(clean=None, engine=self.engine, detail=detail)


def _parse_clamd_address(address: str) -> tuple[socket.AddressFamily, str | tuple[str, int]]:
    if not address:
        raise ImproperlyConfigured("JAMANA_CLAMD_SOCKET is empty")
    if "/" in address:
        return socket.AF_UNIX, address
    host, _colon, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ImproperlyConfigured(
            f"JAMANA_CLAMD_SOCKET must be a unix socket path or host:port, got {address!r}"
        )
    host = host.strip("[]")  # "[::1]:3310"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return family, (host, int(port))


def _send_instream(sock: socket.socket, data: bytes) -> None:
    # The z prefix: the command and the reply end with a NUL byte. Each chunk is preceded by
    # its length (4 bytes, big-endian); a zero length ends the stream.
    sock.sendall(b"zINSTREAM\0")
    view = memoryview(data)
    for start in range(0, len(data), _CLAMD_CHUNK):
        chunk = view[start : start + _CLAMD_CHUNK]
        sock.sendall(struct.pack(">I", len(chunk)))
        sock.sendall(chunk)
    sock.sendall(struct.pack(">I", 0))


def _read_reply(sock: socket.socket) -> str:
    reply = bytearray()
    while b"\0" not in reply and len(reply) < _CLAMD_MAX_REPLY:
        received = sock.recv(1024)
        if not received:
            break
        reply += received
    return bytes(reply).split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def _clamd_verdict(reply: str, *, engine: str) -> ScanResult:
    # Only the exact "OK" is clean; anything else we do not understand is "could not scan".
    if reply == "stream: OK":
        return ScanResult(clean=True, engine=engine)
    if reply.startswith("stream: ") and reply.endswith(" FOUND"):
        name = reply.removeprefix("stream: ").removesuffix(" FOUND").strip()
        return ScanResult(clean=False, signature=name or "unknown", engine=engine)
    return ScanResult(clean=None, engine=engine, detail=reply or "empty answer from clamd")


class ClamscanScanner:
    """The clamscan program, fed the bytes on its standard input. It loads the database on
    every run: fine for development and tests, slow with the official databases."""

    engine = "clamscan"

    def __init__(
        self,
        *,
        binary: str = "clamscan",
        database: str | Path | None = None,
        timeout: float = CLAMSCAN_TIMEOUT,
    ) -> None:
        self.binary = binary
        self.database = database
        self.timeout = timeout

    def scan(self, data: bytes) -> ScanResult:
        binary = shutil.which(self.binary)
        if binary is None:
            return self._unavailable(f"{self.binary} is not installed")
        args = [binary, "--no-summary", "--stdout"]
        if self.database:
            args += ["--database", str(self.database)]
        args.append("-")
        try:
            completed = subprocess.run(  # noqa: S603 — our binary and our own arguments, no shell
                args, input=data, capture_output=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired:
            return self._unavailable(f"clamscan took more than {self.timeout:.0f} s")
        except OSError as exc:
            return self._unavailable(f"cannot run {binary}: {exc}")
        output = completed.stdout.decode("utf-8", "replace")
        # Exit codes: 0 nothing found, 1 found, 2 error (no database, unreadable input, …).
        if completed.returncode == 0 and "stdin: OK" in output.splitlines():
            return ScanResult(clean=True, engine=self.engine)
        if completed.returncode == 1:
            found = [
                line.removeprefix("stdin: ").removesuffix(" FOUND").strip()
                for line in output.splitlines()
                if line.startswith("stdin: ") and line.endswith(" FOUND")
            ]
            return ScanResult(
                clean=False, signature=found[0] if found else "unknown", engine=self.engine
            )
        errors = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        reason = errors[-1] if errors else output.strip()
        return self._unavailable(f"clamscan exited with {completed.returncode}: {reason}")

    def _unavailable(self, detail: str) -> ScanResult:
        return ScanResult(clean=None, engine=self.engine, detail=detail)


def get_scanner() -> Scanner:
    """The scanner the settings choose (read on each call, so a test may change them)."""
    name = getattr(settings, "JAMANA_MALWARE_SCANNER", "clamscan")
    if name == "clamd":
        return ClamdScanner(getattr(settings, "JAMANA_CLAMD_SOCKET", "/run/clamav/clamd.ctl"))
    if name == "clamscan":
        return ClamscanScanner(
            binary=getattr(settings, "JAMANA_CLAMSCAN", "clamscan"),
            database=getattr(settings, "JAMANA_CLAMAV_DATABASE", None) or None,
        )
    raise ImproperlyConfigured(f"JAMANA_MALWARE_SCANNER must be clamd or clamscan, got {name!r}")


def scan(data: bytes) -> ScanResult:
    """Scan ``data`` for malware with the configured scanner. Never raises for an unavailable
    scanner: the result's ``clean`` is then None."""
    scanner = get_scanner()
    started = time.monotonic()
    result = scanner.scan(data)
    elapsed_ms = (time.monotonic() - started) * 1000
    if result.clean is None:
        logger.warning(
            "malware scan not done (%s, %.0f ms): %s", result.engine, elapsed_ms, result.detail
        )
    else:
        logger.info(
            "malware scan by %s: %s (%d bytes, %.0f ms)",
            result.engine,
            "clean" if result.clean else f"FOUND {result.signature}",
            len(data),
            elapsed_ms,
        )
    return result
