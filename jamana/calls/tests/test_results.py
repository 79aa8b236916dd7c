"""Results of a call: the jury president makes the ranking final (per post, with the published
tie-break rules and a waiting list), reveals the identities (audited), the results are
published with one SMS per applicant in their language, and an applicant may appeal through
the one request lifecycle within the appeal window — not one second later.

The scenario: one post of 1 seat (so a waiting list of 1). Moussa (born 7 June 1995) and Awa
(born 3 February 1998) tie on every mark: the older, Moussa, comes first and Awa waits.
Ibrahim has the same marks and is the oldest, but his date of birth is known only to the year
("né vers"): it counts as unknown in the tie-break, so he comes third, beyond the seats and
the waiting list (and the officer had to decide his eligibility: 40 or 41 on the reference
date). Moussa reads Bambara, Ibrahim English.

Each applicant signs their application for real (personal certificate, CAdES), which is what
makes these tests slow: the scenarios are few and each checks a whole step."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from jamana.audit.models import AccessEvent, AuditEvent
from jamana.calls import publishing, ranking, results, review
from jamana.calls.models import ApplicationStatus, CallStatus, JuryRole
from jamana.calls.tests.conftest import apply_and_submit, make_applicant, register_birth
from jamana.core.errors import JamanaError
from jamana.identity.models import Role
from jamana.notify.models import OutboundMessage
from jamana.procedures.actions import check_decide_request, do_upsert_service
from jamana.procedures.models import RequestStatus, ServiceRequest
from jamana.testing import make_agent, make_call

pytestmark = pytest.mark.django_db

S = ApplicationStatus
# Mid-year, so that a birth year alone does not always settle the age.
AGE_REFERENCE = dt.date(dt.date.today().year, 6, 30)
# (file on 60, motivation on 40) from each reviewer, and the exam mark on 20: 70/100 each.
MARKS = {"moussa": ((42, 28), "14"), "awa": ((42, 28), "14"), "ibrahim": ((42, 28), "14")}
GROUNDS = "Ma copie de culture générale a été mal corrigée, je demande une seconde lecture."
OFFICER_FOUND_ELIGIBLE = "Jugement supplétif : né le 2 juillet, 40 ans à la date de référence."
OFFICER_FOUND_TOO_OLD = "Jugement supplétif : né en mars, 41 ans à la date de référence."


@pytest.fixture
def call(body, officer, jurors):
    call = make_call(
        organisation=body,
        agent=officer,
        code="FP-2026-RES",
        posts=[("ADM", 1, "licence")],
        nationality_required=False,
        required_documents=["birth_act", "criminal_record_b3"],
        pass_mark=Decimal("40"),
        appeal_days=15,
        age_reference_date=AGE_REFERENCE,
    )
    roles = (JuryRole.REVIEWER, JuryRole.REVIEWER, JuryRole.PRESIDENT)
    for juror, role in zip(jurors, roles, strict=True):
        publishing.check_add_jury_member(agent=officer, call=call, account=juror, role=role)
    return call


@pytest.fixture
def president(jurors):
    return jurors[2]


def _applicant(*, phone, nina, given_names, family_name, birth_date, number, language="fr"):
    account = make_applicant(
        phone=phone,
        nina=nina,
        given_names=given_names,
        family_name=family_name,
        sex="M" if given_names in ("Moussa", "Ibrahim") else "F",
        birth_date=birth_date,
    )
    account.language = language
    account.save(update_fields=["language"])
    register_birth(account, number=number)
    return account


@pytest.fixture
def applicants(courts, keys):
    moussa = _applicant(
        phone="+22376100002",
        nina="19950607000102B",
        given_names="Moussa",
        family_name="Keïta",
        birth_date=dt.date(1995, 6, 7),
        number=102,
        language="bm",
    )
    awa = _applicant(
        phone="+22376100001",
        nina="19980203000101A",
        given_names="Awa",
        family_name="Diallo",
        birth_date=dt.date(1998, 2, 3),
        number=101,
    )
    ibrahim = _applicant(
        phone="+22376100004",
        nina="19900101000104D",
        given_names="Ibrahim",
        family_name="Touré",
        birth_date=dt.date(AGE_REFERENCE.year - 41, 1, 1),
        number=104,
        language="en",
    )
    # "Né vers" that year in the register: 40 or 41 on the reference date.
    person = ibrahim.person
    person.birth_date_precision = "year"
    person.save(update_fields=["birth_date_precision"])
    return {"moussa": moussa, "awa": awa, "ibrahim": ibrahim}


@pytest.fixture
def closed(call, applicants, jurors, time_machine):
    """Everyone applied; the call closed; the jury declared (so the reviews are assigned)."""
    apps = {name: apply_and_submit(account, call) for name, account in applicants.items()}
    time_machine.move_to(call.closes_at + dt.timedelta(minutes=1), tick=False)
    review.do_close_call(call)
    for juror in jurors:
        review.check_declare_no_conflict(
            account=juror, call=call, declaration="Je me récuserai en cas de conflit."
        )
    _refresh(call, apps)
    return apps


def _refresh(call, apps) -> None:
    call.refresh_from_db()
    for application in apps.values():
        application.refresh_from_db()


def _review_and_mark(call, apps, officer, jurors, *, ibrahim_eligible: bool = True) -> None:
    """The officer settles Ibrahim's eligibility, both reviewers mark every file, the officer
    enters the exam marks by candidate number."""
    assert apps["ibrahim"].eligible is None, apps["ibrahim"].eligibility
    review.check_decide_eligibility(
        agent=officer,
        application_reference=apps["ibrahim"].reference,
        eligible=ibrahim_eligible,
        reason=OFFICER_FOUND_ELIGIBLE if ibrahim_eligible else OFFICER_FOUND_TOO_OLD,
    )
    name_of = {a.pseudonym: name for name, a in apps.items()}
    for juror in jurors[:2]:
        for blind in review.list_my_reviews(juror, call):
            (file, motivation), _exam = MARKS[name_of[blind.pseudonym]]
            review.check_submit_review(
                account=juror,
                review_id=blind.id,
                marks={"file": str(file), "motivation": str(motivation)},
            )
    lines = "\n".join(
        f"{apps[name].candidate_number};{exam}"
        for name, (_review, exam) in MARKS.items()
        if ibrahim_eligible or name != "ibrahim"
    )
    review.check_enter_exam_marks(agent=officer, call=call, subject="culture", lines=lines)


@pytest.fixture
def ranked(call, closed, officer, jurors, president):
    _review_and_mark(call, closed, officer, jurors)
    results.check_finalise_ranking(account=president, call=call)
    _refresh(call, closed)
    return closed


@pytest.fixture
def published(call, ranked, president):
    results.check_reveal_identities(account=president, call=call)
    results.check_publish_results(account=president, call=call)
    _refresh(call, ranked)
    return ranked


@pytest.fixture
def appeal_service(body):
    return do_upsert_service(
        code=results.APPEAL_SERVICE,
        organisation=body,
        fee_xof=0,
        target_delay_days=15,
        title_fr="Recours contre un résultat de concours",
        title_bm="Kɔnkuru jaabi sɔsɔli",
        title_en="Appeal against a competition result",
        description_fr="Recours",
        description_bm="Sɔsɔli",
        description_en="Appeal",
    )


def _names(account) -> list[str]:
    return [account.person.given_names, account.person.family_name]


def _code(call_) -> str:
    with pytest.raises(JamanaError) as refused:
        call_()
    return refused.value.code


# ---------------------------------------------------------------------------- finalise


def test_only_the_president_finalises_and_only_once_reviews_and_eligibility_are_decided(
    client, call, closed, officer, jurors, president
):
    with pytest.raises(JamanaError) as refused:
        results.check_finalise_ranking(account=president, call=call)
    assert refused.value.code == "ranking_not_ready"
    # Two eligible applications without a review score; Ibrahim's eligibility undecided.
    assert refused.value.params == {"unscored": 2, "undecided": 1}
    _review_and_mark(call, closed, officer, jurors)
    for someone in (officer, jurors[0]):
        with pytest.raises(JamanaError) as refused:
            results.check_finalise_ranking(account=someone, call=call)
        assert refused.value.code == "not_jury_president"
    call.refresh_from_db()
    assert call.status == CallStatus.IN_REVIEW
    client.force_login(president)
    response = client.post(reverse("calls:ranking_finalise", args=[call.code]))
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.status == CallStatus.RANKED and call.ranked_at is not None
    assert _code(lambda: results.check_finalise_ranking(account=president, call=call)) == (
        "call_not_in_review"
    )


def test_a_tie_is_broken_by_the_published_rules_and_the_waiting_list_follows_the_seats(
    call, ranked
):
    moussa, awa, ibrahim = ranked["moussa"], ranked["awa"], ranked["ibrahim"]
    for application in (moussa, awa, ibrahim):
        assert application.review_score == Decimal("70.00")
        assert application.exam_score == Decimal("70.00")
        assert application.total_score == Decimal("70.00")
        assert application.decided_at is not None
    # Equal totals, exams and reviews: the older first. Ibrahim's "né vers" year is not a date
    # to the day: it counts as unknown, after both, though he is the oldest.
    assert (moussa.rank, moussa.status, moussa.outcome_reason) == (1, S.ADMITTED, "")
    assert (awa.rank, awa.status, awa.outcome_reason) == (2, S.WAITING_LIST, "")
    assert (ibrahim.rank, ibrahim.status) == (3, S.NOT_ADMITTED)
    assert ibrahim.outcome_reason == results.reason_text(
        "beyond_seats", call=call, rank=3, language="fr"
    )
    # The draw seed is fixed by the marks: anyone with them computes the same, and the
    # ranking as decided is in the audit trail.
    event = AuditEvent.objects.get(action="call.ranking_finalised", object_ref=call.code)
    expected = results.draw_seed(
        call.code, [(a.candidate_number, a.total_score) for a in ranked.values()]
    )
    assert event.detail["draw_seed"] == expected == results.published_draw_seed(call)
    assert event.detail["posts"]["ADM"]["placements"] == [
        [moussa.candidate_number, 1, ranking.ADMITTED, ""],
        [awa.candidate_number, 2, ranking.WAITING, ""],
        [ibrahim.candidate_number, 3, ranking.NOT_ADMITTED, "beyond_seats"],
    ]


def test_the_translatable_tie_break_rules_are_the_pure_rules_word_for_word():
    with translation.override("en"):
        assert tuple(str(text) for text in results.TIE_BREAK_TEXTS) == ranking.TIE_BREAK_RULES


# ---------------------------------------------------------------------------- reveal


def test_names_appear_on_the_ranking_page_only_after_the_audited_reveal(
    client, call, ranked, president, officer, jurors, applicants
):
    page = reverse("calls:ranking", args=[call.code])
    for viewer in (president, officer):
        client.force_login(viewer)
        html = client.get(page).content.decode()
        assert f"<td>{ranked['moussa'].candidate_number}</td>" in html
        for account in applicants.values():
            for name in _names(account):
                assert name not in html
    # A reviewer or an applicant does not get the page at all.
    for someone in (jurors[0], applicants["awa"]):
        client.force_login(someone)
        assert client.get(page).status_code == 404
    assert _code(lambda: results.check_reveal_identities(account=officer, call=call)) == (
        "not_jury_president"
    )
    assert _code(lambda: results.check_publish_results(account=officer, call=call)) == (
        "identities_not_revealed"
    )

    client.force_login(president)
    assert client.post(reverse("calls:ranking_reveal", args=[call.code])).status_code == 302
    call.refresh_from_db()
    assert call.revealed_at is not None
    event = AuditEvent.objects.get(action="call.identities_revealed", object_ref=call.code)
    assert event.actor_id == president.pk and event.detail == {"applications": 3}
    # Each candidate sees the reveal in "who accessed my data".
    for account in applicants.values():
        assert AccessEvent.objects.filter(person=account.person, actor=president).exists()
    client.force_login(officer)
    html = client.get(page).content.decode()
    for account in applicants.values():
        for name in _names(account):
            assert name in html
    # Revealing again records nothing more.
    results.check_reveal_identities(account=president, call=call)
    assert AuditEvent.objects.filter(action="call.identities_revealed").count() == 1


# ---------------------------------------------------------------------------- publish


def test_publishing_tells_each_applicant_once_in_their_language_with_the_reason(
    client, call, ranked, president, officer, applicants
):
    page = reverse("calls:results", args=[call.code])
    results.check_reveal_identities(account=president, call=call)
    assert applicants["moussa"].person.family_name not in client.get(page).content.decode()
    before = OutboundMessage.objects.count()
    assert results.check_publish_results(account=officer, call=call) == 3
    call.refresh_from_db()
    assert call.status == CallStatus.RESULTS_PUBLISHED and call.results_published_at
    for name, account in applicants.items():
        sms = OutboundMessage.objects.filter(recipient=account.phone).order_by("-pk").first()
        assert sms.language == account.language
        assert sms.body == results.result_sms(
            ranked[name], call=call, reason_code="beyond_seats" if name == "ibrahim" else ""
        )
    # Moussa reads Bambara: his admission in the Bambara catalogue's words.
    moussa = OutboundMessage.objects.filter(recipient=applicants["moussa"].phone).last()
    with translation.override("bm"):
        admitted = gettext("Jamana %(call)s: you are admitted (%(post)s), rank %(rank)s.")
    assert moussa.body.startswith(admitted % {"call": call.code, "post": "ADM", "rank": 1})
    # Ibrahim reads English and is not admitted: the reason is there, in English.
    ibrahim = OutboundMessage.objects.filter(recipient=applicants["ibrahim"].phone).last()
    with translation.override("en"):
        reason = str(results.REASON_TEXTS["beyond_seats"] % {"rank": 3})
        assert gettext("Reason: %(reason)s") % {"reason": reason} in ibrahim.body
    assert OutboundMessage.objects.count() == before + 3
    # Publishing again sends nothing more.
    assert results.check_publish_results(account=president, call=call) == 0
    assert OutboundMessage.objects.count() == before + 3
    assert AuditEvent.objects.filter(action="call.results_published").count() == 1
    # The public page: the admitted and the waiting list by name, the rules and the seed.
    html = client.get(page).content.decode()
    assert applicants["moussa"].person.full_name in html
    assert applicants["awa"].person.full_name in html
    assert applicants["ibrahim"].person.full_name not in html
    assert results.published_draw_seed(call) in html


def test_an_applicant_set_aside_as_ineligible_is_told_with_the_reason(
    call, closed, officer, jurors, president, applicants
):
    _review_and_mark(call, closed, officer, jurors, ibrahim_eligible=False)
    assert results.check_finalise_ranking(account=president, call=call) == {
        "admitted": 1,
        "waiting": 1,
        "not_admitted": 0,
    }
    results.check_reveal_identities(account=president, call=call)
    results.check_publish_results(account=officer, call=call)
    sms = OutboundMessage.objects.filter(recipient=applicants["ibrahim"].phone).last()
    with translation.override("en"):
        told = gettext("Jamana %(call)s: your application was not eligible.")
    assert sms.body.startswith(told % {"call": call.code})
    assert OFFICER_FOUND_TOO_OLD in sms.body


def test_an_applicant_sees_their_own_marks_once_published_with_the_appeal_form(
    call, ranked, president, appeal_service
):
    awa = ranked["awa"]
    assert results.my_result(awa) == {"published": False}
    results.check_reveal_identities(account=president, call=call)
    results.check_publish_results(account=president, call=call)
    awa.refresh_from_db()
    result = results.my_result(awa)
    assert result["published"] and result["can_appeal"]
    assert (result["status"], result["rank"]) == (S.WAITING_LIST, 2)
    assert result["review_score"] == result["total_score"] == Decimal("70.00")
    assert [(m["code"], m["mark"]) for m in result["exam_marks"]] == [("culture", Decimal("14.00"))]
    html = render_to_string("calls/_my_result.html", {"application": awa, "result": result})
    assert reverse("calls:appeal", args=[awa.reference]) in html
    assert "14.00/20" in html or "14,00/20" in html


# ---------------------------------------------------------------------------- appeals


def test_an_appeal_in_the_window_is_a_request_in_the_lifecycle_and_one_second_late_is_refused(
    client, call, ranked, president, applicants, appeal_service, time_machine
):
    awa, ibrahim = ranked["awa"], ranked["ibrahim"]
    ibrahim_account = applicants["ibrahim"]

    def appeal(account, application, grounds=GROUNDS):
        return results.check_file_appeal(
            account=account, reference=application.reference, grounds=grounds
        )

    assert _code(lambda: appeal(ibrahim_account, ibrahim)) == "results_not_published"
    results.check_reveal_identities(account=president, call=call)
    results.check_publish_results(account=president, call=call)
    call.refresh_from_db()
    assert _code(lambda: appeal(ibrahim_account, ibrahim, "Injuste.")) == "grounds_required"
    assert _code(lambda: appeal(applicants["moussa"], awa)) == "application_not_found"

    deadline = results.appeal_deadline(call)
    assert deadline == call.results_published_at + dt.timedelta(days=15)
    time_machine.move_to(deadline, tick=False)  # the last second still counts
    client.force_login(ibrahim_account)
    response = client.post(reverse("calls:appeal", args=[ibrahim.reference]), {"grounds": GROUNDS})
    assert response.status_code == 302
    filed = ServiceRequest.objects.get(service__code=results.APPEAL_SERVICE)
    assert filed.status == RequestStatus.IN_REVIEW  # free: straight to the officer's queue
    assert filed.organisation_id == call.organisation_id
    assert filed.applicant_id == ibrahim_account.person_id
    assert filed.details == {
        "application": ibrahim.reference,
        "call": call.code,
        "grounds": GROUNDS,
    }
    assert _code(lambda: appeal(ibrahim_account, ibrahim)) == "appeal_already_open"

    time_machine.move_to(deadline + dt.timedelta(seconds=1), tick=False)
    assert _code(lambda: appeal(applicants["awa"], awa)) == "appeal_window_closed"
    assert ServiceRequest.objects.filter(service__code=results.APPEAL_SERVICE).count() == 1
    assert results.my_result(awa)["can_appeal"] is False


def test_an_outcome_is_amended_only_after_the_appeal_is_granted(
    client, call, published, applicants, appeal_service, officer
):
    ibrahim = published["ibrahim"]
    account = applicants["ibrahim"]
    filed = results.check_file_appeal(account=account, reference=ibrahim.reference, grounds=GROUNDS)

    def amend(agent, status=S.WAITING_LIST, reason="Erreur de report de note."):
        return results.check_amend_outcome(
            agent=agent, appeal_reference=filed.reference, status=status, reason=reason
        )

    assert _code(lambda: amend(officer)) == "appeal_not_granted"
    # The officer grants it in the procedures queue; the lifecycle tells the applicant.
    check_decide_request(agent=officer, reference=filed.reference, grant=True)
    ibrahim.refresh_from_db()
    assert ibrahim.status == S.NOT_ADMITTED  # a granted appeal changes nothing by itself
    # An agent of the body without MANAGE_CALLS does not even find the appeal.
    reviewer = make_agent(
        organisation=call.organisation,
        role=Role.REVIEWER,
        phone="+22376000099",
        nina="19700101000099F",
        extra_roles=(),
    )
    assert _code(lambda: amend(reviewer)) == "appeal_not_found"

    before = OutboundMessage.objects.filter(recipient=account.phone).count()
    client.force_login(officer)
    response = client.post(
        reverse("calls:appeal_amend", args=[call.code, filed.reference]),
        {
            f"{filed.reference}-status": S.WAITING_LIST,
            f"{filed.reference}-reason": "Date de naissance confirmée par jugement.",
        },
    )
    assert response.status_code == 302
    ibrahim.refresh_from_db()
    assert ibrahim.status == S.WAITING_LIST
    assert ibrahim.outcome_reason == "Date de naissance confirmée par jugement."
    event = AuditEvent.objects.get(action="application.outcome_amended")
    assert event.actor_id == officer.pk and event.detail["appeal"] == filed.reference
    assert event.detail["old"]["status"] == S.NOT_ADMITTED
    assert event.detail["new"]["status"] == S.WAITING_LIST
    assert OutboundMessage.objects.filter(recipient=account.phone).count() == before + 1
    assert _code(lambda: amend(officer, S.ADMITTED)) == "already_amended"
    # The public list now shows him on the waiting list.
    html = client.get(reverse("calls:results", args=[call.code])).content.decode()
    assert account.person.full_name in html
