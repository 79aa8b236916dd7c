"""Build the configured payment providers. In development they point at the local simulator
(`python -m jamana.payments.simulator`, started by `make run`); real credentials plug in by
settings."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.conf import settings

from jamana.payments.models import OrangeTransactionRecord
from jamana.payments.providers.base import PaymentProvider
from jamana.payments.providers.moov_money import MoovMoneyConfig, MoovMoneyProvider
from jamana.payments.providers.orange_money import (
    OrangeMoneyConfig,
    OrangeMoneyProvider,
    OrangeTransaction,
)
from jamana.payments.providers.pispi import PispiConfig, PispiProvider


class DatabaseOrangeStore:
    """The Orange adapter's transaction store, in the database."""

    def save(self, transaction: OrangeTransaction) -> None:
        OrangeTransactionRecord.objects.update_or_create(
            pay_token=transaction.pay_token,
            defaults={
                "notif_token_sha256": transaction.notif_token_sha256,
                "order_id": transaction.order_id,
                "amount_xof": transaction.amount_xof,
            },
        )

    def _one(self, **lookup: str) -> OrangeTransaction | None:
        found = OrangeTransactionRecord.objects.filter(**lookup).first()
        if found is None:
            return None
        return OrangeTransaction(
            pay_token=found.pay_token,
            notif_token_sha256=found.notif_token_sha256,
            order_id=found.order_id,
            amount_xof=found.amount_xof,
        )

    def by_pay_token(self, pay_token: str) -> OrangeTransaction | None:
        return self._one(pay_token=pay_token)

    def by_notif_token_sha256(self, digest: str) -> OrangeTransaction | None:
        return self._one(notif_token_sha256=digest)


@cache
def _provider(code: str, base_url: str) -> PaymentProvider:
    options: dict[str, Any] = dict(settings.PAYMENT_PROVIDERS[code])
    if code == "orange_money":
        return OrangeMoneyProvider(OrangeMoneyConfig(**options), store=DatabaseOrangeStore())
    if code == "moov_money":
        return MoovMoneyProvider(MoovMoneyConfig(**options))
    if code == "pispi":
        return PispiProvider(PispiConfig(**options))
    raise KeyError(code)


def get_provider(code: str) -> PaymentProvider:
    if code not in settings.PAYMENT_PROVIDERS:
        raise KeyError(code)
    return _provider(code, settings.PAYMENT_PROVIDERS[code].get("base_url", ""))


def provider_choices() -> list[tuple[str, str]]:
    names = {"orange_money": "Orange Money", "moov_money": "Moov Money", "pispi": "PI-SPI (BCEAO)"}
    return [(code, names.get(code, code)) for code in settings.PAYMENT_PROVIDERS]
