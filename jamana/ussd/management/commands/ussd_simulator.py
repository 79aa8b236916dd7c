"""Walk the USSD menus from a terminal, through the same handler as the gateway's callback."""

from __future__ import annotations

import secrets
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from jamana.core.phones import InvalidPhoneNumber, normalize_phone
from jamana.notify.queries import list_recent_sms
from jamana.ussd.actions import check_ussd_call


class Command(BaseCommand):
    help = (
        "Simulate a feature phone on the USSD menus: type your answers, an empty line or "
        "Ctrl-D hangs up. Shows the SMS sent to the number meanwhile."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--phone", default="+22370000001", help="the caller's number")
        parser.add_argument("--service-code", default="*123#")

    def handle(self, *args: Any, phone: str, service_code: str, **options: Any) -> None:
        try:
            phone = normalize_phone(phone)
        except InvalidPhoneNumber:
            self.stderr.write(f"Not a valid phone number: {phone}")
            return
        session_id = f"cli-{secrets.token_hex(8)}"
        started = timezone.now()
        text: str | None = None
        while True:
            reply = check_ussd_call(
                session_id=session_id, phone=phone, text=text or "", service_code=service_code
            )
            self.stdout.write(f"\n┌── {service_code} · {len(reply)}/182\n{reply[4:]}\n└──")
            if not reply.startswith("CON "):
                break
            self.stdout.write("> ", ending="")
            self.stdout.flush()
            line = sys.stdin.readline()
            if not line or not line.strip():
                self.stdout.write("(hung up)")
                break
            value = line.strip()
            text = value if text is None else f"{text}*{value}"
        sent = [
            m
            for m in list_recent_sms(limit=200)
            if m.recipient == phone and m.created_at >= started
        ]
        for message in reversed(sent):
            self.stdout.write(f"\nSMS to {phone}: {message.body}")
