"""USSD PINs and the server-side state of USSD sessions.

A session is keyed by the gateway's session id; every (session id, text) the gateway sent is
kept with the reply it got, so that a retried call gets the same answer and acts only once.
Sessions hold a phone number and what was shown: they are deleted after a day
(``manage.py purge_ussd_sessions``)."""

from __future__ import annotations

from django.db import models


class UssdPin(models.Model):
    """A person's 4-digit PIN for personal USSD menus, set on the web or at a counter.

    Only a hash is kept (Argon2id over an HMAC of the PIN keyed with SECRET_KEY, see
    :mod:`jamana.ussd.pins`); three wrong PINs lock the USSD menus for 15 minutes."""

    account = models.OneToOneField(
        "identity.Account", on_delete=models.CASCADE, related_name="ussd_pin"
    )
    pin_hash = models.CharField(max_length=256)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    set_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"USSD PIN of account {self.account_id}"


class UssdSession(models.Model):
    """One USSD dialogue, from the first call of a session id to its END reply."""

    session_id = models.CharField(max_length=100, unique=True)
    service_code = models.CharField(max_length=32, blank=True)
    phone = models.CharField(max_length=16)  # E.164
    account = models.ForeignKey(
        "identity.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=2, default="fr")
    # Where the dialogue is: the screen waiting for input and what it offered (see menus.py).
    state = models.JSONField(default=dict)
    pin_verified = models.BooleanField(default=False)
    last_text = models.CharField(max_length=500, blank=True)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["last_seen_at"])]

    def __str__(self) -> str:
        return self.session_id


class UssdExchange(models.Model):
    """One call of the gateway and our reply: a retry of the same text gets the same reply."""

    session = models.ForeignKey(UssdSession, on_delete=models.CASCADE, related_name="exchanges")
    text = models.CharField(max_length=500, blank=True)
    reply = models.CharField(max_length=200)
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "text"], name="ussd_exchange_once_per_text")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}: {self.text!r}"
