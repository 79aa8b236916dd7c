"""Typed readers for settings from the environment: a bad value fails loudly at start-up."""

from __future__ import annotations

import ipaddress
import os


class ImproperlyConfiguredEnv(Exception):
    """An environment variable holds a value that cannot be used."""


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfiguredEnv(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfiguredEnv(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: set[str]) -> str:
    value = env_str(name, default)
    if value not in choices:
        raise ImproperlyConfiguredEnv(
            f"{name} must be one of {', '.join(sorted(choices))}, got {value!r}"
        )
    return value


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def env_ip_networks(name: str, default: list[str]) -> list[IPNetwork]:
    """Comma-separated addresses or networks (``196.201.214.0/24, 10.0.0.7``)."""
    networks = []
    for item in env_list(name, default):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfiguredEnv(
                f"{name} must list IP addresses or networks, got {item!r}"
            ) from None
    return networks
