"""Files shown to blind reviewers, without the metadata that can name their author.

A project file renamed to the applicant's pseudonym still says who wrote it: a PDF's Info
dictionary (Author, Title, Creator…) and XMP stream, a photo's EXIF (camera owner, GPS) and
comments. Reviewers get a copy rewritten without them: the PDF's objects reachable from its
catalogue copied into a new file (pyHanko) with no Info and no XMP, an image re-saved by Pillow
with its pixels only (turned upright first, since the orientation lived in the EXIF).
"""

from __future__ import annotations

from io import BytesIO

from PIL import Image, ImageOps
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

# Entries that carry metadata on the catalogue and on pages (ISO 32000-1 §14.3, §14.5).
_METADATA_KEYS = ("/Metadata", "/PieceInfo")


class CannotAnonymise(ValueError):
    """A file that could not be rewritten: it must not reach a reviewer as it is."""


def without_metadata(data: bytes, content_type: str) -> bytes:
    """``data`` rewritten without author metadata; raises :class:`CannotAnonymise`."""
    try:
        if content_type == "application/pdf":
            return _pdf(data)
        if content_type in ("image/jpeg", "image/png"):
            return _image(data, "JPEG" if content_type == "image/jpeg" else "PNG")
    except Exception as exc:  # pyHanko and Pillow raise many kinds on a damaged file
        raise CannotAnonymise(str(exc)) from exc
    raise CannotAnonymise(f"no anonymisation for {content_type}")


def _strip(dictionary: generic.DictionaryObject) -> None:
    for key in _METADATA_KEYS:
        dictionary.pop(key, None)


def _strip_pages(node: generic.DictionaryObject, depth: int = 0) -> None:
    _strip(node)
    if depth > 64:  # a page tree this deep is broken or hostile
        raise ValueError("page tree too deep")
    for kid in node.get("/Kids", ()):
        _strip_pages(kid.get_object(), depth + 1)


def _pdf(data: bytes) -> bytes:
    reader = PdfFileReader(BytesIO(data), strict=False)
    writer = copy_into_new_writer(reader, writer_kwargs={"info": None})
    writer.set_info(None)
    _strip(writer.root)
    _strip_pages(writer.root["/Pages"].get_object())
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _image(data: bytes, image_format: str) -> bytes:
    with Image.open(BytesIO(data)) as opened:
        upright = ImageOps.exif_transpose(opened) or opened
        upright.info = {}  # EXIF, comments, text chunks, ICC: none is saved without this
        out = BytesIO()
        upright.save(
            out, format=image_format, **({"quality": 92} if image_format == "JPEG" else {})
        )
    return out.getvalue()
