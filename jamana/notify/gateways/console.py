"""Development gateway: prints the SMS on the server's console (and the dev inbox shows it)."""

from __future__ import annotations

import logging
import uuid

from jamana.notify.gateways.base import LookupResult, LookupUnsupported, SendResult

logger = logging.getLogger("jamana.sms")


class ConsoleGateway:
    name = "console"

    def send(self, *, to: str, body: str, sender: str, client_ref: str = "") -> SendResult:
        reference = uuid.uuid4().hex
        logger.info("SMS %s -> %s [%s]: %s", sender, to, reference, body)
        return SendResult(gateway=self.name, references=(reference,))

    def lookup(self, client_ref: str) -> LookupResult | None:
        raise LookupUnsupported("the console prints and forgets")

    def close(self) -> None:
        pass
