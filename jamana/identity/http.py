"""Request types for views that only signed-in people reach."""

from __future__ import annotations

from django.http import HttpRequest

from jamana.identity.models import Account


class AuthenticatedRequest(HttpRequest):
    """A request behind ``login_required``: ``user`` is an Account, never anonymous."""

    user: Account  # type: ignore[assignment]
