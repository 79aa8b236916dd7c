"""The production settings, unchanged except that collected static files go to a scratch
directory (BENCH_STATIC_ROOT) instead of the repository's var/static."""

import os
from pathlib import Path

from jamana.config.settings import *  # noqa: F403

if os.environ.get("BENCH_STATIC_ROOT"):
    STATIC_ROOT = Path(os.environ["BENCH_STATIC_ROOT"])
