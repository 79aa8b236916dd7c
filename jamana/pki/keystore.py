"""The configured key store (encrypted files by default)."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from jamana.trust.keys import SoftwareKeyStore
from jamana.trust.pki import PkiUrls


@cache
def key_store() -> SoftwareKeyStore:
    return SoftwareKeyStore(settings.JAMANA_KEY_DIR, settings.JAMANA_KEY_PASSPHRASE.encode())


def public_urls() -> PkiUrls:
    return PkiUrls(settings.JAMANA_PUBLIC_URL)
