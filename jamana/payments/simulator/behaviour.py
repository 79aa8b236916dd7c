"""What the simulator does, and the credentials it expects: plain frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    """What the payer does on the phone (``POST /_sim/confirm/<reference>``)."""

    SUCCESS = "success"
    FAILURE = "failure"  # the payer declines, or their wallet refuses
    INSUFFICIENT_FUNDS = "insufficient_funds"
    EXPIRED = "expired"  # the payer never answers


@dataclass(frozen=True, kw_only=True)
class SimulatorBehaviour:
    """How the simulated providers behave. The defaults are a well-behaved provider whose
    payers confirm only when told to (``/_sim/confirm``), so tests control every step.

    Everything random is drawn from ``seed``: per intent from (seed, provider, idempotency
    key), so the same requests give the same references and the same fate whatever the
    thread interleaving; ``error_rate`` draws from one seeded generator in request order.
    """

    seed: int = 0
    #: The payer confirms on the phone this long after the request (``None``: only when told).
    confirm_after_seconds: float | None = None
    #: Share of automatic confirmations that fail (the payer declines).
    failure_rate: float = 0.0
    #: Wait between the final status and its callback.
    callback_delay_seconds: float = 0.0
    #: Extra deliveries of each final callback (same content, same event id).
    duplicate_callbacks: int = 0
    #: Also deliver a stale "pending" notification *after* the final one.
    out_of_order_callbacks: bool = False
    #: Share of intents whose callbacks are never sent (status polling must take over).
    lost_callback_rate: float = 0.0
    #: Send the callback while the status query still says pending, for ``status_lag_seconds``.
    callback_before_status: bool = False
    status_lag_seconds: float = 1.0
    #: A pending intent expires (with its callback) after this long.
    intent_ttl_seconds: float = 900.0
    #: Share of API requests answered ``503`` (the ``/_sim`` endpoints are never refused).
    error_rate: float = 0.0
    #: A callback answered with anything but 2xx, or not answered, is sent again this many
    #: times, ``callback_retry_seconds`` apart.
    callback_retries: int = 2
    callback_retry_seconds: float = 0.5
    callback_timeout_seconds: float = 3.0
    #: The provider's fee on each payment, in basis points of the amount, rounded down.
    fee_basis_points: int = 100
    default_balance_xof: int = 1_000_000
    #: Payer balances by E.164 number (others have ``default_balance_xof``).
    balances: Mapping[str, int] = field(default_factory=dict)
    token_ttl_seconds: int = 3600
    #: Threads serving HTTP requests, and threads sending callbacks.
    max_workers: int = 8
    callback_workers: int = 4

    def __post_init__(self) -> None:
        for name in ("failure_rate", "lost_callback_rate", "error_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1")
        for name in (
            "callback_delay_seconds",
            "status_lag_seconds",
            "callback_retry_seconds",
            "duplicate_callbacks",
            "callback_retries",
            "fee_basis_points",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.confirm_after_seconds is not None and self.confirm_after_seconds < 0:
            raise ValueError("confirm_after_seconds must not be negative")
        if self.intent_ttl_seconds <= 0 or self.callback_timeout_seconds <= 0:
            raise ValueError("intent_ttl_seconds and callback_timeout_seconds must be positive")
        if self.max_workers < 1 or self.callback_workers < 1:
            raise ValueError("the simulator needs at least one worker of each kind")


@dataclass(frozen=True, kw_only=True)
class SimulatorCredentials:
    """What the simulated providers accept and sign with. The defaults are development values,
    public in this repository: never use them against a real provider."""

    orange_client_id: str = "jamana-dev"
    orange_client_secret: str = "dev-orange-client-secret"  # noqa: S105 (public dev value)
    orange_merchant_key: str = "dev-merchant-key"
    moov_username: str = "jamana-dev"
    moov_password: str = "dev-moov-password"  # noqa: S105 (public dev value)
    moov_callback_secret: str = "dev-moov-callback-secret-0123456789abcdef"  # noqa: S105
    pispi_api_key: str = "dev-pispi-api-key"
    pispi_creditor_alias: str = "TRESOR-ML"
    pispi_key_id: str = "sim-1"
    pispi_callback_secret: str = "dev-pispi-callback-secret-0123456789abcdef"  # noqa: S105
