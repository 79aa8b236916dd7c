"""Short references for what Jamana creates (requests, documents), readable over the phone.

A reference is 8 random characters plus one check character, shown as ``7K3-Q9P-X2M``.
The check character follows ISO 7064 (pure system, radix 2) over a 31-character alphabet;
31 is prime, so every single-character error and every swap of two neighbours changes the
checksum. The alphabet drops I, L, O, U and Z, which are misread or misheard for 1, 0, V, 2.
"""

from __future__ import annotations

import secrets

from stdnum.iso7064 import mod_37_2

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"
BODY_LENGTH = 8
# What people type for the letters we never issue.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


class InvalidReference(ValueError):
    """A reference with a wrong character or a wrong check character."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # "format" or "check"


def check_character(body: str) -> str:
    return mod_37_2.calc_check_digit(body, alphabet=ALPHABET)


def new_reference() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(BODY_LENGTH))
    return body + check_character(body)


def format_reference(reference: str) -> str:
    return "-".join(reference[i : i + 3] for i in range(0, len(reference), 3))


def parse_reference(text: str) -> str:
    """Normalize what a person typed or read out and verify its check character.

    Spaces, dashes and case are ignored; O, I and L are read as 0, 1 and 1.
    Raises InvalidReference("format") or InvalidReference("check").
    """
    cleaned = "".join(ch for ch in text.upper() if ch not in " -.").translate(_LOOKALIKES)
    if len(cleaned) != BODY_LENGTH + 1 or any(ch not in ALPHABET for ch in cleaned):
        raise InvalidReference("format")
    if mod_37_2.checksum(cleaned, alphabet=ALPHABET) != 1:
        raise InvalidReference("check")
    return cleaned
