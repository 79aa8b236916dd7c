"""Sessions are opened by the views after both factors; this backend only reloads accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from jamana.identity.models import Account


class AccountBackend(BaseBackend):
    def authenticate(self, request: Any, **credentials: Any) -> None:
        # Passwords are checked by identity.actions.check_password_step, codes by check_code.
        return None

    def get_user(self, user_id: int) -> Account | None:
        return Account.objects.filter(pk=user_id, is_active=True).first()
