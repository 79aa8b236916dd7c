"""Preparing and publishing calls for applications: the call and its eligibility rules, its
posts, exam centres and jury. The only writers of these rows; each action is one transaction
with its audit event.

A recruiting body's agent needs MANAGE_CALLS in the call's organisation. What may change
depends on where the call stands (see ``check_update_call``): applicants must be able to rely
on what was published."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_event
from jamana.calls.models import (
    Application,
    ApplicationStatus,
    Call,
    CallKind,
    CallPost,
    CallStatus,
    DiplomaLevel,
    DocumentKind,
    ExamCentre,
    JuryMember,
    JuryRole,
    Review,
)
from jamana.core.errors import JamanaError, NotFound
from jamana.core.geography import valid_on
from jamana.core.models import AdminArea, AreaLevel
from jamana.identity.models import Account, Organisation
from jamana.identity.permissions import MANAGE_CALLS, SIT_ON_JURY
from jamana.identity.queries import agent_organisations, has_permission, require_permission


class CallError(JamanaError):
    """A refused change to a call. ``field`` names the input at fault, when there is one, so
    that a form can show the message beside it."""

    def __init__(self, code: str, message: Any, *, field: str | None = None, **params: Any):
        super().__init__(code, message, **params)
        self.field = field


# Upper-case letters and digits in groups separated by single dashes: "FP-2026-CAT-A".
CODE_RE = re.compile(r"^[A-Z0-9]+(?:-[A-Z0-9]+)*$")
# Codes of questions, criteria and exam subjects: short keys stored in answers and marks.
ITEM_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
LANGUAGES = ("fr", "bm", "en")
QUESTION_MAX_LENGTH = 5000

# Every field of a call an agent sets (the keyword arguments of check_create_call but the
# organisation).
CALL_FIELDS = (
    "code",
    "kind",
    "title_fr",
    "title_bm",
    "title_en",
    "description_fr",
    "description_bm",
    "description_en",
    "opens_at",
    "closes_at",
    "fee_xof",
    "min_age",
    "max_age",
    "age_reference_date",
    "nationality_required",
    "exclude_civil_servants",
    "clean_record_required",
    "required_documents",
    "questions",
    "criteria",
    "exam_subjects",
    "review_coefficient",
    "pass_mark",
    "reviewers_per_application",
    "disagreement_threshold",
    "appeal_days",
)

NOT_A_JURY_MEMBER = _("This person does not hold the jury role in your organisation.")

# Statuses in which nothing about the call changes any more.
_FINISHED = (CallStatus.RESULTS_PUBLISHED, CallStatus.CANCELLED)


# ---------------------------------------------------------------- validation


def _int(value: Any, *, field: str, code: str, message: Any, low: int, high: int | None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CallError(code, message, field=field)
    if value < low or (high is not None and value > high):
        raise CallError(code, message, field=field)
    return value


def _optional_int(value: Any, **kwargs: Any) -> int | None:
    return None if value is None or value == "" else _int(value, **kwargs)


def _line(value: Any, *, field: str, max_length: int = 200) -> str:
    """One line of text, its spaces collapsed."""
    text = " ".join(str(value or "").split())
    if len(text) > max_length:
        raise CallError(
            "text_too_long",
            _("This text is too long (at most %(max)s characters)."),
            field=field,
            max=max_length,
        )
    return text


def _titles(values: Mapping[str, Any]) -> dict[str, str]:
    """title_fr, title_bm and title_en, all three required."""
    titles = {}
    for lang in LANGUAGES:
        name = f"title_{lang}"
        titles[name] = _line(values[name], field=name)
        if not titles[name]:
            raise CallError(
                "title_required", _("Give the title in French, Bambara and English."), field=name
            )
    return titles


def _clean_code(value: Any) -> str:
    code = str(value or "").strip().upper()
    if not code or len(code) > 32 or not CODE_RE.match(code):
        raise CallError(
            "invalid_code",
            _(
                "A code is made of capital letters and digits, in groups separated by dashes "
                "(at most 32 characters), e.g. FP-2026-CAT-A."
            ),
            field="code",
        )
    return code


def _label(value: Any, *, field: str, line: int) -> dict[str, str]:
    label = value if isinstance(value, Mapping) else {}
    cleaned = {lang: " ".join(str(label.get(lang) or "").split()) for lang in LANGUAGES}
    if not all(cleaned.values()):
        raise CallError(
            "item_label_required",
            _("Line %(line)s: give the label in French, Bambara and English."),
            field=field,
            line=line,
        )
    return cleaned


def _items(value: Any, *, field: str) -> list[tuple[int, Mapping[str, Any], str]]:
    """(line number, item, code) for each item, refusing malformed items and repeated codes."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise CallError("invalid_item", _("This list is not well formed."), field=field)
    seen: set[str] = set()
    out = []
    for line, item in enumerate(value, start=1):
        if not isinstance(item, Mapping):
            raise CallError(
                "invalid_item", _("Line %(line)s is not well formed."), field=field, line=line
            )
        code = str(item.get("code") or "").strip()
        if not ITEM_CODE_RE.match(code):
            raise CallError(
                "invalid_item_code",
                _(
                    "Line %(line)s: a code is made of letters, digits, dashes and underscores "
                    "(at most 32 characters)."
                ),
                field=field,
                line=line,
            )
        if code.lower() in seen:
            raise CallError(
                "duplicate_item_code",
                _("Line %(line)s: the code %(item)s is used twice."),
                field=field,
                line=line,
                item=code,
            )
        seen.add(code.lower())
        out.append((line, item, code))
    return out


def _positive(
    item: Mapping[str, Any],
    key: str,
    *,
    field: str,
    line: int,
    code: str,
    message: Any,
    default: Any = None,
) -> int:
    """A whole number of at least 1 (marks, weights, coefficients)."""
    value = item.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CallError(code, message, field=field, line=line)
    return value


def clean_questions(value: Any) -> list[dict[str, Any]]:
    """[{"code", "label": {"fr","bm","en"}, "required": bool, "max_length": int}]."""
    field = "questions"
    out = []
    for line, item, code in _items(value, field=field):
        required = item.get("required", False)
        if not isinstance(required, bool):
            raise CallError(
                "invalid_item", _("Line %(line)s is not well formed."), field=field, line=line
            )
        max_length = item.get("max_length", 500)
        if (
            isinstance(max_length, bool)
            or not isinstance(max_length, int)
            or not 1 <= max_length <= QUESTION_MAX_LENGTH
        ):
            raise CallError(
                "invalid_question_max_length",
                _("Line %(line)s: the longest answer is between 1 and %(max)s characters."),
                field=field,
                line=line,
                max=QUESTION_MAX_LENGTH,
            )
        out.append(
            {
                "code": code,
                "label": _label(item.get("label"), field=field, line=line),
                "required": required,
                "max_length": max_length,
            }
        )
    return out


def clean_criteria(value: Any) -> list[dict[str, Any]]:
    """[{"code", "label": {"fr","bm","en"}, "max": int > 0, "weight": int >= 1}]."""
    field = "criteria"
    out = []
    for line, item, code in _items(value, field=field):
        label = _label(item.get("label"), field=field, line=line)
        top = _positive(
            item,
            "max",
            field=field,
            line=line,
            code="invalid_item_max",
            message=_("Line %(line)s: the highest mark is a whole number above 0."),
        )
        weight = _positive(
            item,
            "weight",
            field=field,
            line=line,
            code="invalid_item_weight",
            default=1,
            message=_("Line %(line)s: the weight is a whole number, at least 1."),
        )
        out.append({"code": code, "label": label, "max": top, "weight": weight})
    return out


def clean_exam_subjects(value: Any) -> list[dict[str, Any]]:
    """[{"code", "label": {...}, "max": int > 0, "coefficient": int >= 1, "eliminatory": int
    below max, or None}]: a mark strictly below ``eliminatory`` puts the candidate out."""
    field = "exam_subjects"
    out = []
    for line, item, code in _items(value, field=field):
        label = _label(item.get("label"), field=field, line=line)
        top = _positive(
            item,
            "max",
            field=field,
            line=line,
            code="invalid_item_max",
            message=_("Line %(line)s: the highest mark is a whole number above 0."),
        )
        coefficient = _positive(
            item,
            "coefficient",
            field=field,
            line=line,
            code="invalid_item_coefficient",
            default=1,
            message=_("Line %(line)s: the coefficient is a whole number, at least 1."),
        )
        eliminatory = item.get("eliminatory")
        if eliminatory is not None and (
            isinstance(eliminatory, bool)
            or not isinstance(eliminatory, int)
            or not 0 < eliminatory < top
        ):
            raise CallError(
                "invalid_eliminatory_mark",
                _(
                    "Line %(line)s: the eliminatory mark is a whole number above 0 and below the "
                    "highest mark."
                ),
                field=field,
                line=line,
            )
        out.append(
            {
                "code": code,
                "label": label,
                "max": top,
                "coefficient": coefficient,
                "eliminatory": eliminatory,
            }
        )
    return out


def _clean_documents(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise CallError(
            "invalid_document_kind", _("Unknown kind of document."), field="required_documents"
        )
    wanted = set()
    for kind in value:
        if kind not in DocumentKind.values:
            raise CallError(
                "invalid_document_kind",
                _("Unknown kind of document: %(kind)s."),
                field="required_documents",
                kind=kind,
            )
        wanted.add(str(kind))
    # Always in the same order, so that an unchanged list compares equal.
    return [kind for kind in DocumentKind.values if kind in wanted]


def _clean_call(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of a call, validated and normalised (the same for creating and updating)."""
    v = dict(values)
    out: dict[str, Any] = {"code": _clean_code(v["code"])}
    if v["kind"] not in CallKind.values:
        raise CallError("invalid_kind", _("Unknown kind of call."), field="kind")
    out["kind"] = str(v["kind"])
    out.update(_titles(v))
    for lang in LANGUAGES:
        out[f"description_{lang}"] = str(v[f"description_{lang}"] or "").strip()
    opens_at, closes_at = v["opens_at"], v["closes_at"]
    if not isinstance(opens_at, dt.datetime) or not isinstance(closes_at, dt.datetime):
        raise CallError(
            "dates_required", _("Give the opening and closing times."), field="opens_at"
        )
    if closes_at <= opens_at:
        raise CallError(
            "closes_before_opens",
            _("Applications must close after they open."),
            field="closes_at",
        )
    out["opens_at"], out["closes_at"] = opens_at, closes_at
    out["fee_xof"] = _int(
        v["fee_xof"],
        field="fee_xof",
        code="invalid_fee",
        low=0,
        high=10_000_000,
        message=_("The fee is a whole number of CFA francs, 0 for none."),
    )
    age_message = _("An age limit is a whole number of years between 0 and 99.")
    min_age = _optional_int(
        v["min_age"], field="min_age", code="invalid_age", low=0, high=99, message=age_message
    )
    max_age = _optional_int(
        v["max_age"], field="max_age", code="invalid_age", low=0, high=99, message=age_message
    )
    if min_age is not None and max_age is not None and min_age > max_age:
        raise CallError(
            "age_range_invalid",
            _("The minimum age cannot be above the maximum age."),
            field="max_age",
        )
    reference = v["age_reference_date"]
    if (min_age is not None or max_age is not None) and not isinstance(reference, dt.date):
        raise CallError(
            "age_reference_date_required",
            _("Say on which date ages are counted (usually 31 December of the year)."),
            field="age_reference_date",
        )
    out.update(min_age=min_age, max_age=max_age, age_reference_date=reference or None)
    for flag in ("nationality_required", "exclude_civil_servants", "clean_record_required"):
        out[flag] = bool(v[flag])
    out["required_documents"] = _clean_documents(v["required_documents"])
    out["questions"] = clean_questions(v["questions"])
    out["criteria"] = clean_criteria(v["criteria"])
    out["exam_subjects"] = clean_exam_subjects(v["exam_subjects"])
    out["review_coefficient"] = _int(
        v["review_coefficient"],
        field="review_coefficient",
        code="invalid_review_coefficient",
        low=0,
        high=100,
        message=_("The coefficient of the file review is a whole number from 0 to 100."),
    )
    out["pass_mark"] = _clean_pass_mark(v["pass_mark"])
    out["reviewers_per_application"] = _int(
        v["reviewers_per_application"],
        field="reviewers_per_application",
        code="too_few_reviewers",
        low=2,
        high=10,
        message=_("Each application is reviewed by at least two reviewers (at most 10)."),
    )
    out["disagreement_threshold"] = _int(
        v["disagreement_threshold"],
        field="disagreement_threshold",
        code="invalid_disagreement_threshold",
        low=1,
        high=100,
        message=_("The gap that brings in a third reviewer is between 1 and 100 points."),
    )
    out["appeal_days"] = _int(
        v["appeal_days"],
        field="appeal_days",
        code="invalid_appeal_days",
        low=0,
        high=365,
        message=_("The appeal period is a whole number of days from 0 to 365."),
    )
    return out


def _clean_pass_mark(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        mark = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        mark = Decimal(-1)
    if not Decimal(0) <= mark <= Decimal(100):
        raise CallError(
            "invalid_pass_mark",
            _("The pass mark is a number from 0 to 100."),
            field="pass_mark",
        )
    return mark


def _lock(call: Call) -> None:
    """Lock the call's row and reload it: two officers acting at once see each other's
    change (at most one president, no edit slipping past publication)."""
    Call.objects.select_for_update().filter(pk=call.pk).values_list("pk").get()
    call.refresh_from_db()


def _require_manager(agent: Account, call_or_organisation: Call | Organisation) -> None:
    organisation = (
        call_or_organisation.organisation
        if isinstance(call_or_organisation, Call)
        else call_or_organisation
    )
    require_permission(agent, MANAGE_CALLS, organisation)


def _event(action: str, call: Call, agent: Account, detail: dict[str, Any] | None = None) -> None:
    record_event(
        action=f"call.{action.removeprefix('call_')}",
        object_type="call",
        object_ref=call.code,
        actor=agent,
        organisation=call.organisation,
        detail=detail,
    )


def _audit_value(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


# ---------------------------------------------------------------- calls


def check_create_call(
    *,
    agent: Account,
    organisation: Organisation,
    code: str,
    kind: str,
    title_fr: str,
    title_bm: str,
    title_en: str,
    description_fr: str = "",
    description_bm: str = "",
    description_en: str = "",
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    fee_xof: int = 0,
    min_age: int | None = None,
    max_age: int | None = None,
    age_reference_date: dt.date | None = None,
    nationality_required: bool = True,
    exclude_civil_servants: bool = False,
    clean_record_required: bool = True,
    required_documents: Iterable[str] = (),
    questions: Iterable[Mapping[str, Any]] = (),
    criteria: Iterable[Mapping[str, Any]] = (),
    exam_subjects: Iterable[Mapping[str, Any]] = (),
    review_coefficient: int = 1,
    pass_mark: Decimal | int | str | None = None,
    reviewers_per_application: int = 2,
    disagreement_threshold: int = 20,
    appeal_days: int = 15,
) -> Call:
    """A new call of ``organisation``, as a draft nobody outside the organisation sees. Posts,
    centres and the jury are added next; criteria may come later, but before publishing."""
    _require_manager(agent, organisation)
    fields = _clean_call(
        {
            "code": code,
            "kind": kind,
            "title_fr": title_fr,
            "title_bm": title_bm,
            "title_en": title_en,
            "description_fr": description_fr,
            "description_bm": description_bm,
            "description_en": description_en,
            "opens_at": opens_at,
            "closes_at": closes_at,
            "fee_xof": fee_xof,
            "min_age": min_age,
            "max_age": max_age,
            "age_reference_date": age_reference_date,
            "nationality_required": nationality_required,
            "exclude_civil_servants": exclude_civil_servants,
            "clean_record_required": clean_record_required,
            "required_documents": required_documents,
            "questions": questions,
            "criteria": criteria,
            "exam_subjects": exam_subjects,
            "review_coefficient": review_coefficient,
            "pass_mark": pass_mark,
            "reviewers_per_application": reviewers_per_application,
            "disagreement_threshold": disagreement_threshold,
            "appeal_days": appeal_days,
        }
    )
    taken = CallError("call_code_taken", _("Another call already has this code."), field="code")
    if Call.objects.filter(code=fields["code"]).exists():
        raise taken
    try:
        with transaction.atomic():
            call = Call.objects.create(
                organisation=organisation,
                status=CallStatus.DRAFT,
                created_at=timezone.now(),
                **fields,
            )
            _event("call_created", call, agent, {"kind": call.kind})
    except IntegrityError:
        # Two officers creating the same code at once: the unique index decides.
        raise taken from None
    return call


def call_phase(call: Call, now: dt.datetime | None = None) -> str:
    """Where a call stands for its editors: its status, with a published call split into
    "announced" (not yet open), "open" and "closed" (past its closing time)."""
    now = now or timezone.now()
    if call.status != CallStatus.PUBLISHED:
        return str(call.status)
    if now < call.opens_at:
        return "announced"
    return "open" if now < call.closes_at else "closed"


def check_update_call(*, agent: Account, call: Call, **fields: Any) -> Call:
    """Change some of a call's fields (the keyword arguments of ``check_create_call``, except
    ``organisation``). Values equal to the current ones are not changes.

    - Draft: anything, including the code.
    - Published, not yet open: anything but the code, which published notices cite.
    - Open: only the closing time, and never to a moment already past, so that nobody who
      is applying is cut off.
    - Closed, under review, ranked, with results or cancelled: nothing.
    Every change is validated as a whole, as when creating."""
    unknown = set(fields) - set(CALL_FIELDS)
    if unknown:
        raise TypeError(f"not fields of a call: {', '.join(sorted(unknown))}")
    _require_manager(agent, call)
    with transaction.atomic():
        _lock(call)
        now = timezone.now()
        phase = call_phase(call, now)
        new_closing = fields.get("closes_at")
        # Checked before the rest: on an open call, a past closing time is also before the
        # opening, and "already past" is the reason that matters.
        if (
            phase in ("announced", "open")
            and isinstance(new_closing, dt.datetime)
            and new_closing <= now
        ):
            raise CallError(
                "closes_in_past",
                _("The closing time cannot be moved to a moment already past."),
                field="closes_at",
            )
        current = {name: getattr(call, name) for name in CALL_FIELDS}
        cleaned = _clean_call({**current, **fields})
        changed = [name for name in fields if cleaned[name] != current[name]]
        if not changed:
            return call
        if phase == "announced" and "code" in changed:
            raise CallError(
                "code_published",
                _("The code of a published call cannot change: notices cite it."),
                field="code",
            )
        if phase == "open" and changed != ["closes_at"]:
            raise CallError(
                "call_already_open",
                _("Applications are open: only the closing time can still change."),
            )
        if phase == "open" and cleaned["closes_at"] < current["closes_at"]:
            # People plan their application around the published date: while applications
            # are open the deadline may be extended, never brought forward.
            raise CallError(
                "closing_brought_forward",
                _("While applications are open the closing time can only be extended."),
                field="closes_at",
            )
        if phase not in ("draft", "announced", "open"):
            raise CallError("call_not_editable", _("This call can no longer be changed."))
        if "code" in changed and Call.objects.filter(code=cleaned["code"]).exists():
            raise CallError(
                "call_code_taken", _("Another call already has this code."), field="code"
            )
        detail = {
            name: [_audit_value(current[name]), _audit_value(cleaned[name])]
            for name in changed
            if name not in ("questions", "criteria", "exam_subjects")
            and not name.startswith("description_")
        }
        detail["fields"] = changed
        for name in changed:
            setattr(call, name, cleaned[name])
        call.save(update_fields=changed)
        _event("call_updated", call, agent, detail)
    return call


def check_add_post(
    *,
    agent: Account,
    call: Call,
    code: str,
    title_fr: str,
    title_bm: str,
    title_en: str,
    seats: int,
    min_diploma: str = "",
) -> CallPost:
    """Seats offered in one corps and speciality; until applications open (candidates choose
    a post, so the offer cannot change under them)."""
    _require_manager(agent, call)
    post_code = _clean_code(code)
    titles = _titles({"title_fr": title_fr, "title_bm": title_bm, "title_en": title_en})
    seats = _int(
        seats,
        field="seats",
        code="invalid_seats",
        low=1,
        high=100_000,
        message=_("The number of seats is a whole number, at least 1."),
    )
    if min_diploma not in ("", *DiplomaLevel.values):
        raise CallError("invalid_diploma", _("Unknown diploma level."), field="min_diploma")
    with transaction.atomic():
        _lock(call)
        if call_phase(call) not in ("draft", "announced"):
            raise CallError(
                "call_not_editable",
                _("The posts of a call can no longer change once applications have opened."),
            )
        if call.posts.filter(code=post_code).exists():
            raise CallError(
                "post_code_taken", _("This call already has a post with this code."), field="code"
            )
        post = CallPost.objects.create(
            call=call, code=post_code, seats=seats, min_diploma=min_diploma, **titles
        )
        _event(
            "post_added",
            call,
            agent,
            {"post": post_code, "seats": seats, "min_diploma": min_diploma},
        )
    return post


def check_remove_post(*, agent: Account, post: CallPost) -> None:
    """Only while the call is a draft: once published, applicants may have chosen it."""
    call = post.call
    _require_manager(agent, call)
    with transaction.atomic():
        _lock(call)
        if call.status != CallStatus.DRAFT:
            raise CallError(
                "call_not_draft", _("A post can only be removed while the call is a draft.")
            )
        code = post.code
        post.delete()
        _event("post_removed", call, agent, {"post": code})


def check_add_centre(*, agent: Account, call: Call, area: AdminArea, name: str) -> ExamCentre:
    """An exam centre; may be added until applications close (a centre opened where more
    candidates than expected live harms nobody)."""
    _require_manager(agent, call)
    name = _line(name, field="name")
    if not name:
        raise CallError("centre_name_required", _("Give the name of the centre."), field="name")
    now = timezone.now()
    if area.valid_to is not None and area.valid_to <= timezone.localdate(now):
        raise CallError(
            "area_closed", _("This administrative area no longer exists."), field="area"
        )
    with transaction.atomic():
        _lock(call)
        if call_phase(call, now) not in ("draft", "announced", "open"):
            raise CallError(
                "call_not_editable", _("Exam centres can no longer be added to this call.")
            )
        if call.centres.filter(area=area, name__iexact=name).exists():
            raise CallError(
                "centre_exists", _("This call already has this exam centre."), field="name"
            )
        centre = ExamCentre.objects.create(call=call, area=area, name=name)
        _event("centre_added", call, agent, {"centre": name, "area": area.code})
    return centre


def check_publish_call(*, agent: Account, call: Call) -> Call:
    """Publish a draft: it needs at least one post, one exam centre, review criteria, and a
    closing time still to come."""
    _require_manager(agent, call)
    with transaction.atomic():
        _lock(call)
        now = timezone.now()
        if call.status != CallStatus.DRAFT:
            raise CallError("call_not_draft", _("Only a draft can be published."))
        if not call.posts.exists():
            raise CallError("post_required", _("Add at least one post before publishing."))
        if not call.centres.exists():
            raise CallError("centre_required", _("Add at least one exam centre before publishing."))
        if not call.criteria:
            raise CallError(
                "criteria_required",
                _("Give the review criteria before publishing."),
                field="criteria",
            )
        if call.closes_at <= now:
            raise CallError(
                "closes_in_past",
                _("The closing time is already past: change it before publishing."),
                field="closes_at",
            )
        call.status = CallStatus.PUBLISHED
        call.published_at = now
        call.save(update_fields=["status", "published_at"])
        _event(
            "call_published",
            call,
            agent,
            {"opens_at": call.opens_at.isoformat(), "closes_at": call.closes_at.isoformat()},
        )
    return call


def check_cancel_call(*, agent: Account, call: Call, reason: str) -> Call:
    """Cancel a call at any stage before its results are published; the reason is kept in the
    audit trail (the call has no field for it)."""
    _require_manager(agent, call)
    reason = " ".join((reason or "").split())
    if not reason:
        raise CallError("reason_required", _("Give the reason for cancelling."), field="reason")
    with transaction.atomic():
        _lock(call)
        if call.status in _FINISHED:
            raise CallError("cannot_cancel", _("This call can no longer be cancelled."))
        previous = call.status
        call.status = CallStatus.CANCELLED
        call.save(update_fields=["status"])
        _event("call_cancelled", call, agent, {"reason": reason, "previous_status": previous})
    return call


# ---------------------------------------------------------------- jury


def check_add_jury_member(
    *, agent: Account, call: Call, account: Account, role: str = JuryRole.REVIEWER
) -> JuryMember:
    """Seat ``account`` on the jury. It must hold the jury role in the call's organisation;
    a jury has at most one president. Possible until the ranking is final."""
    _require_manager(agent, call)
    if role not in JuryRole.values:
        raise CallError("invalid_jury_role", _("Unknown jury role."), field="role")
    if not account.is_active or not has_permission(account, SIT_ON_JURY, call.organisation):
        raise CallError(
            "not_a_jury_member",
            NOT_A_JURY_MEMBER,
            field="account",
        )
    with transaction.atomic():
        _lock(call)
        if call.status in (CallStatus.RANKED, *_FINISHED):
            raise CallError("jury_closed", _("The jury of this call can no longer change."))
        if call.jury.filter(account=account).exists():
            raise CallError(
                "already_on_jury", _("This person already sits on this jury."), field="account"
            )
        if role == JuryRole.PRESIDENT and call.jury.filter(role=JuryRole.PRESIDENT).exists():
            raise CallError(
                "president_exists", _("This jury already has a president."), field="role"
            )
        member = JuryMember.objects.create(call=call, account=account, role=role)
        _event("jury_member_added", call, agent, {"account": account.pk, "role": role})
    return member


def check_remove_jury_member(*, agent: Account, member: JuryMember) -> None:
    """Only a member with no review assigned: a submitted review counts in the results, and a
    pending one must first be handed to another reviewer (reviews are never silently lost)."""
    call = member.call
    _require_manager(agent, call)
    with transaction.atomic():
        _lock(call)
        reviews = Review.objects.filter(reviewer=member)
        if reviews.filter(submitted_at__isnull=False).exists():
            raise CallError(
                "jury_member_has_reviews",
                _("This member has already submitted reviews and stays on the jury."),
            )
        if reviews.exists():
            raise CallError(
                "jury_member_has_assignments",
                _("Hand this member's pending reviews to another reviewer first."),
            )
        detail = {"account": member.account_id, "role": member.role}
        member.delete()
        _event("jury_member_removed", call, agent, detail)


# ---------------------------------------------------------------- Reads


def calls_organisations(agent: Account) -> list[Organisation]:
    """Organisations whose calls ``agent`` manages."""
    return agent_organisations(agent, MANAGE_CALLS)


def list_calls_for_agent(agent: Account) -> QuerySet[Call]:
    """The calls of the organisations where the agent manages calls, newest first, with the
    total seats (``seats``) and submitted applications (``submitted``)."""
    submitted = (
        Application.objects.filter(call=OuterRef("pk"))
        .exclude(status__in=(ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN))
        .order_by()
        .values("call")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Call.objects.filter(organisation__in=calls_organisations(agent))
        .select_related("organisation")
        .annotate(
            seats=Coalesce(Sum("posts__seats"), 0),
            submitted=Coalesce(Subquery(submitted, output_field=IntegerField()), 0),
        )
        .order_by("-created_at", "code")
    )


def access_call_for_agent(agent: Account, code: str) -> Call:
    """The call with this code if ``agent`` manages its organisation's calls; otherwise
    NotFound, exactly as for a code that does not exist."""
    call = Call.objects.select_related("organisation").filter(code=code.strip().upper()).first()
    if call is None or not has_permission(agent, MANAGE_CALLS, call.organisation):
        raise NotFound("call_not_found", _("No call with this code."))
    return call


def list_jury(call: Call) -> QuerySet[JuryMember]:
    """The jury, president first, with the number of reviews each has submitted."""
    return (
        call.jury.select_related("account", "account__person")
        .annotate(reviews_done=Count("reviews", filter=Q(reviews__submitted_at__isnull=False)))
        .order_by("role", "account__phone")  # "president" sorts first
    )


def exam_centre_areas(country: str) -> QuerySet[AdminArea]:
    """Areas an exam centre may be placed in: current regions, districts, provinces, cercles
    and departments of ``country`` (communes are too many for a list)."""
    return (
        valid_on(timezone.localdate())
        .filter(country=country)
        .exclude(level=AreaLevel.COMMUNE)
        .order_by("code")
    )
