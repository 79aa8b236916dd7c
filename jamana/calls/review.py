"""Blind review of a call's applications: closing (candidate numbers and pseudonyms), the
jury's declarations, the assignment of reviews, reviewers' marks with arbitration of large
disagreements, the officer's eligibility decisions and written-exam marks by candidate number.

Reviewers see an application only as a :class:`BlindReview`: a pseudonym, the post, the
answers, the declared diploma level and the project file. Never the Application or Person
rows (a template could walk their relations to a name), never what reveals origin: name,
photo, NINA, phone, birth place, parents. Identities are revealed by ``results`` once the
ranking is final.

``do_*`` act on trusted input, ``check_*`` validate then act, ``access_*`` fetch and authorise
(``NotFound`` for anything the account may not see, exactly as for what does not exist),
``list_*`` only read. Every write is one transaction with its audit event."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import PurePath
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_access, record_event
from jamana.calls import actions
from jamana.calls.models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    Call,
    CallStatus,
    DiplomaLevel,
    DocumentKind,
    DocumentSource,
    ExamMark,
    JuryMember,
    JuryRole,
    Review,
    ScanStatus,
)
from jamana.calls.ranking import review_score
from jamana.calls.reasons import failed_checks_text
from jamana.core.errors import JamanaError, NotFound
from jamana.core.references import ALPHABET
from jamana.identity.models import Account, Person
from jamana.identity.permissions import MANAGE_CALLS, SIT_ON_JURY
from jamana.identity.queries import has_permission, require_permission

S = ApplicationStatus
PSEUDONYM_PREFIX = "P-"
PSEUDONYM_LENGTH = 6
COMMENT_MAX_LENGTH = 5000
REASON_MAX_LENGTH = 2000
_CENT = Decimal("0.01")
_HUNDRED = Decimal(100)
# Calls whose jury no longer works: nothing is shown or changed any more.
_FINISHED = (CallStatus.CANCELLED, CallStatus.RESULTS_PUBLISHED)


class ReviewError(JamanaError):
    """A refused review operation. ``field`` names the input at fault (a criterion code, a
    form field) when there is one; ``problems`` lists every refused line of a marks entry."""

    def __init__(
        self,
        code: str,
        message: Any,
        *,
        field: str | None = None,
        problems: Iterable[str] = (),
        **params: Any,
    ) -> None:
        super().__init__(code, message, **params)
        self.field = field
        self.problems = list(problems)


# ------------------------------------------------------------------------- what a reviewer sees


@dataclass(frozen=True)
class Texts:
    """A label in the three languages, shown in the active one (French when missing)."""

    fr: str
    bm: str = ""
    en: str = ""

    @classmethod
    def of(cls, labels: Mapping[str, Any] | None, fallback: str = "") -> Texts:
        labels = labels or {}
        return cls(
            fr=str(labels.get("fr") or fallback),
            bm=str(labels.get("bm") or ""),
            en=str(labels.get("en") or ""),
        )

    def __str__(self) -> str:
        language = (translation.get_language() or "fr")[:2]
        return str(getattr(self, language, "") or self.fr) if language in ("bm", "en") else self.fr


@dataclass(frozen=True)
class BlindAnswer:
    question: Texts
    text: str


@dataclass(frozen=True)
class BlindDocument:
    """The project file under a neutral name (the applicant's own file name may carry their
    name). ``url`` is empty until the virus scan has passed the file."""

    name: str
    size: int
    url: str


@dataclass(frozen=True)
class BlindCriterion:
    code: str
    label: Texts
    max: int
    weight: int
    mark: Decimal | None  # the member's own mark, once submitted


@dataclass(frozen=True)
class BlindReview:
    """One review as its reviewer sees it. Plain values only: no model instance, so nothing
    leads from here to the applicant's identity."""

    id: int
    call_code: str
    pseudonym: str
    post_title: Texts
    answers: tuple[BlindAnswer, ...]
    diploma_level: str
    documents: tuple[BlindDocument, ...]
    criteria: tuple[BlindCriterion, ...]
    total: Decimal | None
    comment: str
    submitted_at: dt.datetime | None
    is_arbitration: bool

    @property
    def submitted(self) -> bool:
        return self.submitted_at is not None


@dataclass(frozen=True)
class ReviewFile:
    """A file to stream: where it is stored, its type and the name to give the download."""

    path: str
    content_type: str
    filename: str


@dataclass(frozen=True)
class JuryCall:
    """A call the account sits on, for the jury home page (public facts of the call only)."""

    code: str
    title: Texts
    status: str
    role: str
    declared: bool
    to_review: int
    reviewed: int


@dataclass(frozen=True)
class Unassigned:
    """An application that lacks reviewers (members in conflict, too few declared), for the
    officer: ``missing`` regular reviewers, or an arbitration reviewer."""

    reference: str
    pseudonym: str
    candidate_number: int | None
    missing: int
    arbitration: bool


# ------------------------------------------------------------------------------ helpers


def _lock_call(call: Call) -> Call:
    """The call's row, locked for the rest of the transaction and reloaded."""
    return (
        Call.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=call.pk)
    )


def _call_event(
    action: str, call: Call, actor: Account | None = None, detail: dict[str, Any] | None = None
) -> None:
    record_event(
        action=f"call.{action.removeprefix('call_')}",
        object_type="call",
        object_ref=call.code,
        actor=actor,
        organisation=call.organisation,
        detail=detail,
    )


def _application_event(
    action: str,
    application: Application,
    call: Call,
    actor: Account | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    record_event(
        action=action,
        object_type="application",
        object_ref=application.reference,
        actor=actor,
        organisation=call.organisation,
        detail=detail,
    )


def _text(value: str, *, limit: int) -> str:
    return " ".join(str(value or "").split())[:limit]


def _new_pseudonym(taken: set[str]) -> str:
    while True:
        pseudonym = PSEUDONYM_PREFIX + "".join(
            secrets.choice(ALPHABET) for _ in range(PSEUDONYM_LENGTH)
        )
        if pseudonym not in taken:
            taken.add(pseudonym)
            return pseudonym


def _ineligibility_reason(application: Application) -> str:
    """The failing checks as French sentences: the outcome is a record, kept in the official
    language whatever the reader's."""
    with translation.override("fr"):
        return failed_checks_text(application.eligibility)


# ------------------------------------------------------------------------------ closing


def do_close_call(call: Call, *, now: dt.datetime | None = None) -> int:
    """Close a published call past its closing second: fetch the certificates issued since,
    give each submitted application a candidate number and a pseudonym, set aside those that
    are not eligible, then assign the reviews if the jury is ready. Returns the number of
    candidates numbered; a call not due (or already closed) is left as it is and gives 0."""
    return _close(call, now or timezone.now()) or 0


def do_close_due_calls(now: dt.datetime | None = None) -> int:
    """Close every published call whose closing second has passed (``manage.py calls_close``,
    every minute; running it again changes nothing). Returns the number of calls closed."""
    now = now or timezone.now()
    due = Call.objects.filter(status=CallStatus.PUBLISHED, closes_at__lt=now).order_by("closes_at")
    return sum(1 for call in due if _close(call, now) is not None)


def _close(call: Call, now: dt.datetime) -> int | None:
    with transaction.atomic(durable=True):
        call = _lock_call(call)
        # An application signed at closes_at exactly is accepted (actions.require_open):
        # the call closes only once that second has passed.
        if call.status != CallStatus.PUBLISHED or call.closes_at >= now:
            return None
        applications = list(
            Application.objects.select_for_update(of=("self",))
            .select_related("call__organisation", "post", "person")
            .filter(call=call, status=S.SUBMITTED)
            .order_by("pk")
        )
        # Numbers in a random order: they reveal neither names nor the order of submission.
        numbers = list(range(1, len(applications) + 1))
        secrets.SystemRandom().shuffle(numbers)
        pseudonyms: set[str] = set(
            Application.objects.filter(call=call)
            .exclude(pseudonym="")
            .values_list("pseudonym", flat=True)
        )
        ineligible = undecided = 0
        for application, number in zip(applications, numbers, strict=True):
            # A certificate of nationality granted since the applicant signed counts.
            actions.do_refresh_requested_documents(application)
            application.candidate_number = number
            application.pseudonym = _new_pseudonym(pseudonyms)
            application.updated_at = now
            fields = ["candidate_number", "pseudonym", "updated_at"]
            if application.eligible is False:
                application.status = S.INELIGIBLE
                application.decided_at = now
                application.outcome_reason = _ineligibility_reason(application)
                fields += ["status", "decided_at", "outcome_reason"]
                ineligible += 1
            elif application.eligible is None:
                undecided += 1  # for the officer: check_decide_eligibility
            application.save(update_fields=fields)
            if application.status == S.INELIGIBLE:
                _application_event(
                    "application.ineligible",
                    application,
                    call,
                    detail={
                        "checks": [
                            c["code"] for c in application.eligibility if c.get("ok") is False
                        ]
                    },
                )
        call.status = CallStatus.IN_REVIEW
        call.closed_at = now
        call.save(update_fields=["status", "closed_at"])
        _call_event(
            "call_closed",
            call,
            detail={
                "candidates": len(applications),
                "ineligible": ineligible,
                "undecided": undecided,
            },
        )
        if jury_ready(call):
            do_assign_reviews(call)
    return len(applications)


# ------------------------------------------------------------------------------ jury and assignment


def _sits(account: Account, call: Call) -> bool:
    """The account still holds the jury role in the call's organisation (a role withdrawn
    since it was seated closes every door)."""
    return account.is_active and has_permission(account, SIT_ON_JURY, call.organisation)


def _declared_reviewers(call: Call) -> list[JuryMember]:
    members = (
        call.jury.filter(role=JuryRole.REVIEWER, declared_at__isnull=False)
        .select_related("account__person")
        .order_by("pk")
    )
    return [member for member in members if _sits(member.account, call)]


def jury_ready(call: Call) -> bool:
    """Enough reviewers have declared for each application to get its reviewers."""
    return len(_declared_reviewers(call)) >= call.reviewers_per_application


@dataclass(frozen=True)
class _Kin:
    """What the automatic conflict check knows of a person: the identity links only."""

    account_id: int
    person_id: int | None
    father_id: int | None
    mother_id: int | None


def _member_kin(member: JuryMember) -> _Kin:
    person = member.account.person
    return _Kin(
        account_id=member.account_id,
        person_id=person.pk if person else None,
        father_id=person.father_id if person else None,
        mother_id=person.mother_id if person else None,
    )


def _applicant_kin(application: Application) -> _Kin:
    person = application.person
    return _Kin(
        account_id=application.account_id,
        person_id=person.pk,
        father_id=person.father_id,
        mother_id=person.mother_id,
    )


def in_conflict(member: _Kin, applicant: _Kin) -> bool:
    """The member is the applicant, their father or mother, their child, or their brother or
    sister (one parent in common is enough), as the identity register links them. Other ties
    (spouse, cousin, colleague) the register does not know: the member declares them."""
    if member.account_id == applicant.account_id:
        return True
    if member.person_id is None:
        return False
    if member.person_id == applicant.person_id:
        return True
    if member.person_id in (applicant.father_id, applicant.mother_id):
        return True
    if applicant.person_id is not None and applicant.person_id in (
        member.father_id,
        member.mother_id,
    ):
        return True
    parents = {member.father_id, member.mother_id} - {None}
    return bool(parents & {applicant.father_id, applicant.mother_id})


class _Assigner:
    """Picks reviewers for one call: the declared reviewer with the fewest active reviews who
    has no review of the application and is not in conflict with the applicant. Ties are drawn
    at random: an officer who knows the order of submissions and of the jury list cannot
    arrange which member gets which application."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.members = _declared_reviewers(call)
        self.kin = {member.pk: _member_kin(member) for member in self.members}
        self.draw = {member.pk: secrets.randbelow(1 << 30) for member in self.members}
        self.load: dict[int, int] = defaultdict(int)
        for reviewer_id in Review.objects.filter(
            reviewer__in=self.members, conflict_declared_at__isnull=True
        ).values_list("reviewer_id", flat=True):
            self.load[reviewer_id] += 1

    def pick(self, application: Application, taken: set[int]) -> JuryMember | None:
        applicant = _applicant_kin(application)
        free = [
            member
            for member in self.members
            if member.pk not in taken and not in_conflict(self.kin[member.pk], applicant)
        ]
        if not free:
            return None
        return min(free, key=lambda member: (self.load[member.pk], self.draw[member.pk]))

    def assign(
        self, application: Application, taken: set[int], *, arbitration: bool, now: dt.datetime
    ) -> Review | None:
        member = self.pick(application, taken)
        if member is None:
            return None
        review = Review.objects.create(
            application=application, reviewer=member, assigned_at=now, is_arbitration=arbitration
        )
        taken.add(member.pk)
        self.load[member.pk] += 1
        _application_event(
            "review.assigned",
            application,
            self.call,
            detail={"review": review.pk, "member": member.pk, "arbitration": arbitration},
        )
        return review


def do_assign_reviews(call: Call) -> int:
    """Give every eligible application its ``reviewers_per_application`` reviewers; returns the
    number of reviews created. Existing reviews are kept, so running it again only fills gaps
    (a member recused, a late decision of eligibility, a new member declared). An application
    for which too few members are free of conflict gets what can be given and shows in
    :func:`list_unassigned`. Refused when the jury has fewer declared reviewers than needed."""
    now = timezone.now()
    with transaction.atomic():
        call = _lock_call(call)
        if call.status != CallStatus.IN_REVIEW:
            raise ReviewError(
                "call_not_in_review", _("The applications of this call are not under review.")
            )
        assigner = _Assigner(call)
        needed = call.reviewers_per_application
        if len(assigner.members) < needed:
            raise ReviewError(
                "not_enough_reviewers",
                _(
                    "Each application needs %(needed)s reviewers and only %(count)s members of "
                    "the jury have made their declaration."
                ),
                needed=needed,
                count=len(assigner.members),
            )
        applications = list(
            Application.objects.select_for_update(of=("self",))
            .select_related("person")
            .filter(call=call, status=S.SUBMITTED, eligible=True)
        )
        taken: dict[int, set[int]] = defaultdict(set)
        active: dict[int, int] = defaultdict(int)
        for application_id, reviewer_id, arbitration, recused in Review.objects.filter(
            application__in=applications
        ).values_list("application_id", "reviewer_id", "is_arbitration", "conflict_declared_at"):
            taken[application_id].add(reviewer_id)
            if not arbitration and recused is None:
                active[application_id] += 1
        secrets.SystemRandom().shuffle(applications)
        created = 0
        for application in applications:
            for _missing in range(needed - active[application.pk]):
                review = assigner.assign(
                    application, taken[application.pk], arbitration=False, now=now
                )
                if review is None:
                    break
                created += 1
        if created:
            _call_event("reviews_assigned", call, detail={"reviews": created})
    return created


def check_assign_reviews(*, agent: Account, call: Call) -> int:
    """The officer asks for the reviews to be assigned (after a late declaration, say)."""
    require_permission(agent, MANAGE_CALLS, call.organisation)
    with transaction.atomic(durable=True):
        return do_assign_reviews(call)


def check_declare_no_conflict(*, account: Account, call: Call, declaration: str) -> JuryMember:
    """The member declares on its honour that it will recuse itself from any application where
    it has a conflict of interest; before that it sees nothing of the call's applications.
    Declaring again changes nothing. Once enough reviewers have declared on a call under
    review, the reviews are assigned."""
    text = " ".join(str(declaration or "").split())
    if not text:
        raise ReviewError(
            "declaration_required",
            _("Write your declaration of no conflict of interest."),
            field="declaration",
        )
    with transaction.atomic(durable=True):
        call = _lock_call(call)
        member = call.jury.select_related("account").filter(account=account).first()
        if member is None or not _sits(account, call) or call.status in _FINISHED:
            raise NotFound("call_not_found", _("No call with this code."))
        if member.declared_at is not None:
            return member
        member.declared_at = timezone.now()
        member.declaration = text[:REASON_MAX_LENGTH]
        member.save(update_fields=["declared_at", "declaration"])
        _call_event("jury_declared", call, account, {"member": member.pk, "role": member.role})
        if (
            call.status == CallStatus.IN_REVIEW
            and member.role == JuryRole.REVIEWER
            and jury_ready(call)
        ):
            do_assign_reviews(call)
    return member


# ------------------------------------------------------------------------------ reviewer's reads


def list_jury_calls(account: Account) -> list[JuryCall]:
    """The calls the account sits on whose jury still works (not cancelled, results not
    published), newest first; empty for anyone else."""
    members = (
        JuryMember.objects.filter(account=account)
        .exclude(call__status__in=_FINISHED)
        .select_related("call__organisation")
        .order_by("-call__closes_at", "call__code")
    )
    out = []
    for member in members:
        call = member.call
        if not _sits(account, call):
            continue
        reviews = (
            list(
                member.reviews.filter(conflict_declared_at__isnull=True).values_list(
                    "submitted_at", flat=True
                )
            )
            if member.declared_at
            else []
        )
        out.append(
            JuryCall(
                code=call.code,
                title=Texts(call.title_fr, call.title_bm, call.title_en),
                status=str(call.get_status_display()),
                role=str(member.get_role_display()),
                declared=member.declared_at is not None,
                to_review=sum(1 for at in reviews if at is None),
                reviewed=sum(1 for at in reviews if at is not None),
            )
        )
    return out


def access_jury_member(account: Account, code: str) -> JuryMember:
    """The account's seat on the jury of call ``code``, once it has declared; else NotFound."""
    member = (
        JuryMember.objects.select_related("call__organisation", "account")
        .filter(account=account, call__code=code.strip().upper(), declared_at__isnull=False)
        .exclude(call__status__in=_FINISHED)
        .first()
    )
    if member is None or not _sits(account, member.call):
        raise NotFound("call_not_found", _("No call with this code."))
    return member


def access_jury_call(account: Account, code: str) -> Call:
    """A call the account sits on, whether it has declared or not (to show the declaration
    form); else NotFound."""
    member = (
        JuryMember.objects.select_related("call__organisation")
        .filter(account=account, call__code=code.strip().upper())
        .exclude(call__status__in=_FINISHED)
        .first()
    )
    if member is None or not _sits(account, member.call):
        raise NotFound("call_not_found", _("No call with this code."))
    return member.call


def _reviews_of(account: Account) -> QuerySet[Review]:
    """The account's reviews it may open: declared, not recused."""
    return (
        Review.objects.filter(
            reviewer__account=account,
            reviewer__declared_at__isnull=False,
            conflict_declared_at__isnull=True,
        )
        .exclude(application__call__status__in=_FINISHED)
        .select_related("application__call__organisation", "application__post")
        .defer("application__signed_content", "application__signature")
        .prefetch_related(
            Prefetch(
                "application__documents",
                queryset=ApplicationDocument.objects.filter(
                    kind=DocumentKind.PROJECT, source=DocumentSource.UPLOADED
                ),
                to_attr="project_files",
            )
        )
    )


def _document_name(call: Call, application: Application, document: ApplicationDocument) -> str:
    extension = PurePath(document.stored_file or document.filename).suffix.lower() or ".pdf"
    return f"{call.code}-{application.pseudonym}-{DocumentKind.PROJECT.value}{extension}"


def _blind(review: Review) -> BlindReview:
    """What the reviewer sees. Diploma and CV scans are left out on purpose: they carry the
    applicant's name (and often photo, birth date and place); the officer checks them for
    eligibility before the review, so the jury needs only the declared level."""
    application = review.application
    call = application.call
    project_files: list[ApplicationDocument] = getattr(application, "project_files", [])
    documents = tuple(
        BlindDocument(
            name=_document_name(call, application, document),
            size=document.size,
            url=(
                reverse("calls:jury_review_document", args=[review.pk])
                if document.scan_status == ScanStatus.CLEAN and document.stored_file
                else ""
            ),
        )
        for document in project_files
    )
    marks = review.marks or {}
    return BlindReview(
        id=review.pk,
        call_code=call.code,
        pseudonym=application.pseudonym,
        post_title=Texts(
            application.post.title_fr, application.post.title_bm, application.post.title_en
        ),
        answers=tuple(
            BlindAnswer(
                question=Texts.of(question.get("label"), question["code"]),
                text=str(application.answers.get(question["code"], "")),
            )
            for question in call.questions
        ),
        diploma_level=(
            str(DiplomaLevel(application.diploma_level).label)
            if application.diploma_level in DiplomaLevel.values
            else ""
        ),
        documents=documents,
        criteria=tuple(
            BlindCriterion(
                code=criterion["code"],
                label=Texts.of(criterion.get("label"), criterion["code"]),
                max=int(criterion["max"]),
                weight=int(criterion.get("weight") or 1),
                mark=Decimal(marks[criterion["code"]]) if criterion["code"] in marks else None,
            )
            for criterion in call.criteria
        ),
        total=review.total,
        comment=review.comment,
        submitted_at=review.submitted_at,
        is_arbitration=review.is_arbitration,
    )


def list_my_reviews(account: Account, call: Call) -> list[BlindReview]:
    """The reviews assigned to the account on ``call``, by pseudonym. NotFound before the
    member's declaration (nothing of the applications is visible until then)."""
    access_jury_member(account, call.code)
    reviews = _reviews_of(account).filter(application__call=call)
    return sorted((_blind(review) for review in reviews), key=lambda blind: blind.pseudonym)


def access_review(account: Account, review_id: int) -> BlindReview:
    """One of the account's reviews, as a reviewer sees it; NotFound for anything else (a
    review of another member, one it recused itself from, before its declaration).

    Opening it is a read of the applicant's data: recorded for the person as a read by the
    recruiting body, without the reviewer's name, so that the applicant learns neither who
    reviews them nor a way to reach them."""
    review = _reviews_of(account).filter(pk=review_id).first()
    if review is None or not _sits(account, review.application.call):
        raise NotFound("review_not_found", _("No such review."))
    call = review.application.call
    record_access(
        person=_person_of(review.application),
        object_type="application",
        object_ref=review.application.reference,
        purpose=f"Évaluation anonyme du dossier par le jury — {call.code}",
        organisation=call.organisation,
    )
    return _blind(review)


def _person_of(application: Application) -> Person:
    # A reference by id is enough to record the read; the person's row is not loaded.
    return Person(pk=application.person_id)


def access_review_document(account: Account, review_id: int) -> ReviewFile:
    """The project file of one of the account's reviews, once scanned clean; else NotFound."""
    review = _reviews_of(account).filter(pk=review_id).first()
    if review is None or not _sits(account, review.application.call):
        raise NotFound("review_not_found", _("No such review."))
    application = review.application
    files: list[ApplicationDocument] = getattr(application, "project_files", [])
    document = next((f for f in files if f.scan_status == ScanStatus.CLEAN and f.stored_file), None)
    if document is None:
        raise NotFound("document_not_found", _("No such document."))
    call = application.call
    record_access(
        person=_person_of(application),
        object_type="application_document",
        object_ref=f"{application.reference}/{document.kind}",
        purpose=f"Évaluation anonyme du dossier par le jury — {call.code}",
        organisation=call.organisation,
    )
    return ReviewFile(
        path=document.stored_file,
        content_type=document.content_type or "application/octet-stream",
        filename=_document_name(call, application, document),
    )


# ------------------------------------------------------------------------------ reviewer's writes


def _own_review_locked(account: Account, review_id: int) -> tuple[Review, Application, Call]:
    """The account's review with its application locked (one submission or recusal at a time
    per application: two reviewers finishing together bring in one arbitrator, not two)."""
    review = _reviews_of(account).filter(pk=review_id).first()
    if review is None or not _sits(account, review.application.call):
        raise NotFound("review_not_found", _("No such review."))
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call__organisation", "person")
        .get(pk=review.application_id)
    )
    review = Review.objects.select_for_update().get(pk=review.pk)
    if review.conflict_declared_at is not None:
        raise NotFound("review_not_found", _("No such review."))
    call = application.call
    if call.status != CallStatus.IN_REVIEW:
        raise ReviewError("review_closed", _("The review of this call is over."))
    return review, application, call


def check_declare_conflict(*, account: Account, review_id: int, reason: str) -> None:
    """The reviewer recuses itself from one application; the application goes to another
    declared reviewer who has no review of it and no automatic conflict. When none is left it
    waits in :func:`list_unassigned` for the officer. A submitted review stands (only the
    president may correct one)."""
    reason = _text(reason, limit=REASON_MAX_LENGTH)
    if not reason:
        raise ReviewError(
            "reason_required", _("Say briefly why you are in conflict."), field="reason"
        )
    now = timezone.now()
    with transaction.atomic(durable=True):
        review, application, call = _own_review_locked(account, review_id)
        if review.submitted_at is not None:
            raise ReviewError(
                "review_submitted",
                _("You have already submitted this review; ask the president of the jury."),
            )
        review.conflict_declared_at = now
        review.conflict_reason = reason
        review.save(update_fields=["conflict_declared_at", "conflict_reason"])
        # The reason stays on the review (for the president), not in the audit trail.
        _application_event(
            "review.conflict_declared", application, call, account, {"review": review.pk}
        )
        taken = set(application.reviews.values_list("reviewer_id", flat=True))
        replacement = _Assigner(call).assign(
            application, taken, arbitration=review.is_arbitration, now=now
        )
        if replacement is None:
            _application_event(
                "review.unassigned",
                application,
                call,
                detail={"arbitration": review.is_arbitration},
            )


def clean_marks(
    criteria: list[dict[str, Any]], marks: Mapping[str, Decimal | str | int]
) -> dict[str, Decimal]:
    """Marks per criterion code: every criterion marked, from 0 to its highest mark, with at
    most two decimals (a decimal comma is accepted)."""
    known = {criterion["code"] for criterion in criteria}
    unknown = sorted(set(marks) - known)
    if unknown:
        raise ReviewError(
            "unknown_criterion",
            _("This call has no criterion %(criterion)s."),
            criterion=unknown[0],
        )
    cleaned: dict[str, Decimal] = {}
    for criterion in criteria:
        code, label = criterion["code"], Texts.of(criterion.get("label"), criterion["code"])
        raw = marks.get(code)
        if raw is None or str(raw).strip() == "":
            raise ReviewError(
                "mark_required",
                _("Give a mark for “%(criterion)s”."),
                field=code,
                criterion=label,
            )
        mark = parse_mark(raw)
        top = Decimal(int(criterion["max"]))
        if mark is None or not 0 <= mark <= top:
            raise ReviewError(
                "invalid_mark",
                _(
                    "The mark for “%(criterion)s” is a number from 0 to %(max)s, with at most "
                    "two decimals."
                ),
                field=code,
                criterion=label,
                max=top,
            )
        cleaned[code] = mark
    return cleaned


def parse_mark(raw: Decimal | str | int) -> Decimal | None:
    """A mark typed as "12", "12.5" or "12,75"; None when it is not a number with at most two
    decimals."""
    if isinstance(raw, bool):
        return None
    try:
        mark = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not mark.is_finite() or mark != mark.quantize(_CENT, rounding=ROUND_HALF_UP):
        return None
    return mark.quantize(_CENT)


def review_total(criteria: list[dict[str, Any]], marks: Mapping[str, Decimal]) -> Decimal:
    """The total on 100: Σ mark * weight / Σ max * weight * 100, rounded to 0.01 half up."""
    weighted = sum((marks[c["code"]] * int(c.get("weight") or 1) for c in criteria), Decimal(0))
    top = sum((Decimal(int(c["max"])) * int(c.get("weight") or 1) for c in criteria), Decimal(0))
    return (weighted / top * _HUNDRED).quantize(_CENT, rounding=ROUND_HALF_UP)


def check_submit_review(
    *,
    account: Account,
    review_id: int,
    marks: Mapping[str, Decimal | str],
    comment: str = "",
) -> BlindReview:
    """Submit the marks of one review, once (a correction is the president's). When all the
    application's reviewers have marked it, its review score is set, or, if the two totals
    are further apart than the call's threshold, an arbitration reviewer is brought in and
    the score is the mean of the two closest of the three totals."""
    now = timezone.now()
    with transaction.atomic(durable=True):
        review, application, call = _own_review_locked(account, review_id)
        if review.submitted_at is not None:
            raise ReviewError("already_submitted", _("You have already submitted this review."))
        cleaned = clean_marks(call.criteria, marks)
        review.marks = {code: str(mark) for code, mark in cleaned.items()}
        review.total = review_total(call.criteria, cleaned)
        review.comment = str(comment or "").strip()[:COMMENT_MAX_LENGTH]
        review.submitted_at = now
        review.save(update_fields=["marks", "total", "comment", "submitted_at"])
        _application_event(
            "review.submitted",
            application,
            call,
            account,
            {"review": review.pk, "total": str(review.total)},
        )
        _settle(application, call, now)
    return _blind(_reviews_of(account).get(pk=review_id))


def _settle(application: Application, call: Call, now: dt.datetime) -> None:
    """Score the application once its reviews are in, or bring in an arbitrator."""
    reviews = list(application.reviews.filter(conflict_declared_at__isnull=True))
    regular = [r for r in reviews if not r.is_arbitration]
    arbitration = [r for r in reviews if r.is_arbitration]
    if len(regular) < call.reviewers_per_application or any(r.total is None for r in regular):
        return
    threshold = Decimal(call.disagreement_threshold)
    totals = [r.total for r in regular if r.total is not None]
    score, needs_arbitration = review_score(totals, threshold=threshold)
    if needs_arbitration:
        if not arbitration:
            taken = set(application.reviews.values_list("reviewer_id", flat=True))
            assigned = _Assigner(call).assign(application, taken, arbitration=True, now=now)
            _application_event(
                "review.arbitration_needed",
                application,
                call,
                detail={"totals": [str(t) for t in totals], "assigned": assigned is not None},
            )
            return
        if arbitration[0].total is None:
            return
        score, _again = review_score([*totals, arbitration[0].total], threshold=threshold)
    if score is not None and score != application.review_score:
        application.review_score = score
        application.updated_at = now
        application.save(update_fields=["review_score", "updated_at"])
        _application_event(
            "application.review_scored",
            application,
            call,
            detail={"score": str(score), "reviews": len(totals) + len(arbitration)},
        )


# ------------------------------------------------------------------------------ officer


def list_unassigned(call: Call) -> list[Unassigned]:
    """Eligible applications short of reviewers: fewer active regular reviews than the call
    asks for, or two totals too far apart with no arbitrator. By candidate number."""
    applications = (
        Application.objects.filter(call=call, status=S.SUBMITTED, eligible=True)
        .only("pk", "reference", "pseudonym", "candidate_number")
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=Review.objects.filter(conflict_declared_at__isnull=True),
                to_attr="active_reviews",
            )
        )
        .order_by("candidate_number", "pk")
    )
    threshold = Decimal(call.disagreement_threshold)
    out = []
    for application in applications:
        reviews: list[Review] = application.active_reviews  # type: ignore[attr-defined]
        regular = [r for r in reviews if not r.is_arbitration]
        missing = max(0, call.reviewers_per_application - len(regular))
        needs_arbitrator = False
        totals = [r.total for r in regular if r.total is not None]
        if (
            not missing
            and len(totals) == len(regular)
            and not any(r.is_arbitration for r in reviews)
        ):
            needs_arbitrator = review_score(totals, threshold=threshold)[1]
        if missing or needs_arbitrator:
            out.append(
                Unassigned(
                    reference=application.reference,
                    pseudonym=application.pseudonym,
                    candidate_number=application.candidate_number,
                    missing=missing,
                    arbitration=needs_arbitrator,
                )
            )
    return out


def list_undecided(call: Call) -> QuerySet[Application]:
    """Submitted applications whose eligibility the rules could not settle (a birth date known
    only to the year, a file still being scanned), for the officer: by reference."""
    return (
        Application.objects.filter(call=call, status=S.SUBMITTED)
        .exclude(eligible=True)
        .only("pk", "reference", "candidate_number", "eligibility", "eligible")
        .order_by("reference")
    )


def _eligibility_purpose(call: Call) -> str:
    return f"Vérification de l'éligibilité — {call.code}"


def access_application_for_eligibility(
    *, agent: Account, call: Call, reference: str
) -> Application:
    """An undecided application of ``call`` opened by an officer who manages the call, with the
    applicant's identity (the officer is not the jury). Recorded as a read the applicant
    sees. NotFound for an agent without MANAGE_CALLS there, or an application of another call
    or already decided."""
    if not has_permission(agent, MANAGE_CALLS, call.organisation):
        raise NotFound("application_not_found", _("No application with this reference."))
    application = (
        Application.objects.select_related("person", "post", "exam_centre", "call__organisation")
        .filter(call=call, reference=reference, status=S.SUBMITTED)
        .exclude(eligible=True)
        .first()
    )
    if application is None:
        raise NotFound("application_not_found", _("No application with this reference."))
    record_access(
        person=application.person,
        actor=agent,
        organisation=call.organisation,
        object_type="application",
        object_ref=application.reference,
        purpose=_eligibility_purpose(call),
    )
    return application


def access_document_for_eligibility(
    *, agent: Account, call: Call, reference: str, kind: str
) -> ReviewFile:
    """An uploaded file (diploma, CV, project) of an undecided application, once scanned clean,
    for the officer checking eligibility; recorded as a read the applicant sees."""
    application = access_application_for_eligibility(agent=agent, call=call, reference=reference)
    document = application.documents.filter(
        kind=kind, source=DocumentSource.UPLOADED, scan_status=ScanStatus.CLEAN
    ).first()
    if document is None or not document.stored_file:
        raise NotFound("document_not_found", _("No such document."))
    record_access(
        person=application.person,
        actor=agent,
        organisation=call.organisation,
        object_type="application_document",
        object_ref=f"{application.reference}/{kind}",
        purpose=_eligibility_purpose(call),
    )
    extension = PurePath(document.stored_file).suffix.lower()
    return ReviewFile(
        path=document.stored_file,
        content_type=document.content_type or "application/octet-stream",
        filename=f"{application.reference}-{kind}{extension}",
    )


def check_decide_eligibility(
    *, agent: Account, application_reference: str, eligible: bool, reason: str
) -> Application:
    """The officer settles what the rules could not: eligible (the application then gets its
    reviewers if the jury is ready) or not (set aside with the reason). The reason is
    required either way; audited."""
    reason = _text(reason, limit=REASON_MAX_LENGTH)
    now = timezone.now()
    with transaction.atomic(durable=True):
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call__organisation")
            .filter(reference=application_reference)
            .first()
        )
        if application is None or not has_permission(
            agent, MANAGE_CALLS, application.call.organisation
        ):
            raise NotFound("application_not_found", _("No application with this reference."))
        call = application.call
        if call.status != CallStatus.IN_REVIEW:
            raise ReviewError(
                "call_not_in_review", _("The applications of this call are not under review.")
            )
        if application.status != S.SUBMITTED or application.eligible is True:
            raise ReviewError(
                "already_decided", _("The eligibility of this application is already decided.")
            )
        if not reason:
            raise ReviewError(
                "reason_required", _("Give the reason for your decision."), field="reason"
            )
        fields = ["eligible", "updated_at"]
        application.eligible = bool(eligible)
        application.updated_at = now
        if not eligible:
            application.status = S.INELIGIBLE
            application.decided_at = now
            application.outcome_reason = reason
            fields += ["status", "decided_at", "outcome_reason"]
        application.save(update_fields=fields)
        _application_event(
            "application.eligibility_decided",
            application,
            call,
            agent,
            {"eligible": bool(eligible), "reason": reason},
        )
        if eligible and jury_ready(call):
            do_assign_reviews(call)
    return application


# ------------------------------------------------------------------------------ exam marks


_SEPARATORS = (";", "\t", ",")


def _split_line(line: str) -> tuple[str, str] | None:
    """ "12;13,5", "12<TAB>13.5" or "12,13.5": the first separator found, in that order of
    preference, so that "12;13,5" keeps its decimal comma."""
    for separator in _SEPARATORS:
        if separator in line:
            number, mark = line.split(separator, 1)
            return number.strip(), mark.strip()
    return None


def check_enter_exam_marks(*, agent: Account, call: Call, subject: str, lines: str) -> int:
    """Written-exam marks of one subject, one "candidate number;mark" per line (tab or comma
    also separate; decimal comma accepted). The marker works from numbers only. All or
    nothing: every refused line is listed with its number and nothing is written. A mark
    entered again replaces the previous one, whose value the audit trail keeps. Absent
    candidates simply have no line. Returns the number of marks written."""
    require_permission(agent, MANAGE_CALLS, call.organisation)
    now = timezone.now()
    with transaction.atomic(durable=True):
        call = _lock_call(call)
        if call.status != CallStatus.IN_REVIEW:
            raise ReviewError(
                "call_not_in_review",
                _("Exam marks are entered while the applications are under review."),
            )
        spec = next((s for s in call.exam_subjects if s["code"] == subject), None)
        if spec is None:
            raise ReviewError(
                "unknown_subject", _("This call has no such exam subject."), field="subject"
            )
        top = Decimal(int(spec["max"]))
        statuses: dict[int, str] = {
            number: status
            for number, status in Application.objects.filter(
                call=call, candidate_number__isnull=False
            ).values_list("candidate_number", "status")
            if number is not None
        }
        problems: list[str] = []
        parsed: dict[int, Decimal] = {}
        for line_number, raw in enumerate(str(lines or "").splitlines(), start=1):
            line = raw.strip()
            if not line:
                continue
            problem, number, mark = _check_mark_line(line, top, statuses, parsed)
            if problem:
                problems.append(
                    str(
                        _("Line %(line)s: %(problem)s")
                        % {
                            "line": line_number,
                            "problem": problem,
                        }
                    )
                )
            elif number is not None and mark is not None:
                parsed[number] = mark
        if problems:
            raise ReviewError(
                "invalid_marks",
                _("Nothing was saved. Correct these lines: %(details)s"),
                field="lines",
                problems=problems,
                details=" ".join(problems),
            )
        if not parsed:
            raise ReviewError("no_marks", _("Enter at least one mark."), field="lines")
        existing = {
            m.candidate_number: m
            for m in ExamMark.objects.select_for_update().filter(
                call=call, subject=subject, candidate_number__in=list(parsed)
            )
        }
        for number, mark in sorted(parsed.items()):
            previous = existing.get(number)
            if previous is None:
                ExamMark.objects.create(
                    call=call,
                    candidate_number=number,
                    subject=subject,
                    mark=mark,
                    entered_by=agent,
                    entered_at=now,
                )
                continue
            if previous.mark == mark:
                continue
            record_event(
                action="call.exam_mark_replaced",
                object_type="call",
                object_ref=call.code,
                actor=agent,
                organisation=call.organisation,
                detail={
                    "candidate_number": number,
                    "subject": subject,
                    "old": str(previous.mark),
                    "new": str(mark),
                    "old_entered_by": previous.entered_by_id,
                },
            )
            previous.mark = mark
            previous.entered_by = agent
            previous.entered_at = now
            previous.save(update_fields=["mark", "entered_by", "entered_at"])
        _call_event("exam_marks_entered", call, agent, {"subject": subject, "marks": len(parsed)})
    return len(parsed)


_NUMBER_RE = re.compile(r"^[0-9]{1,9}$")


def _check_mark_line(
    line: str, top: Decimal, statuses: Mapping[int, str], seen: Mapping[int, Decimal]
) -> tuple[str, int | None, Decimal | None]:
    """(problem, candidate number, mark) for one non-blank line; problem is "" when valid."""
    parts = _split_line(line)
    if parts is None:
        return str(_("write the candidate number, a semicolon, then the mark.")), None, None
    text_number, text_mark = parts
    if not _NUMBER_RE.match(text_number):
        return (
            str(_("“%(value)s” is not a candidate number.") % {"value": text_number[:20]}),
            None,
            None,
        )
    number = int(text_number)
    status = statuses.get(number)
    if status is None:
        return str(_("no candidate has the number %(number)s.") % {"number": number}), None, None
    if status != S.SUBMITTED:
        return (
            str(_("candidate %(number)s is not eligible.") % {"number": number}),
            None,
            None,
        )
    if number in seen:
        return (
            str(_("candidate %(number)s already has a mark above.") % {"number": number}),
            None,
            None,
        )
    mark = parse_mark(text_mark)
    if mark is None or not 0 <= mark <= top:
        return (
            str(
                _("the mark “%(value)s” is not a number from 0 to %(max)s.")
                % {"value": text_mark[:20], "max": top}
            ),
            None,
            None,
        )
    return "", number, mark
