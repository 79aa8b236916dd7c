"""How an SMS text travels: GSM 7-bit or UCS-2, and in how many segments (3GPP TS 23.038 and
23.040). Pure Python, no Django: the gateways, the outbox and the pages all count the same way.

* GSM-7: the default alphabet (via the ``gsm0338`` codec). One SMS holds 160 septets; once split,
  each segment holds 153 (the 6-octet concatenation header takes 7 septets). A character of the
  extension table (``€ [ ] { } \\ ^ ~ |`` and form feed) is sent as ESC + character and counts 2.
* UCS-2: any other character forces it for the whole text: Bambara ``ɛ ɔ ɲ ŋ`` (and capitals),
  but also ``ç ê â î ô û ë ï`` and emoji. One SMS holds 70 UTF-16 code units, 67 per segment.
  A character beyond the BMP (an emoji) is a surrogate pair: it counts 2 and is never cut.

Parts are cut between characters, never inside an escape sequence or a surrogate pair, so a
segment may hold one unit less than the maximum; the count is the number of parts actually sent.
An empty text is one (empty) SMS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import gsm0338  # noqa: F401 (registers the "gsm03.38" codec)

GSM7: Final = "gsm7"
UCS2: Final = "ucs2"

#: (units in a single SMS, units per segment of a concatenated SMS)
LIMITS: Final = {GSM7: (160, 153), UCS2: (70, 67)}
_CODEC = "gsm03.38"
# ESC itself is in the codec's table, but as text it would make the handset read the next
# character from the extension table: such a text is sent as UCS-2.
_ESCAPE = "\x1b"


# Typographic spaces (the no-break and narrow no-break spaces of "2 500 FCFA", the thin space)
# are outside the GSM alphabet: one of them would make a whole French SMS UCS-2, three times
# as many segments. A handset shows a plain space just as well.
_PLAIN_SPACES = str.maketrans(dict.fromkeys("\u00a0\u202f\u2009", " "))


def sms_text(text: str) -> str:
    """``text`` as an SMS carries it: typographic spaces made plain."""
    return text.translate(_PLAIN_SPACES)


@dataclass(frozen=True)
class SmsLayout:
    """What a text costs: its encoding, its length in units (septets or UTF-16 code units),
    and the parts it is sent in (one per segment)."""

    encoding: str
    units: int
    parts: tuple[str, ...]

    @property
    def segments(self) -> int:
        return len(self.parts)


def gsm7_units(char: str) -> int | None:
    """Septets ``char`` takes in GSM-7 (1, or 2 for the extension table), None if it has none."""
    if char == _ESCAPE:
        return None
    try:
        return len(char.encode(_CODEC))
    except UnicodeEncodeError:
        return None


def ucs2_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def sms_layout(text: str) -> SmsLayout:
    """The encoding, length and parts of ``text`` as an SMS."""
    gsm_costs = [gsm7_units(char) for char in text]
    if all(cost is not None for cost in gsm_costs):
        encoding, costs = GSM7, [cost or 0 for cost in gsm_costs]
    else:
        encoding, costs = UCS2, [ucs2_units(char) for char in text]
    units = sum(costs)
    single, per_segment = LIMITS[encoding]
    if units <= single:
        return SmsLayout(encoding=encoding, units=units, parts=(text,))
    parts: list[str] = []
    start, used = 0, 0
    for index, cost in enumerate(costs):
        if used + cost > per_segment:
            parts.append(text[start:index])
            start, used = index, 0
        used += cost
    parts.append(text[start:])
    return SmsLayout(encoding=encoding, units=units, parts=tuple(parts))


def encode_part(part: str, encoding: str) -> bytes:
    """The octets of one part: unpacked GSM-7 septets (ESC + char for the extension table), as
    SMPP's default data coding carries them, or UTF-16 big-endian for UCS-2."""
    if encoding == GSM7:
        return part.encode(_CODEC)
    return part.encode("utf-16-be")


def decode_octets(data: bytes, data_coding: int) -> str:
    """Text from SMPP ``short_message`` octets: 0 GSM-7 (unpacked), 8 UCS-2, 3 Latin-1,
    1 IA5/ASCII; anything else is read as Latin-1 so that nothing raises."""
    if data_coding == 0x08:
        return data.decode("utf-16-be", errors="replace")
    if data_coding == 0x00:
        return data.decode(_CODEC, errors="replace")
    if data_coding == 0x01:
        return data.decode("ascii", errors="replace")
    return data.decode("latin-1")
