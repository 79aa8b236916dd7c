"""The text of every USSD screen, as pure functions of what they show.

A gateway shows at most 182 characters per screen; every reply goes through :func:`render`,
which checks it. Texts are short gettext units (one menu line each) so that translators can
keep them short; they are evaluated in the session's language (the caller overrides it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext, npgettext, pgettext

from jamana.core.money import format_xof

logger = logging.getLogger(__name__)

#: What a USSD screen holds (GSM 7-bit, 160 octets), the "CON "/"END " prefix included.
MAX_REPLY = 182
ELLIPSIS = "…"

#: The languages offered on the language screen, each named in its own language.
LANGUAGE_MENU = (("fr", "Français"), ("bm", "Bamanankan"), ("en", "English"))


@dataclass(frozen=True)
class Screen:
    """One reply: lines to show, and whether the dialogue ends with it (END) or waits (CON)."""

    lines: tuple[str, ...]
    end: bool

    def render(self) -> str:
        return render(self)


def render(screen: Screen) -> str:
    """``CON …`` or ``END …``, at most 182 characters.

    A longer text is a bug: it is logged as an error and cut (a gateway would drop or cut it
    anyway), so that the caller still gets an answer; the tests fail on it."""
    text = ("END " if screen.end else "CON ") + "\n".join(line for line in screen.lines if line)
    if len(text) > MAX_REPLY:
        logger.error("USSD screen too long (%d > %d): %r", len(text), MAX_REPLY, text)
        text = text[: MAX_REPLY - 1] + ELLIPSIS
    return text


def ask(*lines: str) -> Screen:
    return Screen(lines=tuple(lines), end=False)


def close(*lines: str) -> Screen:
    return Screen(lines=tuple(lines), end=True)


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis."""
    text = " ".join(str(text).split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:-") + ELLIPSIS


def _option(number: int | str, label: str) -> str:
    return f"{number} {label}"


def _back() -> str:
    # Translators: USSD menu line "0 Back" (keep it very short).
    return _option(0, pgettext("ussd", "Back"))


def amount(amount_xof: int) -> str:
    # Translators: USSD, what a free service costs (keep it short).
    return format_xof(amount_xof) if amount_xof else pgettext("ussd fee", "free")


# ---------------------------------------------------------------- main menu and endings


def main_menu(notice: str = "") -> Screen:
    """The first screen; ``notice`` is a short line above it (an invalid choice…)."""
    # Translators: USSD main menu lines: each under about 20 characters.
    return ask(
        notice,
        "Jamana",
        _option(1, pgettext("ussd menu", "Check a request")),
        _option(2, pgettext("ussd menu", "My latest requests")),
        _option(3, pgettext("ussd menu", "Pay a fee")),
        _option(4, pgettext("ussd menu", "Criminal record")),
        _option(5, pgettext("ussd menu", "Birth certificate")),
        _option(6, pgettext("ussd menu", "Application results")),
        _option(7, pgettext("ussd menu", "Language")),
        _option(0, pgettext("ussd menu", "Quit")),
    )


def invalid_choice() -> str:
    return pgettext("ussd", "Invalid choice.")


def goodbye() -> Screen:
    return close(pgettext("ussd", "Thank you for using Jamana."))


def session_expired() -> Screen:
    return close(pgettext("ussd", "Your session expired. Please dial again."))


def session_over() -> Screen:
    return close(pgettext("ussd", "This session is over. Please dial again."))


def invalid_phone() -> Screen:
    return close(pgettext("ussd", "This phone number cannot use Jamana."))


def problem(message: str) -> Screen:
    """An action refused what was asked: its own (translated) message, shortened."""
    return close(shorten(message, MAX_REPLY - 4))


# ---------------------------------------------------------------- identification


def no_account(site: str) -> Screen:
    return close(
        pgettext("ussd", "No Jamana account uses this number. Sign up at %(site)s or at a counter.")
        % {"site": site}
    )


def set_pin_first(pin_url: str) -> Screen:
    return close(
        pgettext(
            "ussd",
            "Set your USSD PIN first: sign in at %(url)s or ask at a counter.",
        )
        % {"url": pin_url}
    )


def enter_pin(notice: str = "") -> Screen:
    return ask(notice, pgettext("ussd", "Enter your 4-digit USSD PIN:"))


def pin_malformed() -> str:
    return pgettext("ussd", "The PIN has 4 digits.")


def wrong_pin(attempts_left: int) -> str:
    return npgettext(
        "ussd",
        "Wrong PIN. %(left)s attempt left.",
        "Wrong PIN. %(left)s attempts left.",
        attempts_left,
    ) % {"left": attempts_left}


def pin_locked(minutes: int) -> Screen:
    return close(
        npgettext(
            "ussd",
            "Too many wrong PINs. Try again in %(minutes)s minute.",
            "Too many wrong PINs. Try again in %(minutes)s minutes.",
            minutes,
        )
        % {"minutes": minutes}
    )


# ---------------------------------------------------------------- 1, 2: requests


def enter_reference(notice: str = "") -> Screen:
    return ask(shorten(notice, 90), pgettext("ussd", "Enter the reference of your request:"))


def request_status(
    *, reference: str, service: str, status: str, amount_due: int | None = None
) -> Screen:
    """One of the caller's requests: reference, service, status, and what is left to pay."""
    return close(
        reference,
        shorten(service, 40),
        pgettext("ussd", "Status: %(status)s") % {"status": shorten(status, 40)},
        pgettext("ussd", "To pay: %(amount)s") % {"amount": format_xof(amount_due)}
        if amount_due
        else "",
    )


def no_such_request(message: str) -> Screen:
    return problem(message)


def latest_requests(items: Sequence[tuple[str, str, str]]) -> Screen:
    """Up to 3 (reference, service, status): two short lines each."""
    if not items:
        return close(pgettext("ussd", "You have no requests yet."))
    lines = [shorten(pgettext("ussd", "Your latest requests:"), 30)]
    for reference, service, status in items[:3]:
        lines.append(f"{reference} {shorten(status, 16)}")
        lines.append(shorten(service, 16))
    return close(*lines)


def my_applications(items: Sequence[tuple[str, str, str]]) -> Screen:
    """Up to 3 (reference, call code, status with rank): two short lines each."""
    if not items:
        return close(pgettext("ussd", "You have no applications."))
    lines = [shorten(pgettext("ussd", "Your applications:"), 30)]
    for reference, call_code, status in items[:3]:
        lines.append(f"{reference} {shorten(call_code, 12)}")
        lines.append(shorten(status, 20))
    return close(*lines)


# ---------------------------------------------------------------- 3: paying


def choose_request_to_pay(items: Sequence[tuple[str, str, int]], notice: str = "") -> Screen:
    """Up to 3 (reference, service, fee) awaiting payment, numbered from 1: one line each, by
    service and fee (the reference follows on the next screen)."""
    lines = [notice, pgettext("ussd", "Choose the request to pay:")]
    for number, (_reference, service, fee) in enumerate(items[:3], start=1):
        lines.append(_option(number, f"{shorten(service, 18)} {format_xof(fee)}"))
    return ask(*lines, _back())


def nothing_to_pay() -> Screen:
    return close(pgettext("ussd", "You have no request awaiting payment."))


def nothing_left_to_pay() -> Screen:
    return close(pgettext("ussd", "This request has nothing left to pay."))


def choose_provider(
    *, reference: str, amount_xof: int, providers: Sequence[str], notice: str = ""
) -> Screen:
    lines = [
        shorten(notice, 60),
        pgettext("ussd", "Pay %(amount)s for %(ref)s with:")
        % {"amount": format_xof(amount_xof), "ref": reference},
    ]
    lines += [_option(n, shorten(name, 20)) for n, name in enumerate(providers[:4], start=1)]
    return ask(*lines, _back())


def no_payment_method() -> Screen:
    return close(pgettext("ussd", "Mobile-money payment is not available. Pay at a counter."))


def payment_started(*, reference: str, amount_xof: int) -> Screen:
    return close(
        pgettext(
            "ussd",
            "Payment of %(amount)s for %(ref)s started. Confirm it on your phone.",
        )
        % {"amount": format_xof(amount_xof), "ref": reference}
    )


# ---------------------------------------------------------------- 4, 5: asking for documents


def confirm_bulletin(fee_xof: int, notice: str = "") -> Screen:
    return ask(
        notice,
        pgettext("ussd", "Criminal record extract (bulletin n°3): %(amount)s")
        % {"amount": amount(fee_xof)},
        _option(1, pgettext("ussd", "Ask for it")),
        _back(),
    )


def choose_act(acts: Sequence[tuple[int, int, str]], fee_xof: int, notice: str = "") -> Screen:
    """Up to 3 (register number, year, place) of the caller's own birth acts."""
    lines = [
        notice,
        pgettext("ussd", "Birth certificate extract (%(amount)s) of the act:")
        % {"amount": amount(fee_xof)},
    ]
    for n, (number, year, place) in enumerate(acts[:3], start=1):
        lines.append(_option(n, f"{number}/{year} {shorten(place, 14)}"))
    return ask(*lines, _back())


def no_birth_act() -> Screen:
    return close(
        pgettext(
            "ussd",
            "Your birth act is not in the digital register yet. Ask your civil registry centre.",
        )
    )


def request_created(reference: str) -> str:
    return pgettext("ussd", "Request %(ref)s created.") % {"ref": reference}


def request_created_free(reference: str) -> Screen:
    return close(
        request_created(reference),
        pgettext("ussd", "You will receive an SMS when it is ready."),
    )


# ---------------------------------------------------------------- 7: language


def choose_language(notice: str = "") -> Screen:
    # The languages are named in their own language, so that anyone finds theirs.
    lines = [notice, pgettext("ussd menu", "Language")]
    lines += [_option(n, name) for n, (_code, name) in enumerate(LANGUAGE_MENU, start=1)]
    return ask(*lines, _back())


def language_changed() -> str:
    return pgettext("ussd", "Language changed.")


def service_closed() -> Screen:
    # The catalogue's own words (the service is missing or switched off).
    return problem(gettext("This service does not exist or is closed."))
