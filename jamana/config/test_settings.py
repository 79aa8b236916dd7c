"""Settings for the test suite: the same as production code paths, with inline tasks."""

import os

os.environ.setdefault("JAMANA_ENV", "test")

from jamana.config.settings import *  # noqa: F403

TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# Argon2 is deliberately slow; the tests exercise our code, not the hash function.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
SMS_DEV_INBOX = True
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405

# Each test run gets its own key store and media folder, never the developer's var/.
import tempfile as _tempfile  # noqa: E402

_TMP = _tempfile.mkdtemp(prefix="jamana-test-")
JAMANA_KEY_DIR = Path(_TMP) / "keys"  # noqa: F405
MEDIA_ROOT = Path(_TMP) / "media"  # noqa: F405
STORAGES["default"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}  # noqa: F405

# JAMANA_KEY_STORE=pkcs11 runs the suite with every key on a SoftHSM2 token made for this run
# (created now, before any PKCS#11 use: SoftHSM only sees the tokens present at start).
if JAMANA_KEY_STORE == "pkcs11":  # noqa: F405
    from jamana.pki.hsm_testing import session_token as _session_token

    _TOKEN = _session_token(JAMANA_PKCS11_MODULE)  # noqa: F405
    JAMANA_PKCS11_TOKEN = _TOKEN.label
    JAMANA_PKCS11_PIN = _TOKEN.pin

# A file, not SQLite's shared in-memory database: live-server tests have several threads
# writing at once (payment callbacks), and only a file database honours the busy timeout.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(Path(_TMP) / "test.sqlite3")}  # noqa: F405
