"""The end of a call: the final ranking per post, the audited reveal of identities, the
published results (one SMS per applicant, in their language) and appeals, which go through the
one request lifecycle of ``procedures`` like any other request.

Each action is one transaction with its audit event; SMS are written to the outbox inside it
and leave after commit. The pure rules (scores, order of merit, draw) are in ``ranking``.

Until the president reveals identities, nothing here puts a name next to a candidate number:
the jury ranks candidate numbers only (DESIGN.md, principle 5)."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_access, record_event
from jamana.audit.queries import list_events_for
from jamana.calls import ranking
from jamana.calls.models import (
    Application,
    ApplicationStatus,
    Call,
    CallPost,
    CallStatus,
    ExamMark,
    JuryMember,
    JuryRole,
)
from jamana.calls.reasons import failed_checks_text, item_label
from jamana.core.errors import JamanaError, NotFound, PermissionDenied
from jamana.core.i18n import record_text
from jamana.core.references import format_reference
from jamana.identity.models import Account
from jamana.identity.permissions import MANAGE_CALLS, SIT_ON_JURY
from jamana.identity.queries import agent_organisations, has_permission, require_permission
from jamana.notify.actions import queue_sms
from jamana.procedures.actions import check_submit_request
from jamana.procedures.lifecycle import CLOSED
from jamana.procedures.models import RequestStatus, ServiceRequest
from jamana.procedures.queries import list_my_requests, list_work_queue

S = ApplicationStatus

#: The request-lifecycle service an applicant appeals through (see procedures.catalogue).
APPEAL_SERVICE = "calls.appeal"
GROUNDS_MIN_LENGTH = 20
GROUNDS_MAX_LENGTH = 5000
#: Statuses an application ends in once the ranking is final: every one of them is told.
RESULT_STATUSES = (S.ADMITTED, S.WAITING_LIST, S.NOT_ADMITTED, S.INELIGIBLE)
_OUTCOME_STATUS = {
    ranking.ADMITTED: S.ADMITTED,
    ranking.WAITING: S.WAITING_LIST,
    ranking.NOT_ADMITTED: S.NOT_ADMITTED,
}

#: ranking.TIE_BREAK_RULES, marked for translation for the results page. ranking.py stays free
#: of Django; a test keeps the two word for word the same.
TIE_BREAK_TEXTS = (
    _("Candidates are ranked by their total score on 100, highest first."),
    _(
        "Between equal totals, the higher written-exam score comes first "
        "(a candidate with no exam score after those with one)."
    ),
    _(
        "Then the higher file-review score comes first "
        "(a candidate with no review score after those with one)."
    ),
    _(
        "Then the older candidate comes first: the earlier date of birth "
        "(a candidate whose date of birth is unknown after those whose date is known)."
    ),
    _(
        "Then a draw anyone can repeat: ascending order of the SHA-256 hash, in hexadecimal, "
        'of the published draw seed, a colon and the candidate number (e.g. "seed:123").'
    ),
)
#: How the draw seed is made, published beside it.
SEED_TEXT = _(
    "The draw seed is the SHA-256 hash, in hexadecimal, of this UTF-8 text: the call code, then "
    "one line per ranked candidate in increasing candidate number, made of the candidate "
    "number, a space and the total on 100 with two decimals (“-” without a total), lines "
    "separated by a line feed. It is fixed by the marks: no one can choose it."
)
#: Where the date of birth is not known to the day, the age tie-break treats it as unknown.
AGE_RULE_TEXT = _(
    "A date of birth known only to the month or the year (“born about”) counts as unknown in "
    "the age tie-break."
)

REASON_TEXTS: dict[str, Any] = {
    "absent": _("Absent from at least one subject of the written exam."),
    "eliminatory": _("A mark below the eliminatory mark in “%(subject)s”."),
    "below_pass_mark": _("A total below the pass mark of %(pass_mark)s on 100."),
    "beyond_seats": _("Ranked %(rank)s: beyond the seats and the waiting list of the post."),
}


class ResultsError(JamanaError):
    pass


# ------------------------------------------------------------------------------ helpers


def _lock(call: Call) -> Call:
    """The call, locked for the rest of the transaction and reloaded: two clicks on
    "finalise" or "publish" run one after the other and the second sees the first."""
    return Call.objects.select_for_update().select_related("organisation").get(pk=call.pk)


def is_president(account: Account, call: Call) -> bool:
    """The call's jury president, who has made the declaration and still holds the jury role."""
    return (
        JuryMember.objects.filter(
            call=call, account=account, role=JuryRole.PRESIDENT, declared_at__isnull=False
        ).exists()
        and account.is_active
        and has_permission(account, SIT_ON_JURY, call.organisation)
    )


def _require_president(account: Account, call: Call) -> None:
    if not is_president(account, call):
        raise PermissionDenied(
            "not_jury_president", _("Only the president of the jury may do this.")
        )


def _require_president_or_officer(account: Account, call: Call) -> None:
    if not (
        has_permission(account, MANAGE_CALLS, call.organisation) or is_president(account, call)
    ):
        raise PermissionDenied(
            "permission_denied",
            _("Only the president of the jury or a recruitment officer may do this."),
        )


def access_call_for_results(account: Account, code: str) -> Call:
    """The call if ``account`` is its jury president or manages its organisation's calls;
    otherwise NotFound, as for a code that does not exist."""
    call = Call.objects.select_related("organisation").filter(code=code.strip().upper()).first()
    if call is None or not (
        has_permission(account, MANAGE_CALLS, call.organisation) or is_president(account, call)
    ):
        raise NotFound("call_not_found", _("No call with this code."))
    return call


def exam_subjects(call: Call) -> list[ranking.Subject]:
    return [
        ranking.Subject(
            code=item["code"],
            max=Decimal(str(item["max"])),
            coefficient=int(item.get("coefficient", 1)),
            eliminatory=(
                None if item.get("eliminatory") in (None, "") else Decimal(str(item["eliminatory"]))
            ),
        )
        for item in call.exam_subjects
    ]


def _marks_by_number(call: Call) -> dict[int, dict[str, Decimal]]:
    known = {item["code"] for item in call.exam_subjects}
    marks: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for number, subject, mark in ExamMark.objects.filter(call=call).values_list(
        "candidate_number", "subject", "mark"
    ):
        if subject in known:
            marks[number][subject] = mark
    return marks


def draw_seed(call_code: str, totals: Iterable[tuple[int, Decimal | None]]) -> str:
    """The seed of the last tie-break (see :data:`SEED_TEXT`): set by the call code and the
    marks alone, so it is reproducible and no one, not even the jury, can pick it."""
    lines = [call_code]
    for number, total in sorted(totals, key=lambda pair: pair[0]):
        lines.append(f"{number} {'-' if total is None else f'{total:.2f}'}")
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def reason_text(code: str, *, call: Call, rank: int | None, language: str) -> str:
    """The sentence for a ranking reason code, in ``language``."""
    if not code:
        return ""
    with translation.override(language):
        if code.startswith("eliminatory:"):
            subject_code = code.split(":", 1)[1]
            item = next((s for s in call.exam_subjects if s["code"] == subject_code), None)
            subject = item_label(item, language) if item else subject_code
            return str(REASON_TEXTS["eliminatory"] % {"subject": subject})
        if code == "below_pass_mark":
            pass_mark = formats.number_format(call.pass_mark or Decimal(0), 2)
            return str(REASON_TEXTS[code] % {"pass_mark": pass_mark})
        if code == "beyond_seats":
            return str(REASON_TEXTS[code] % {"rank": rank})
        if code in REASON_TEXTS:
            return str(REASON_TEXTS[code])
    return code


# ------------------------------------------------------------------------------ ranking


def readiness(call: Call) -> dict[str, int]:
    """What still stops the ranking: submitted applications whose eligibility the officer has
    not decided (``undecided``), eligible ones without a decided review score (``unscored``).

    A submitted application whose checks turned false after closing (a file found infected)
    counts as undecided: the officer sets it aside with ``review.check_decide_eligibility``,
    so that it is told its reason rather than left without a result."""
    submitted = Application.objects.filter(call=call, status=S.SUBMITTED)
    return {
        "submitted": submitted.count(),
        "undecided": submitted.exclude(eligible=True).count(),
        "unscored": submitted.filter(eligible=True, review_score__isnull=True).count(),
    }


def check_finalise_ranking(*, account: Account, call: Call) -> dict[str, int]:
    """The jury president makes the ranking final: every eligible submitted application of each
    post gets its exam score, total, rank, outcome and reason; the call becomes RANKED.

    Refused while an eligibility is undecided or a review score is missing (both counted in
    the message). Candidates are known by candidate number only. Returns the number of
    applications per outcome status."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        call = _lock(call)
        _require_president(account, call)
        if call.status != CallStatus.IN_REVIEW:
            raise ResultsError(
                "call_not_in_review",
                _("Only a call whose applications are under review can be ranked."),
            )
        pending = readiness(call)
        if pending["undecided"] or pending["unscored"]:
            raise ResultsError(
                "ranking_not_ready",
                _(
                    "The ranking cannot be made final yet: %(unscored)s application(s) still "
                    "wait for their review score and %(undecided)s for the officer's decision "
                    "on eligibility."
                ),
                unscored=pending["unscored"],
                undecided=pending["undecided"],
            )
        applications = list(
            Application.objects.filter(call=call, status=S.SUBMITTED, eligible=True)
            .select_related("person", "post")
            .order_by("candidate_number")
        )
        if any(a.candidate_number is None for a in applications):
            # Numbers are given at closing; a missing one means the call was not closed properly.
            raise ResultsError(
                "candidate_number_missing", _("Some applications have no candidate number.")
            )
        subjects = exam_subjects(call)
        marks = _marks_by_number(call)
        try:
            candidates = {a.pk: _candidate(a, call, subjects, marks) for a in applications}
        except ValueError as exc:
            raise ResultsError(
                "invalid_marks", _("The marks cannot be ranked: %(problem)s."), problem=str(exc)
            ) from None
        seed = draw_seed(
            call.code, [(a.candidate_number or 0, candidates[a.pk].total) for a in applications]
        )
        by_post: dict[int, list[Application]] = defaultdict(list)
        for application in applications:
            by_post[application.post_id].append(application)
        posts = {post.pk: post for post in CallPost.objects.filter(call=call)}
        counts = {S.ADMITTED.value: 0, S.WAITING_LIST.value: 0, S.NOT_ADMITTED.value: 0}
        audit_posts: dict[str, Any] = {}
        for post_id, members in by_post.items():
            post = posts[post_id]
            # Documented default: a waiting list as long as the seats (no field for it yet).
            waiting_list = post.seats
            placements = ranking.rank_post(
                [candidates[a.pk] for a in members],
                seats=post.seats,
                waiting_list=waiting_list,
                pass_mark=call.pass_mark,
                draw_seed=seed,
            )
            by_key = {str(a.candidate_number): a for a in members}
            for placement in placements:
                application = by_key[placement.key]
                candidate = candidates[application.pk]
                application.exam_score = candidate.exam
                application.total_score = candidate.total
                application.rank = placement.rank
                application.status = _OUTCOME_STATUS[placement.outcome]
                application.outcome_reason = (
                    reason_text(
                        placement.reason,
                        call=call,
                        rank=placement.rank,
                        language=settings.LANGUAGE_CODE,
                    )
                    if placement.reason
                    else ""
                )
                application.decided_at = now
                application.updated_at = now
                counts[application.status] += 1
            audit_posts[post.code] = {
                "seats": post.seats,
                "waiting_list": waiting_list,
                # [candidate number, rank, outcome, reason code]: the ranking as decided.
                "placements": [[int(p.key), p.rank, p.outcome, p.reason] for p in placements],
            }
        Application.objects.bulk_update(
            applications,
            [
                "exam_score",
                "total_score",
                "rank",
                "status",
                "outcome_reason",
                "decided_at",
                "updated_at",
            ],
            batch_size=500,
        )
        call.status = CallStatus.RANKED
        call.ranked_at = now
        call.save(update_fields=["status", "ranked_at"])
        record_event(
            action="call.ranking_finalised",
            object_type="call",
            object_ref=call.code,
            actor=account,
            organisation=call.organisation,
            detail={"draw_seed": seed, "counts": counts, "posts": audit_posts},
        )
    return counts


def _candidate(
    application: Application,
    call: Call,
    subjects: list[ranking.Subject],
    marks: dict[int, dict[str, Decimal]],
) -> ranking.Candidate:
    number = application.candidate_number
    assert number is not None  # noqa: S101 (checked by the caller)
    exam_marks: dict[str, Decimal | None] = dict(marks.get(number, {}))
    person = application.person
    # A date known only to the month or year ("né vers 1990") is stored as a conventional
    # day of that period: ranking by it would let a convention of the register, not a fact,
    # decide who is older. Such a date counts as unknown, after every date known to the day.
    birth_date = person.birth_date if person.birth_date_precision == "day" else None
    return ranking.Candidate(
        key=str(number),
        total=ranking.weighted_total(
            review=application.review_score,
            review_coefficient=call.review_coefficient,
            exam_marks=exam_marks,
            subjects=subjects,
        ),
        exam=ranking.exam_part(exam_marks=exam_marks, subjects=subjects),
        review=application.review_score,
        birth_date=birth_date,
        eliminated_by=ranking.eliminating_subject(exam_marks=exam_marks, subjects=subjects),
    )


def _finalisation(call: Call) -> dict[str, Any]:
    """The detail of the audit event that made the ranking final (seed and placements)."""
    event = list_events_for("call", call.code).filter(action="call.ranking_finalised").last()
    return dict(event.detail) if event is not None else {}


def published_draw_seed(call: Call) -> str:
    return str(_finalisation(call).get("draw_seed", ""))


# ------------------------------------------------------------------------------ reveal


def check_reveal_identities(*, account: Account, call: Call) -> Call:
    """The jury president lifts the anonymity once the ranking is final: names appear next to
    candidate numbers on the jury's and officers' pages. Audited with the number of
    candidates, and recorded as a read of each candidate's identity (they see it in "who
    accessed my data"). Revealing again changes nothing."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        call = _lock(call)
        _require_president(account, call)
        if call.revealed_at is not None:
            return call
        if call.status != CallStatus.RANKED:
            raise ResultsError(
                "ranking_not_final", _("Identities are revealed only once the ranking is final.")
            )
        applications = Application.objects.filter(
            call=call, status__in=RESULT_STATUSES
        ).select_related("person")
        purpose = record_text(
            _("Anonymity lifted after the final ranking of the call %(call)s"), call=call.code
        )
        count = 0
        for application in applications:
            record_access(
                person=application.person,
                actor=account,
                organisation=call.organisation,
                object_type="application",
                object_ref=application.reference,
                purpose=purpose,
            )
            count += 1
        call.revealed_at = now
        call.save(update_fields=["revealed_at"])
        record_event(
            action="call.identities_revealed",
            object_type="call",
            object_ref=call.code,
            actor=account,
            organisation=call.organisation,
            detail={"applications": count},
        )
    return call


# ------------------------------------------------------------------------------ publish


def appeal_deadline(call: Call) -> dt.datetime | None:
    """The last second an appeal is accepted, or None before the results are published."""
    if call.results_published_at is None:
        return None
    return call.results_published_at + dt.timedelta(days=call.appeal_days)


def check_publish_results(*, account: Account, call: Call) -> int:
    """Publish the results of a ranked call whose identities are revealed, and tell every
    applicant with a result by one SMS in their language (outcome, rank, reason when refused,
    how to appeal). Returns the number of SMS queued; publishing again queues none."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        call = _lock(call)
        _require_president_or_officer(account, call)
        if call.status == CallStatus.RESULTS_PUBLISHED:
            return 0
        if call.status != CallStatus.RANKED:
            raise ResultsError(
                "ranking_not_final", _("Results are published only once the ranking is final.")
            )
        if call.revealed_at is None:
            raise ResultsError(
                "identities_not_revealed",
                _("The president of the jury must first reveal the identities."),
            )
        call.status = CallStatus.RESULTS_PUBLISHED
        call.results_published_at = now
        call.save(update_fields=["status", "results_published_at"])
        reasons = _reason_codes(call)
        applications = (
            Application.objects.filter(call=call, status__in=RESULT_STATUSES)
            .select_related("account", "post")
            .order_by("pk")
        )
        sent = 0
        for application in applications.iterator():
            account_to = application.account
            text = result_sms(
                application, call=call, reason_code=reasons.get(application.candidate_number)
            )
            queue_sms(to=account_to.phone, body=text, language=account_to.language)
            sent += 1
        record_event(
            action="call.results_published",
            object_type="call",
            object_ref=call.code,
            actor=account,
            organisation=call.organisation,
            detail={"sms": sent},
        )
    return sent


def _reason_codes(call: Call) -> dict[int | None, str]:
    """Candidate number → the reason code decided at finalisation (the stored sentence is in
    French; the SMS gives the reason in the applicant's language)."""
    codes: dict[int | None, str] = {}
    for post in _finalisation(call).get("posts", {}).values():
        for number, _rank, _outcome, reason in post.get("placements", []):
            codes[number] = reason
    return codes


def result_sms(application: Application, *, call: Call, reason_code: str | None) -> str:
    """The result SMS for ``application``, in its account's language."""
    language = application.account.language
    deadline = appeal_deadline(call)
    with translation.override(language):
        params = {
            "call": call.code,
            "post": application.post.code,
            "rank": application.rank,
            "ref": format_reference(application.reference),
            "deadline": formats.date_format(timezone.localtime(deadline), "SHORT_DATETIME_FORMAT")
            if deadline
            else "",
        }
        if application.status == S.ADMITTED:
            head = gettext("Jamana %(call)s: you are admitted (%(post)s), rank %(rank)s.") % params
        elif application.status == S.WAITING_LIST:
            head = (
                gettext("Jamana %(call)s: you are on the waiting list (%(post)s), rank %(rank)s.")
                % params
            )
        else:
            if application.status == S.INELIGIBLE:
                reason = _ineligibility_reason(application)
                head = gettext("Jamana %(call)s: your application was not eligible.") % params
            else:
                reason = (
                    reason_text(
                        reason_code or "", call=call, rank=application.rank, language=language
                    )
                    or application.outcome_reason
                )
                head = gettext("Jamana %(call)s: you are not admitted (%(post)s).") % params
            if reason:
                head += " " + gettext("Reason: %(reason)s") % {"reason": reason}
        tail = gettext("Your marks and appeals: application %(ref)s, until %(deadline)s.") % params
    return f"{head} {tail}"


def _ineligibility_reason(application: Application) -> str:
    """The failed eligibility checks in the active language, else the stored reason."""
    return failed_checks_text(application.eligibility) or application.outcome_reason


# ------------------------------------------------------------------------------ appeals


def _appeals_of(application: Application) -> QuerySet[ServiceRequest]:
    return list_my_requests(application.account).filter(
        service__code=APPEAL_SERVICE, details__application=application.reference
    )


def check_file_appeal(*, account: Account, reference: str, grounds: str) -> ServiceRequest:
    """The applicant appeals against their result, within ``appeal_days`` of publication (the
    server's clock decides, to the second). The appeal is a request of the ``calls.appeal``
    service, decided by an officer in the procedures queue. One open appeal per application."""
    grounds = (grounds or "").strip()
    if len(grounds) < GROUNDS_MIN_LENGTH:
        raise ResultsError(
            "grounds_required",
            _("Explain the grounds of your appeal (at least %(min)s characters)."),
            min=GROUNDS_MIN_LENGTH,
        )
    if len(grounds) > GROUNDS_MAX_LENGTH:
        raise ResultsError(
            "grounds_too_long",
            _("The grounds are too long (at most %(max)s characters)."),
            max=GROUNDS_MAX_LENGTH,
        )
    now = timezone.now()
    with transaction.atomic(durable=True):
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call__organisation", "person", "account")
            .filter(reference=reference, account=account)
            .first()
        )
        if application is None:
            raise NotFound("application_not_found", _("No application with this reference."))
        call = application.call
        deadline = appeal_deadline(call)
        if (
            call.status != CallStatus.RESULTS_PUBLISHED
            or deadline is None
            or application.status not in RESULT_STATUSES
        ):
            raise ResultsError(
                "results_not_published", _("You may appeal once the results are published.")
            )
        if now > deadline:
            raise ResultsError(
                "appeal_window_closed",
                _("The time to appeal ended on %(deadline)s."),
                deadline=formats.date_format(timezone.localtime(deadline), "DATETIME_FORMAT"),
            )
        if _appeals_of(application).exclude(status__in=CLOSED).exists():
            raise ResultsError(
                "appeal_already_open", _("An appeal on this application is already being decided.")
            )
        request = check_submit_request(
            account=account,
            service_code=APPEAL_SERVICE,
            applicant=application.person,
            organisation=call.organisation,
            details={"application": application.reference, "call": call.code, "grounds": grounds},
        )
        record_event(
            action="application.appeal_filed",
            object_type="application",
            object_ref=application.reference,
            actor=account,
            organisation=call.organisation,
            detail={"appeal": request.reference},
        )
    return request


def check_amend_outcome(
    *, agent: Account, appeal_reference: str, status: str, reason: str
) -> Application:
    """After an appeal was granted, the officer records the corrected outcome: status and
    reason change, the old and new values are audited and the applicant told by SMS. A granted
    appeal changes nothing by itself, and allows one amendment."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ResultsError("reason_required", _("Give the reason for the corrected outcome."))
    if status not in RESULT_STATUSES:
        raise ResultsError("invalid_status", _("Choose the corrected outcome from the list."))
    with transaction.atomic(durable=True):
        appeal = (
            list_work_queue(
                organisations=agent_organisations(agent, MANAGE_CALLS),
                service_code=APPEAL_SERVICE,
            )
            .filter(reference=appeal_reference)
            .first()
        )
        if appeal is None:
            raise NotFound("appeal_not_found", _("No appeal with this reference."))
        if appeal.status != RequestStatus.ISSUED:
            raise ResultsError(
                "appeal_not_granted", _("An outcome is corrected only after the appeal is granted.")
            )
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call__organisation", "account", "post")
            .filter(
                reference=appeal.details.get("application"), call__organisation=appeal.organisation
            )
            .first()
        )
        if application is None:
            raise NotFound("application_not_found", _("No application with this reference."))
        call = application.call
        require_permission(agent, MANAGE_CALLS, call.organisation)
        if (
            list_events_for("application", application.reference)
            .filter(action="application.outcome_amended", detail__appeal=appeal.reference)
            .exists()
        ):
            raise ResultsError(
                "already_amended", _("The outcome was already corrected after this appeal.")
            )
        old = {"status": application.status, "reason": application.outcome_reason}
        now = timezone.now()
        application.status = status
        application.outcome_reason = reason
        application.decided_at = now
        application.updated_at = now
        application.save(update_fields=["status", "outcome_reason", "decided_at", "updated_at"])
        record_event(
            action="application.outcome_amended",
            object_type="application",
            object_ref=application.reference,
            actor=agent,
            organisation=call.organisation,
            detail={
                "appeal": appeal.reference,
                "old": old,
                "new": {"status": status, "reason": reason},
            },
        )
        account = application.account
        with translation.override(account.language):
            text = gettext(
                "Jamana %(call)s: after your appeal, your result is now: %(outcome)s. "
                "Reason: %(reason)s"
            ) % {"call": call.code, "outcome": S(status).label, "reason": reason}
        queue_sms(to=account.phone, body=text, language=account.language)
    return application


# ------------------------------------------------------------------------------ reads


def my_result(application: Application) -> dict[str, Any]:
    """What the applicant's own page shows of their result, once the results are published:
    review score, each exam mark, exam score, total, rank, outcome and reason, the appeal
    deadline and whether an appeal can be filed now. ``{"published": False}`` before."""
    call = application.call
    if call.status != CallStatus.RESULTS_PUBLISHED or application.status not in RESULT_STATUSES:
        return {"published": False}
    marks: dict[str, Decimal] = {}
    if application.candidate_number is not None:
        marks = dict(
            ExamMark.objects.filter(
                call=call, candidate_number=application.candidate_number
            ).values_list("subject", "mark")
        )
    deadline = appeal_deadline(call)
    appeals = list(_appeals_of(application).order_by("-created_at", "-pk"))
    open_appeal = next((a for a in appeals if a.status not in CLOSED), None)
    window_open = deadline is not None and timezone.now() <= deadline
    return {
        "published": True,
        "status": application.status,
        "status_label": S(application.status).label,
        "review_score": application.review_score,
        "exam_marks": [
            {
                "code": item["code"],
                "label": item_label(item),
                "max": item["max"],
                "mark": marks.get(item["code"]),
            }
            for item in call.exam_subjects
        ],
        "exam_score": application.exam_score,
        "total_score": application.total_score,
        "rank": application.rank,
        "reason": application.outcome_reason
        or (_ineligibility_reason(application) if application.status == S.INELIGIBLE else ""),
        "appeal_deadline": deadline,
        "appeals": appeals,
        "open_appeal": open_appeal,
        "can_appeal": window_open and open_appeal is None,
        "grounds_min_length": GROUNDS_MIN_LENGTH,
    }


def ranking_table(call: Call) -> list[dict[str, Any]]:
    """The officer's and president's view, per post: candidate numbers with their scores and
    outcome in rank order. ``name`` is filled only once identities are revealed."""
    revealed = call.revealed_at is not None
    applications = (
        Application.objects.filter(call=call)
        .exclude(status__in=(S.DRAFT, S.WITHDRAWN))
        .exclude(candidate_number__isnull=True)
        .select_related("post", *(("person",) if revealed else ()))
        .order_by("post__code", "rank", "candidate_number")
    )
    posts: dict[int, dict[str, Any]] = {}
    for application in applications:
        entry = posts.setdefault(application.post_id, {"post": application.post, "rows": []})
        entry["rows"].append(
            {
                "candidate_number": application.candidate_number,
                "name": application.person.full_name if revealed else "",
                "eligible": application.eligible,
                "review_score": application.review_score,
                "exam_score": application.exam_score,
                "total_score": application.total_score,
                "rank": application.rank,
                "status": application.status,
                "status_label": S(application.status).label,
                "reason": application.outcome_reason,
            }
        )
    for entry in posts.values():
        # Ranked first by rank, then the others by candidate number.
        entry["rows"].sort(
            key=lambda row: (row["rank"] is None, row["rank"] or 0, row["candidate_number"])
        )
    return list(posts.values())


def published_lists(call: Call) -> list[dict[str, Any]]:
    """The public results, per post: the admitted and the waiting list by rank, with candidate
    number and name. Empty until the results are published."""
    if call.status != CallStatus.RESULTS_PUBLISHED:
        return []
    lists: dict[int, dict[str, Any]] = {
        post.pk: {"post": post, "admitted": [], "waiting": []} for post in call.posts.all()
    }
    applications = (
        Application.objects.filter(call=call, status__in=(S.ADMITTED, S.WAITING_LIST))
        .select_related("person")
        # An outcome corrected after an appeal may have no rank: after the ranked ones.
        .order_by(F("rank").asc(nulls_last=True), "candidate_number")
    )
    for application in applications:
        key = "admitted" if application.status == S.ADMITTED else "waiting"
        lists[application.post_id][key].append(
            {
                "rank": application.rank,
                "candidate_number": application.candidate_number,
                "name": application.person.full_name,
            }
        )
    return list(lists.values())


def list_call_appeals(call: Call) -> QuerySet[ServiceRequest]:
    """The appeals filed against the call's results, oldest first (no names: see the case)."""
    return list_work_queue(organisations=[call.organisation], service_code=APPEAL_SERVICE).filter(
        details__call=call.code
    )
