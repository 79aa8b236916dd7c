"""The benchmark's settings with a URLconf of one trivial view: the floor that Django, the
middleware stack and gunicorn cost before any page work."""

from bench.settings import *  # noqa: F403

ROOT_URLCONF = "bench.baseline_urls"
