"""The translated sentence for each eligibility check (the pure rules in ``eligibility`` return
codes and parameters; applications store them so the text follows the reader's language)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import formats, translation
from django.utils.translation import gettext_lazy as _

from jamana.calls.models import DiplomaLevel, DocumentKind

# (code, ok or status) -> text. A status-specific text wins over the ok-based one.
TEXTS: dict[tuple[str, object], Any] = {
    ("consent", None): _(
        "Agree that we fetch your documents from the administrations that hold them."
    ),
    ("birth_act", True): _("Birth act found in the civil registers."),
    ("birth_act", False): _(
        "No birth act found in the civil registers. See the late registration procedure."
    ),
    ("birth_act", None): _("Birth act not fetched yet."),
    ("age_min", True): _("Old enough on %(reference_date)s."),
    ("age_min", False): _("Too young: at least %(min_age)s years old on %(reference_date)s."),
    ("age_max", True): _("Within the age limit on %(reference_date)s."),
    ("age_max", False): _(
        "Over the age limit: at most %(max_age)s years old on %(reference_date)s."
    ),
    ("age", "imprecise_birth_date"): _(
        "Your date of birth is not precise enough to decide: an agent will check your age."
    ),
    ("age", "no_birth_date"): _("Your date of birth is not known: an agent will check your age."),
    ("nationality", "certified"): _("Certificate of nationality held by the State."),
    ("nationality", "requested"): _(
        "Certificate of nationality requested: waiting for the magistrate's decision."
    ),
    ("nationality", "none"): _("No certificate of nationality: ask for one from this page."),
    ("nationality", "not_fetched"): _("Certificate of nationality not fetched yet."),
    ("criminal_record", "blank"): _("Bulletin no. 3 is blank."),
    ("criminal_record", "issued"): _("Bulletin no. 3 fetched."),
    ("criminal_record", "not_blank"): _(
        "Bulletin no. 3 is not blank: this call requires a blank bulletin."
    ),
    ("criminal_record", "not_fetched"): _(
        "Bulletin no. 3 not available yet (not fetched, or being checked by the court's clerk)."
    ),
    ("civil_servant", True): _("Declared not to be a civil servant."),
    ("civil_servant", False): _(
        "This call is not open to civil servants: make the declaration if it applies to you."
    ),
    ("diploma", True): _("Diploma level meets the post's requirement."),
    ("diploma", False): _("The post requires at least: %(min_diploma)s."),
    ("document", "present"): _("Document received: %(document)s."),
    ("document", "pending"): _("Document being checked: %(document)s."),
    ("document", "missing"): _("Document missing: %(document)s."),
}


def describe(check: dict[str, Any]) -> str:
    """One stored check ({"code", "ok", "params"}) as a sentence in the active language."""
    code = str(check.get("code", ""))
    ok = check.get("ok")
    params = dict(check.get("params") or {})
    if code.startswith("document:"):
        kind = code.split(":", 1)[1]
        params["document"] = DocumentKind(kind).label if kind in DocumentKind.values else kind
        code = "document"
    if params.get("min_diploma") in DiplomaLevel.values:
        params["min_diploma"] = DiplomaLevel(params["min_diploma"]).label
    if isinstance(params.get("reference_date"), str):
        day = dt.date.fromisoformat(params["reference_date"])
        params["reference_date"] = formats.date_format(day, "DATE_FORMAT")
    text = None
    if code in ("age_min", "age_max") and ok is None:
        text = TEXTS.get(("age", params.get("reason", "imprecise_birth_date")))
    text = text or TEXTS.get((code, params.get("status"))) or TEXTS.get((code, ok))
    if text is None:
        return code
    try:
        return str(text) % params
    except (KeyError, TypeError, ValueError):
        return str(text)


def failed_checks_text(checks: list[dict[str, Any]]) -> str:
    """The failed checks as sentences in the active language (why an application is not
    eligible)."""
    return " ".join(describe(check) for check in checks if check.get("ok") is False)


def item_label(item: dict[str, Any], language: str | None = None) -> str:
    """The label of one of a call's questions, criteria or exam subjects in ``language`` (the
    active one by default), falling back to French, then to its code."""
    labels = item.get("label") or {}
    lang = (language or translation.get_language() or "fr")[:2]
    return str(labels.get(lang) or labels.get("fr") or item["code"])


def describe_checks(checks: list[dict[str, Any]]) -> list[tuple[bool | None, str]]:
    return [(check.get("ok"), describe(check)) for check in checks]
