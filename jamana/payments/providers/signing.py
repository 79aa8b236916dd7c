"""HMAC-SHA256 over callback bodies, shared by the adapters that verify and the simulator that
signs (one definition of each protocol's signing input, so both sides cannot drift).

The signature covers a timestamp and the exact bytes received: re-serialising JSON before
verifying would accept a body whose bytes were changed in ways the parser ignores. The
timestamp bounds how long a captured callback can be replayed; replays inside the window carry
the same event id, and the caller's idempotent processing absorbs them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac

from jamana.payments.providers.base import ForgedCallback

#: How far a callback's timestamp may be from our clock, either way.
DEFAULT_TOLERANCE = dt.timedelta(minutes=5)


def hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def sign_hex(secret: str, message: bytes) -> str:
    return hmac_sha256(secret, message).hex()


def sign_b64(secret: str, message: bytes) -> str:
    return base64.b64encode(hmac_sha256(secret, message)).decode("ascii")


def same(expected: str, received: str) -> bool:
    """Constant-time comparison of two ASCII strings (non-ASCII never matches)."""
    try:
        return hmac.compare_digest(expected.encode("ascii"), received.encode("ascii"))
    except UnicodeEncodeError:
        return False


def check_timestamp(
    value: str, *, now: dt.datetime, tolerance: dt.timedelta = DEFAULT_TOLERANCE
) -> int:
    """The Unix timestamp in ``value`` if it is within ``tolerance`` of ``now``.

    Raises:
        ForgedCallback: missing, not an integer, or outside the window (a stale replay).
    """
    if not (value.isascii() and value.isdigit()):
        raise ForgedCallback("missing or malformed signature timestamp")
    seconds = int(value)
    if abs(now.timestamp() - seconds) > tolerance.total_seconds():
        raise ForgedCallback("signature timestamp outside the accepted window")
    return seconds
