"""Hashing and checking USSD PINs.

A 4-digit PIN has 10,000 values: no hash cost makes a stolen hash safe on its own (10,000
Argon2 guesses take minutes). What protects it at rest is a pepper: the PIN is first keyed
with an HMAC under SECRET_KEY, which is not in the database. What protects it online is the
lock-out (3 wrong PINs, 15 minutes). So the Argon2id cost is OWASP's minimum (19 MiB, 2 passes,
1 lane; ~35 ms here) rather than Django's password default (100 MiB, 8 lanes; ~190 ms), which
would make the PIN step the most expensive USSD call by far (see bench/USSD.md).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.utils.crypto import salted_hmac

PIN_LENGTH = 4


@dataclass(frozen=True)
class PinVerdict:
    """Whether ``pin`` matches ``pin_hash``, worked out before the session is locked (the hash
    takes tens of milliseconds; on SQLite, every writer would wait for it)."""

    pin_hash: str
    pin: str
    matches: bool


_PEPPER_SALT = "jamana.ussd.pin"


class UssdPinHasher(Argon2PasswordHasher):
    """Django's Argon2id hasher with OWASP's minimum parameters (see the module docstring)."""

    time_cost = 2
    memory_cost = 19 * 1024
    parallelism = 1


HASHER = UssdPinHasher()


def is_well_formed(pin: str) -> bool:
    return len(pin) == PIN_LENGTH and pin.isascii() and pin.isdigit()


def is_too_easy(pin: str, *, known: tuple[str, ...] = ()) -> bool:
    """0000…9999, runs such as 1234 or 9876, and what others know of the person (``known``:
    year of birth, end of the phone number): the first PINs anyone tries."""
    digits = [int(d) for d in pin]
    steps = {b - a for a, b in itertools.pairwise(digits)}
    return steps in ({0}, {1}, {-1}) or pin in known


def _peppered(account_id: int, pin: str, secret: str | bytes) -> str:
    return salted_hmac(
        _PEPPER_SALT, f"{account_id}:{pin}", secret=secret, algorithm="sha256"
    ).hexdigest()


def hash_pin(account_id: int, pin: str) -> str:
    return make_password(_peppered(account_id, pin, settings.SECRET_KEY), hasher=HASHER)


def pin_matches(account_id: int, pin: str, encoded: str) -> bool:
    """Whether ``pin`` is the one hashed in ``encoded``. Keys being rotated out
    (SECRET_KEY_FALLBACKS) are tried after the current one, so that PINs survive a rotation."""
    if not is_well_formed(pin):
        return False
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        if HASHER.verify(_peppered(account_id, pin, secret), encoded):
            return True
    return False
