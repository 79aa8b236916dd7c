"""Throw-away SoftHSM2 tokens for the test suite (no Django: settings import this module).

SoftHSM reads its configuration, and the list of tokens in its token directory, only when a
process first initialises the PKCS#11 module; a token created afterwards stays invisible to
that process. So :func:`softhsm_tokens` creates, on its first call and before any PKCS#11 use,
a temporary token directory holding every token the test session needs, and points
``SOFTHSM2_CONF`` at it for the rest of the process:

* :data:`DJANGO_LABEL` backs the Django key store when the suite runs with
  ``JAMANA_KEY_STORE=pkcs11`` (``jamana/config/test_settings.py`` calls :func:`session_token`);
* :data:`TRUST_LABEL` is for the trust library's own PKCS#11 tests, so that they start from
  an empty token whatever ran before them.

PINs are random for each run; the directory is removed when the process exits.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SOFTHSM2_UTIL = "softhsm2-util"
DJANGO_LABEL = "jamana-test"
TRUST_LABEL = "jamana-trust-test"


@dataclass(frozen=True)
class SoftHsmToken:
    """An initialised SoftHSM2 token: its module, label, user PIN and SoftHSM config file."""

    module: str
    label: str
    pin: str = field(repr=False)
    conf: Path


_tokens: dict[str, SoftHsmToken] = {}


def softhsm_missing(module: str = DEFAULT_MODULE) -> str | None:
    """Why SoftHSM2 cannot be used here (``None`` when it can)."""
    if not Path(module).exists():
        return f"the PKCS#11 module {module} is missing (apt-get install softhsm2)"
    if shutil.which(SOFTHSM2_UTIL) is None:
        return f"{SOFTHSM2_UTIL} is not installed (apt-get install softhsm2)"
    return None


def softhsm_tokens(module: str = DEFAULT_MODULE) -> dict[str, SoftHsmToken]:
    """The tokens of this test process, by label, created on the first call.

    Raises:
        RuntimeError: SoftHSM2 is not installed, or ``softhsm2-util`` failed.
    """
    if _tokens:
        return _tokens
    missing = softhsm_missing(module)
    if missing:
        raise RuntimeError(missing)
    directory = Path(tempfile.mkdtemp(prefix="jamana-softhsm-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    (directory / "tokens").mkdir(mode=0o700)
    conf = directory / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {directory / 'tokens'}\n"
        "objectstore.backend = file\n"
        "log.level = ERROR\n"
        "slots.removable = false\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    for label in (DJANGO_LABEL, TRUST_LABEL):
        pin = secrets.token_hex(8)
        result = subprocess.run(  # noqa: S603 — fixed tool, arguments built here
            [
                SOFTHSM2_UTIL,
                "--init-token",
                "--free",
                "--label",
                label,
                "--so-pin",
                secrets.token_hex(8),
                "--pin",
                pin,
            ],
            env={**os.environ, "SOFTHSM2_CONF": str(conf)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"softhsm2-util could not create token {label}: {result.stderr}")
        _tokens[label] = SoftHsmToken(module=module, label=label, pin=pin, conf=conf)
    return _tokens


def session_token(module: str = DEFAULT_MODULE) -> SoftHsmToken:
    """The token behind the Django key store for this test run."""
    return softhsm_tokens(module)[DJANGO_LABEL]
