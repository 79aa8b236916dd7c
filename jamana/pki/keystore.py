"""The configured key store: encrypted files by default, a PKCS#11 token (HSM) on demand.

``JAMANA_KEY_STORE=software`` keeps keys as encrypted PKCS#8 files under ``JAMANA_KEY_DIR``;
``JAMANA_KEY_STORE=pkcs11`` generates and keeps them on the token ``JAMANA_PKCS11_TOKEN`` of the
module ``JAMANA_PKCS11_MODULE``, logged in with ``JAMANA_PKCS11_PIN`` (docs/pki/hsm.md).
"""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from jamana.trust.keys import KeyStore, SoftwareKeyStore
from jamana.trust.pki import PkiUrls


@cache
def key_store() -> KeyStore:
    """The key store the settings name (built once per process; tests clear the cache)."""
    kind = settings.JAMANA_KEY_STORE
    if kind == "software":
        return SoftwareKeyStore(settings.JAMANA_KEY_DIR, settings.JAMANA_KEY_PASSPHRASE.encode())
    if kind == "pkcs11":
        # Imported here: the software store must not need python-pkcs11's native module.
        from jamana.trust.pkcs11 import Pkcs11KeyStore

        if not settings.JAMANA_PKCS11_TOKEN or not settings.JAMANA_PKCS11_PIN:
            raise ImproperlyConfigured(
                "JAMANA_KEY_STORE=pkcs11 needs JAMANA_PKCS11_TOKEN and JAMANA_PKCS11_PIN"
            )
        return Pkcs11KeyStore(
            module=settings.JAMANA_PKCS11_MODULE,
            token_label=settings.JAMANA_PKCS11_TOKEN,
            pin=settings.JAMANA_PKCS11_PIN,
        )
    raise ImproperlyConfigured(f"unknown JAMANA_KEY_STORE {kind!r}")


def public_urls() -> PkiUrls:
    return PkiUrls(settings.JAMANA_PUBLIC_URL)
