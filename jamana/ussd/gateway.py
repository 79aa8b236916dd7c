"""Who may call the USSD callback: the operator's or aggregator's gateway, nobody else.

The caller's phone number in a call is believed because the gateway says so; anyone able to
post to the callback could claim any number. So the gateway must prove itself: a shared
secret in the ``X-USSD-Secret`` header (``USSD_GATEWAY_SECRET``) and/or a source address in
``USSD_GATEWAY_NETWORKS``. With neither configured every call is refused (fail closed).
"""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-USSD-Secret"  # noqa: S105 (a header name, not a secret)


def gateway_allowed(request: HttpRequest) -> bool:
    secret = settings.USSD_GATEWAY_SECRET
    networks = settings.USSD_GATEWAY_NETWORKS
    if not secret and not networks:
        logger.warning("USSD call refused: no USSD_GATEWAY_SECRET nor USSD_GATEWAY_NETWORKS set")
        return False
    if secret and not constant_time_compare(request.headers.get(SECRET_HEADER, ""), secret):
        logger.warning("USSD call refused: missing or wrong %s header", SECRET_HEADER)
        return False
    if networks:
        # REMOTE_ADDR, never X-Forwarded-For (anyone can write that header): behind a proxy,
        # list the proxy's address and rely on the secret (docs/ussd.md).
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        if not any(address in network for network in networks):
            logger.warning("USSD call refused from %s", address)
            return False
    return True
