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
