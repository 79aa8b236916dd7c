"""Settings come from the environment and fail loudly; production passes check --deploy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from jamana.config.env import ImproperlyConfiguredEnv, env_bool, env_int

ROOT = Path(__file__).resolve().parents[3]


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE"}}
    clean.update(env)
    return subprocess.run(  # noqa: S603 (fixed argv: our own manage.py)
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_without_warning():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        JAMANA_ENV="production",
        SECRET_KEY="x7" * 20 + "-production-secret-for-check-only!",
        ALLOWED_HOSTS="jamana.ml",
        DATABASE_URL="sqlite:////tmp/jamana-check.sqlite3",
        JAMANA_KEY_PASSPHRASE="a-long-key-store-passphrase",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    result = _manage("check", JAMANA_ENV="production", SECRET_KEY="", ALLOWED_HOSTS="jamana.ml")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_bad_values_fail_loudly(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfiguredEnv):
        env_bool("X_FLAG", False)
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ImproperlyConfiguredEnv):
        env_int("X_INT", 1)
    monkeypatch.setenv("X_INT", "10")
    assert env_int("X_INT", 1) == 10
