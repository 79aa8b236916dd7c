"""Blind review: one second after closing, submitted applications get a candidate number and a
pseudonym, the ineligible are set aside and the undecided wait for the officer; jury members
see nothing before declaring no conflict of interest, then only pseudonyms — never a name,
NINA, phone, birth place or parents; a juror who is the applicant's father is never assigned;
a recusal hands the application to another reviewer; two totals far apart bring a third
reviewer; written-exam marks are entered by candidate number, all or nothing."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from contextlib import nullcontext
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from jamana.audit.models import AccessEvent, AuditEvent
from jamana.calls import actions, publishing, review
from jamana.calls.models import (
    Application,
    ApplicationStatus,
    CallStatus,
    ExamMark,
    Review,
)
from jamana.calls.reasons import describe
from jamana.calls.tests.conftest import (
    apply_and_submit,
    register_birth,
    small_pdf,
)
from jamana.core.errors import JamanaError, NotFound
from jamana.core.geography import find_area
from jamana.core.references import format_reference
from jamana.identity import actions as identity
from jamana.identity.models import Account, IdentifierKind
from jamana.testing import PASSWORD, make_call

pytestmark = pytest.mark.django_db

BACKEND = "jamana.identity.backends.AccountBackend"
QUESTION = {
    "code": "motivation",
    "label": {"fr": "Vos motivations", "bm": "I sababu", "en": "Your motivation"},
    "required": True,
    "max_length": 2000,
}
SECOND = dt.timedelta(seconds=1)


@pytest.fixture
def call(body, officer):
    """No nationality condition (the applicants below hold no certificate); a project file
    the reviewers read; a licence required for the post."""
    return make_call(
        organisation=body,
        agent=officer,
        nationality_required=False,
        required_documents=["birth_act", "criminal_record_b3", "diploma", "project"],
        questions=[QUESTION],
    )


def seat(call, officer, members, *, declare: bool = True) -> None:
    for account in members:
        publishing.check_add_jury_member(agent=officer, call=call, account=account)
        if declare:
            review.check_declare_no_conflict(
                account=account, call=call, declaration="Je déclare sur l'honneur…"
            )


def submit(account: Account, call, capture, *, diploma_level: str = "licence", scan=True):
    """The applicant's whole path, with a project file named after the applicant (as people
    name their files); ``scan=False`` leaves the project waiting for the virus scan."""
    application = actions.check_start_application(account=account, call=call, post_code="ADM")
    person = account.person
    name = f"Projet {person.given_names} {person.family_name}.pdf"
    with capture(execute=True) if scan else nullcontext():
        actions.check_upload_document(
            account=account,
            reference=application.reference,
            kind="project",
            data=small_pdf("Mon projet", author=f"{person.given_names} {person.family_name}"),
            filename=name,
        )
    return apply_and_submit(account, call, diploma_level=diploma_level, capture=capture)


def close(call) -> None:
    with time_machine.travel(call.closes_at + SECOND, tick=False):
        review.do_close_due_calls()
    call.refresh_from_db()


def candidate(n: int, *, father: Account | None = None, mother: Account | None = None):
    """Another applicant born in Bamako Commune III, with a birth act in the register, maybe
    the child of a juror (an identity link, as état civil records it)."""
    person = identity.do_register_person(
        given_names=f"Fatoumata{n}",
        family_name="Coulibaly",
        sex="F",
        birth_date=dt.date(1999, 5, n),
        birth_commune=find_area("ML-00-03"),
        father=father.person if father else None,
        mother=mother.person if mother else None,
        identifiers={IdentifierKind.NINA: f"19990501{n:02d}02{n:02d}F"},
    )
    account = identity.do_create_account(
        phone=f"+22376200{n:03d}", password=PASSWORD, person=person, language="fr"
    )
    register_birth(account, number=200 + n)
    return account


def reviewers_of(application: Application) -> set[int]:
    return set(
        application.reviews.filter(conflict_declared_at__isnull=True).values_list(
            "reviewer__account_id", flat=True
        )
    )


def web(client, account: Account):
    client.force_login(account, backend=BACKEND)
    client.cookies["jamana_language"] = "en"
    return client


def test_reviewer_sees_the_pseudonym_and_answers_but_nothing_that_reveals_origin(
    client, call, officer, jurors, awa, django_capture_on_commit_callbacks
):
    seat(call, officer, jurors[:2])
    application = submit(awa, call, django_capture_on_commit_callbacks)
    close(call)
    application.refresh_from_db()
    mine = Review.objects.get(application=application, reviewer__account=jurors[0])

    page = web(client, jurors[0]).get(reverse("calls:jury_review", args=[mine.pk]))
    html = page.content.decode()
    assert application.pseudonym.startswith("P-")
    assert application.pseudonym in html
    assert "Your motivation" in html and "Réponse" in html  # the question and the answer
    assert "Licence (3 years after the bac)" in html
    person = awa.person
    act = person.birth_acts.get()
    for revealing in (
        person.given_names,
        person.family_name,
        "19980203000101A",  # NINA
        awa.phone,
        awa.phone.removeprefix("+223"),
        "Bamako",  # birth place (commune, and the exam centre's region)
        person.birth_commune.name,
        act.father_name,
        act.mother_name,
        application.reference,
        format_reference(application.reference),
        "d.pdf",  # the diploma scan carries the name: never shown to reviewers
    ):
        assert revealing
        assert revealing not in html, revealing

    # The project file, under a neutral name, once scanned clean.
    download = client.get(reverse("calls:jury_review_document", args=[mine.pk]))
    assert download.content.startswith(b"%PDF") and b"Mon projet" in download.content
    # The applicant's PDF names its author; the reviewer's copy does not.
    assert person.family_name.encode() not in download.content
    assert b"/Author" not in download.content
    disposition = download["Content-Disposition"]
    assert application.pseudonym in disposition and "Diallo" not in disposition
    # The applicant sees that the recruiting body read the file, not which juror.
    reads = AccessEvent.objects.filter(person=person, object_type__startswith="application")
    assert reads.exists() and not reads.exclude(actor=None).exists()


def test_member_who_has_not_declared_gets_nothing(
    client, call, officer, jurors, awa, django_capture_on_commit_callbacks
):
    seat(call, officer, jurors[:2])
    seat(call, officer, jurors[2:], declare=False)
    application = submit(awa, call, django_capture_on_commit_callbacks)
    close(call)
    application.refresh_from_db()
    someone_elses = application.reviews.first()

    web(client, jurors[2])
    home = client.get(reverse("calls:jury_home"))
    assert "I make this declaration" in home.content.decode()
    assert application.pseudonym not in home.content.decode()
    assert client.get(reverse("calls:jury_call", args=[call.code])).status_code == 404
    assert client.get(reverse("calls:jury_review", args=[someone_elses.pk])).status_code == 404
    with pytest.raises(NotFound):
        review.list_my_reviews(jurors[2], call)
    assert not Review.objects.filter(reviewer__account=jurors[2]).exists()

    # Declaring opens the call's page (still nothing assigned: two reviewers were enough).
    client.post(
        reverse("calls:jury_declare", args=[call.code]),
        {f"declaration-{call.code}-declaration": "Je déclare sur l'honneur…"},
    )
    page = client.get(reverse("calls:jury_call", args=[call.code]))
    assert "No application assigned to you yet." in page.content.decode()
    # Someone else's review stays closed, declared or not.
    assert client.get(reverse("calls:jury_review", args=[someone_elses.pk])).status_code == 404


def test_juror_cannot_open_the_applicants_own_pages_or_the_officers(
    client, call, officer, jurors, awa, django_capture_on_commit_callbacks
):
    seat(call, officer, jurors[:2])
    application = submit(awa, call, django_capture_on_commit_callbacks)
    close(call)
    web(client, jurors[0])
    assert client.get(reverse("calls:application", args=[application.reference])).status_code == 404
    assert client.get(reverse("calls:agent_call_review", args=[call.code])).status_code == 404
    assert (
        client.get(
            reverse("calls:agent_call_eligibility", args=[call.code, application.reference])
        ).status_code
        == 404
    )
    # And someone who sits on no jury has no jury page at all.
    web(client, awa)
    assert client.get(reverse("calls:jury_home")).status_code == 404


def test_juror_who_is_the_applicants_father_is_never_assigned(
    call, officer, jurors, keys, courts, django_capture_on_commit_callbacks
):
    seat(call, officer, jurors)
    daughter = candidate(1, father=jurors[0])
    application = submit(daughter, call, django_capture_on_commit_callbacks)
    close(call)
    application.refresh_from_db()
    assert reviewers_of(application) == {jurors[1].pk, jurors[2].pk}

    # One of the two recuses itself: nobody is left (the father is still excluded), and the
    # officer sees the application short of a reviewer.
    recusing = application.reviews.get(reviewer__account=jurors[1])
    review.check_declare_conflict(
        account=jurors[1], review_id=recusing.pk, reason="Je connais la famille."
    )
    assert reviewers_of(application) == {jurors[2].pk}
    [short] = review.list_unassigned(call)
    assert short.reference == application.reference and short.missing == 1
    assert AuditEvent.objects.filter(
        action="review.unassigned", object_ref=application.reference
    ).exists()


def test_automatic_conflicts_cover_parents_children_and_siblings():
    kin = review._Kin
    applicant = kin(account_id=1, person_id=10, father_id=20, mother_id=21)
    assert review.in_conflict(kin(1, None, None, None), applicant)  # own account
    assert review.in_conflict(kin(2, 10, None, None), applicant)  # same person
    assert review.in_conflict(kin(2, 20, None, None), applicant)  # father
    assert review.in_conflict(kin(2, 21, 30, 31), applicant)  # mother
    assert review.in_conflict(kin(2, 40, 10, None), applicant)  # the applicant's child
    assert review.in_conflict(kin(2, 41, None, 21), applicant)  # half-sibling (same mother)
    assert not review.in_conflict(kin(2, 42, 50, 51), applicant)
    assert not review.in_conflict(kin(2, None, None, None), applicant)


def test_declaring_a_conflict_hands_the_application_to_another_reviewer(
    client, call, officer, jurors, awa, django_capture_on_commit_callbacks
):
    seat(call, officer, jurors)
    application = submit(awa, call, django_capture_on_commit_callbacks)
    close(call)
    application.refresh_from_db()
    first = reviewers_of(application)
    assert len(first) == 2
    [left_out] = {j.pk for j in jurors} - first
    recusing = next(j for j in jurors if j.pk in first)
    mine = application.reviews.get(reviewer__account=recusing)

    web(client, recusing)
    response = client.post(
        reverse("calls:jury_review_conflict", args=[mine.pk]),
        {"conflict-reason": "C'est la fille d'un voisin."},
    )
    assert response.status_code == 302
    assert reviewers_of(application) == (first - {recusing.pk}) | {left_out}
    mine.refresh_from_db()
    assert mine.conflict_declared_at is not None
    assert mine.conflict_reason == "C'est la fille d'un voisin."
    assert client.get(reverse("calls:jury_review", args=[mine.pk])).status_code == 404
    assert review.list_unassigned(call) == []


def test_two_totals_far_apart_bring_a_third_reviewer_and_the_two_closest_count(
    client, call, officer, jurors, awa, django_capture_on_commit_callbacks
):
    seat(call, officer, jurors)
    application = submit(awa, call, django_capture_on_commit_callbacks)
    close(call)
    application.refresh_from_db()
    first, second = application.reviews.order_by("pk")

    # Through the page: 54/60 and 36/40 make 90 on 100 (decimal comma accepted).
    web(client, first.reviewer.account)
    response = client.post(
        reverse("calls:jury_review", args=[first.pk]),
        {"marks-c_file": "54", "marks-c_motivation": "36,0", "marks-comment": "Solide."},
    )
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.total == Decimal("90.00")
    # Submitted once: a second submission is refused.
    with pytest.raises(JamanaError) as refused:
        review.check_submit_review(
            account=first.reviewer.account,
            review_id=first.pk,
            marks={"file": "10", "motivation": "10"},
        )
    assert refused.value.code == "already_submitted"

    blind = review.check_submit_review(
        account=second.reviewer.account,
        review_id=second.pk,
        marks={"file": Decimal("24"), "motivation": "16"},
    )
    assert blind.total == Decimal("40.00") and blind.submitted
    application.refresh_from_db()
    assert application.review_score is None  # 90 and 40: more than 20 points apart
    third = application.reviews.get(is_arbitration=True)
    assert third.reviewer.account_id not in {first.reviewer.account_id, second.reviewer.account_id}

    review.check_submit_review(
        account=third.reviewer.account,
        review_id=third.pk,
        marks={"file": "48", "motivation": "32"},
    )
    application.refresh_from_db()
    assert application.review_score == Decimal("85.00")  # (90 + 80) / 2; 40 set aside


def test_marks_outside_the_range_or_without_every_criterion_are_refused(
    call, officer, jurors, awa, django_capture_on_commit_callbacks
):
    seat(call, officer, jurors[:2])
    application = submit(awa, call, django_capture_on_commit_callbacks)
    close(call)
    mine = Review.objects.get(application=application, reviewer__account=jurors[0])
    for marks, code in (
        ({"file": "61", "motivation": "20"}, "invalid_mark"),
        ({"file": "12.345", "motivation": "20"}, "invalid_mark"),
        ({"file": "12"}, "mark_required"),
        ({"file": "12", "motivation": "3", "bonus": "5"}, "unknown_criterion"),
    ):
        with pytest.raises(JamanaError) as refused:
            review.check_submit_review(account=jurors[0], review_id=mine.pk, marks=marks)
        assert refused.value.code == code
    mine.refresh_from_db()
    assert mine.submitted_at is None and mine.total is None
    # Another juror's review is not found, not "forbidden".
    with pytest.raises(NotFound):
        review.check_submit_review(
            account=jurors[1], review_id=mine.pk, marks={"file": "1", "motivation": "1"}
        )


def test_exam_marks_by_candidate_number_all_or_nothing(
    client, call, officer, jurors, awa, keys, courts, django_capture_on_commit_callbacks
):
    seat(call, officer, jurors[:2])
    first = submit(awa, call, django_capture_on_commit_callbacks)
    second = submit(candidate(2), call, django_capture_on_commit_callbacks)
    low = submit(candidate(3), call, django_capture_on_commit_callbacks, diploma_level="bac")
    close(call)
    for application in (first, second, low):
        application.refresh_from_db()
    a, b, out = first.candidate_number, second.candidate_number, low.candidate_number

    web(client, officer)
    page = reverse("calls:agent_call_marks", args=[call.code])
    response = client.post(
        page,
        {
            "marks-subject": "culture",
            "marks-lines": f"{a};12,5\n{b};21\n999;10\n{a};11\n{out};9\nnonsense",
        },
    )
    html = response.content.decode()
    for line in (2, 3, 4, 5, 6):
        assert f"Line {line}:" in html
    assert "Line 1:" not in html
    assert not ExamMark.objects.exists()

    response = client.post(page, {"marks-subject": "culture", "marks-lines": f"{a};12,5\n{b}\t9"})
    assert response.status_code == 302
    marks = dict(ExamMark.objects.values_list("candidate_number", "mark"))
    assert marks == {a: Decimal("12.50"), b: Decimal("9.00")}

    # Entered again: replaced, the audit trail keeps the old value.
    assert (
        review.check_enter_exam_marks(
            agent=officer, call=call, subject="culture", lines=f"{a},13.75"
        )
        == 1
    )
    assert ExamMark.objects.get(candidate_number=a).mark == Decimal("13.75")
    replaced = AuditEvent.objects.get(action="call.exam_mark_replaced")
    assert replaced.detail["old"] == "12.50" and replaced.detail["new"] == "13.75"
    with pytest.raises(JamanaError) as refused:
        review.check_enter_exam_marks(agent=officer, call=call, subject="maths", lines=f"{a};1")
    assert refused.value.code == "unknown_subject"
    # A juror is not an officer.
    web(client, jurors[0])
    assert client.get(page).status_code == 404


def test_closing_one_second_after_closes_at_numbers_sets_aside_and_leaves_undecided(
    client, call, officer, jurors, awa, keys, courts, django_capture_on_commit_callbacks
):
    seat(call, officer, jurors[:2])
    eligible = submit(awa, call, django_capture_on_commit_callbacks)
    below = submit(candidate(4), call, django_capture_on_commit_callbacks, diploma_level="bac")
    pending = submit(candidate(5), call, django_capture_on_commit_callbacks, scan=False)
    draft = actions.check_start_application(account=candidate(6), call=call, post_code="ADM")

    with time_machine.travel(call.closes_at, tick=False):
        assert review.do_close_due_calls() == 0  # the closing second still takes applications
    with time_machine.travel(call.closes_at + SECOND, tick=False):
        call_command("calls_close")
        assert review.do_close_due_calls() == 0  # once only
    call.refresh_from_db()
    assert call.status == CallStatus.IN_REVIEW
    assert call.closed_at == call.closes_at + SECOND

    for application in (eligible, below, pending, draft):
        application.refresh_from_db()
    numbered = [eligible, below, pending]
    assert sorted(a.candidate_number for a in numbered) == [1, 2, 3]
    assert len({a.pseudonym for a in numbered}) == 3
    assert draft.status == ApplicationStatus.DRAFT and draft.candidate_number is None

    assert below.status == ApplicationStatus.INELIGIBLE
    assert below.decided_at == call.closed_at
    failing = next(c for c in below.eligibility if c["code"] == "diploma")
    with translation.override("fr"):
        assert below.outcome_reason == describe(failing)

    assert eligible.status == ApplicationStatus.SUBMITTED and eligible.eligible is True
    assert len(reviewers_of(eligible)) == 2
    assert pending.status == ApplicationStatus.SUBMITTED and pending.eligible is None
    assert not pending.reviews.exists()

    # The officer opens the undecided application (a read the applicant sees) and decides.
    web(client, officer)
    overview = client.get(reverse("calls:agent_call_review", args=[call.code])).content.decode()
    assert format_reference(pending.reference) in overview
    assert format_reference(eligible.reference) not in overview
    page = reverse("calls:agent_call_eligibility", args=[call.code, pending.reference])
    assert "Fatoumata5" in client.get(page).content.decode()
    assert AccessEvent.objects.filter(
        person=pending.person,
        actor=officer,
        purpose=f"Vérification de l'éligibilité — {call.code}",
    ).exists()
    refused = client.post(page, {"decision-decision": "eligible", "decision-reason": ""})
    assert refused.status_code == 400
    client.post(
        page,
        {"decision-decision": "eligible", "decision-reason": "Projet vérifié à la main."},
    )
    pending.refresh_from_db()
    assert pending.eligible is True and len(reviewers_of(pending)) == 2
    decided = AuditEvent.objects.get(
        action="application.eligibility_decided", object_ref=pending.reference
    )
    assert decided.actor == officer and decided.detail["reason"] == "Projet vérifié à la main."


def test_reviews_wait_for_enough_declared_reviewers_then_are_balanced(
    call, officer, jurors, awa, keys, courts, django_capture_on_commit_callbacks
):
    seat(call, officer, jurors[:1])
    seat(call, officer, jurors[1:], declare=False)
    applications = [submit(awa, call, django_capture_on_commit_callbacks)] + [
        submit(candidate(n), call, django_capture_on_commit_callbacks) for n in (7, 8)
    ]
    close(call)
    assert not Review.objects.exists()  # one declared reviewer: not enough for two each
    with pytest.raises(JamanaError) as refused:
        review.check_assign_reviews(agent=officer, call=call)
    assert refused.value.code == "not_enough_reviewers"

    review.check_declare_no_conflict(account=jurors[1], call=call, declaration="Sur l'honneur.")
    for application in applications:
        assert len(reviewers_of(application)) == 2
    # Declared afterwards: the third reviewer takes no review already given (kept as they are).
    review.check_declare_no_conflict(account=jurors[2], call=call, declaration="Sur l'honneur.")
    assert Review.objects.count() == 6
    assert review.check_assign_reviews(agent=officer, call=call) == 0
    assert not Review.objects.filter(reviewer__account=jurors[2]).exists()


def test_reviews_are_spread_evenly_and_the_review_list_is_one_query_whatever_its_length(
    client,
    call,
    officer,
    jurors,
    awa,
    keys,
    courts,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    seat(call, officer, jurors)
    applications = [
        submit(account, call, django_capture_on_commit_callbacks)
        for account in (awa, candidate(10), candidate(11))
    ]
    close(call)
    loads = Counter(Review.objects.values_list("reviewer__account_id", flat=True))
    assert loads == {juror.pk: 2 for juror in jurors}

    web(client, jurors[0])
    # Session, account, the seat and its role (twice), the reviews, their project files,
    # the session save: the same for two reviews or two hundred.
    with django_assert_max_num_queries(12):
        html = client.get(reverse("calls:jury_call", args=[call.code])).content.decode()
    pseudonyms = Application.objects.filter(
        pk__in=[a.pk for a in applications], reviews__reviewer__account=jurors[0]
    ).values_list("pseudonym", flat=True)
    assert len(pseudonyms) == 2
    assert all(pseudonym in html for pseudonym in pseudonyms)
