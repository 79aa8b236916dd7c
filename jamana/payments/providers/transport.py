"""The HTTP client every adapter uses: JSON over ``urllib.request``, timed, with failures sorted
into transient (retry with the same idempotency key) and permanent (do not).

Sorting, from the point of view of "could a retry succeed?":

* transient — connection refused or reset, DNS failure, timeout, HTTP 5xx, 408 and 429, and a
  2xx answer whose body is not JSON (a proxy's error page is the usual cause);
* permanent — any other HTTP 4xx (the request itself is wrong: bad credentials, unknown
  reference, idempotency key reused for a different request), and 3xx: a payment API that
  redirects is misconfigured, and following a redirect with credentials would leak them.

Bodies are never logged (they hold phone numbers); every call logs its provider, method,
path, status and duration.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jamana.payments.providers.base import PermanentProviderError, TransientProviderError

logger = logging.getLogger("jamana.payments.providers")

_TRANSIENT_STATUSES = frozenset({408, 425, 429})


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    """``url`` without a trailing slash, if it is https, or http on a loopback host (the
    simulator). Credentials never travel in clear text off the machine.

    Raises:
        ValueError: another scheme, no host, or plain http to another host.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base URL must be http(s)://host…, got {url!r}")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(f"plain http is only allowed to a loopback host, got {url!r}")
    return url.rstrip("/")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


@dataclass(frozen=True)
class JsonResponse:
    status: int
    data: Any


class JsonHttpClient:
    """One provider's HTTP endpoint.

    :param provider: the adapter's code, for logs and error messages.
    :param base_url: prefix of every path (checked with :func:`check_base_url`).
    :param timeout_seconds: for connecting and for each read; a payment API that takes longer
        is treated as down (transient), and the idempotency key makes the retry safe.
    """

    def __init__(self, *, provider: str, base_url: str, timeout_seconds: float) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout must be positive")
        self.provider = provider
        self.base_url = check_base_url(base_url)
        self.timeout_seconds = timeout_seconds
        handlers: list[urllib.request.BaseHandler] = [_NoRedirect()]
        host = urllib.parse.urlsplit(self.base_url).hostname or ""
        if is_loopback_host(host):
            # An http_proxy in the environment must not swallow calls to the local simulator.
            handlers.append(urllib.request.ProxyHandler({}))
        self._opener = urllib.request.build_opener(*handlers)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form_body: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
    ) -> JsonResponse:
        """Send one request and return the decoded JSON answer of a 2xx response.

        Raises:
            TransientProviderError: see the module docstring (``code``: ``timeout``,
                ``connection``, ``http_<status>``, ``not_json``).
            PermanentProviderError: see the module docstring (``code``: ``http_<status>``).
        """
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data: bytes | None = None
        all_headers = {"Accept": "application/json", **(headers or {})}
        if json_body is not None:
            data = json.dumps(json_body, separators=(",", ":")).encode()
            all_headers["Content-Type"] = "application/json"
        elif form_body is not None:
            data = urllib.parse.urlencode(form_body).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        # The URL's scheme was checked in __init__: https, or http to loopback.
        req = urllib.request.Request(url, data=data, headers=all_headers, method=method)  # noqa: S310
        started = time.monotonic()
        status: int | str = "error"
        try:
            with self._opener.open(req, timeout=self.timeout_seconds) as response:
                status = response.status
                raw = response.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
            detail = _error_detail(exc)
            message = f"{self.provider} {method} {path}: HTTP {exc.code} {detail}".strip()
            if exc.code >= 500 or exc.code in _TRANSIENT_STATUSES:
                raise TransientProviderError(
                    f"http_{exc.code}", message, http_status=exc.code
                ) from None
            raise PermanentProviderError(
                f"http_{exc.code}", message, http_status=exc.code
            ) from None
        except TimeoutError as exc:
            raise TransientProviderError(
                "timeout", f"{self.provider} {method} {path}: timed out"
            ) from exc
        except urllib.error.URLError as exc:
            code = "timeout" if isinstance(exc.reason, TimeoutError) else "connection"
            raise TransientProviderError(
                code, f"{self.provider} {method} {path}: {exc.reason}"
            ) from exc
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            raise TransientProviderError(
                "connection", f"{self.provider} {method} {path}: {exc}"
            ) from exc
        finally:
            logger.info(
                "%s %s %s -> %s in %.1f ms",
                self.provider,
                method,
                path,
                status,
                (time.monotonic() - started) * 1000,
            )
        try:
            return JsonResponse(status=int(status), data=json.loads(raw) if raw else None)
        except ValueError:
            raise TransientProviderError(
                "not_json", f"{self.provider} {method} {path}: answer is not JSON"
            ) from None


def _error_detail(exc: urllib.error.HTTPError) -> str:
    """A short, log-safe summary of an error answer: its ``code``/``error`` field if JSON."""
    try:
        body = json.loads(exc.read(4096) or b"null")
    except (ValueError, OSError):
        return ""
    if isinstance(body, dict):
        for key in ("code", "error", "message"):
            if isinstance(body.get(key), str):
                return body[key][:100]
    return ""
