"""Key stores: where private keys live.

Two stores implement :class:`KeyStore`:

* :class:`SoftwareKeyStore`, the embedded default, keeps each key as an encrypted PKCS#8 PEM
  file (``<name>.p8.pem``) under one directory, encrypted with a passphrase from the
  environment;
* :class:`jamana.trust.pkcs11.Pkcs11KeyStore` keeps each key on a PKCS#11 token (an HSM, or
  SoftHSM2), where it is generated and from which it never leaves.

Both hand out ``cryptography`` ``EllipticCurvePrivateKey`` objects (for the PKCS#11 store, a
handle whose ``sign()`` runs on the token), so every signing path of the library —
certificates, CRLs, OCSP answers, time-stamps, PAdES seals — takes a key from either store.

Keys are ECDSA on P-256: supported by every tool we must satisfy (poppler/NSS, OpenSSL,
pyHanko) and small enough for 2D seals.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from jamana.trust.errors import KeyStoreError

_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,80}$")


def check_key_name(name: str) -> None:
    """Refuse a key name that is not 1-81 characters of ``[a-z0-9._-]`` starting with a letter
    or digit (it becomes a file name or a PKCS#11 label).

    Raises:
        KeyStoreError: the name does not fit.
    """
    if not _NAME.match(name):
        raise KeyStoreError(f"invalid key name {name!r}")


class KeyStore(Protocol):
    """Where the platform's private keys live, each under a name."""

    def exists(self, name: str) -> bool:
        """Whether a key named ``name`` exists."""
        ...

    def generate(self, name: str) -> ec.EllipticCurvePrivateKey:
        """Create a new P-256 key named ``name``; raises KeyStoreError if it exists."""
        ...

    def load(self, name: str) -> PrivateKeyTypes:
        """The key named ``name``; raises KeyStoreError if there is none."""
        ...


class SoftwareKeyStore:
    """Encrypted PKCS#8 files in ``directory``, one per key name."""

    def __init__(self, directory: Path, passphrase: bytes) -> None:
        if len(passphrase) < 12:
            raise KeyStoreError("the key store passphrase must be at least 12 bytes")
        self.directory = Path(directory)
        self._passphrase = passphrase

    def _path(self, name: str) -> Path:
        check_key_name(name)
        return self.directory / f"{name}.p8.pem"

    def exists(self, name: str) -> bool:
        return self._path(name).exists()

    def generate(self, name: str) -> ec.EllipticCurvePrivateKey:
        """Create and store a new P-256 key; refuses to overwrite an existing one."""
        path = self._path(name)
        if path.exists():
            raise KeyStoreError(f"key {name!r} already exists")
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_EXCL: two processes initialising at once cannot both write the same key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        return key

    def load(self, name: str) -> PrivateKeyTypes:
        path = self._path(name)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise KeyStoreError(f"no key named {name!r}") from None
        try:
            return serialization.load_pem_private_key(data, password=self._passphrase)
        except (ValueError, TypeError) as exc:
            raise KeyStoreError(f"key {name!r} cannot be decrypted: {exc}") from None
