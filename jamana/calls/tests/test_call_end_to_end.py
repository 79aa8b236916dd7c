"""The issue's whole journey on the web pages: a call opens; applicants apply (documents
fetched with consent, diploma scanned, signed with their personal signature); one checks by
USSD; the call closes — an application one second late is refused; reviewers score blind on
the jury pages (no name, NINA, phone, birth place or parents anywhere in them); the exam
marks are entered by candidate number; the president finalises, reveals (audited) and
publishes; every applicant gets one SMS; the equal-treatment report is published."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from django.urls import reverse
from django.utils import timezone

from jamana.audit.models import AuditEvent
from jamana.calls import actions, publishing, review
from jamana.calls.models import Application, ApplicationStatus, CallStatus, JuryRole
from jamana.calls.tests.conftest import apply_and_submit, make_applicant, register_birth
from jamana.core.errors import JamanaError
from jamana.core.references import format_reference
from jamana.notify.models import OutboundMessage
from jamana.testing import PASSWORD, make_call

pytestmark = pytest.mark.django_db


def _phone(client, settings, account):
    from jamana.ussd.actions import check_set_pin
    from jamana.ussd.tests.conftest import SECRET, Phone

    settings.USSD_GATEWAY_SECRET = SECRET
    settings.USSD_GATEWAY_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    check_set_pin(account=account, password=PASSWORD, pin="4826", pin_again="4826")
    return Phone(client, account.phone)


def test_call_from_publication_to_results(
    client, settings, body, officer, jurors, awa, moussa, time_machine,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    closes = timezone.now() + dt.timedelta(days=3)
    call = make_call(
        organisation=body,
        agent=officer,
        code="FP-2026-E2E",
        closes_at=closes,
        posts=[("ADM", 1, "licence")],
        questions=[
            {
                "code": "motivation",
                "label": {"fr": "Motivation", "bm": "Sababu", "en": "Motivation"},
                "required": True,
                "max_length": 500,
            }
        ],
    )
    for juror, role in zip(
        jurors, (JuryRole.REVIEWER, JuryRole.REVIEWER, JuryRole.PRESIDENT), strict=True
    ):
        publishing.check_add_jury_member(agent=officer, call=call, account=juror, role=role)
    # Moussa gets his certificate of nationality the usual way, then both apply.
    from jamana.calls.tests.conftest import grant_nationality
    from jamana.identity.models import Organisation, Role
    from jamana.justice.tests.conftest import make_clerk

    court = Organisation.objects.get(code="ML-TGI-BKO-C3")
    grant_nationality(
        moussa,
        None,
        make_clerk(court, phone="+22376000172", nina="19700101000172B", role=Role.COUNTER_AGENT),
        make_clerk(court, phone="+22376000173", nina="19700101000173C", role=Role.MAGISTRATE),
    )
    awa_app = apply_and_submit(awa, call, capture=django_capture_on_commit_callbacks)
    moussa_app = apply_and_submit(moussa, call, capture=django_capture_on_commit_callbacks)
    assert awa_app.eligible is True and moussa_app.eligible is True
    # A third applicant starts too late: ready to sign, but the closing second has passed.
    late = make_applicant(
        phone="+22376100007",
        nina="19960101000107G",
        given_names="Oumar",
        family_name="Sidibé",
        sex="M",
        birth_date=dt.date(1996, 1, 1),
    )
    register_birth(late, number=107)
    late_app = actions.check_start_application(account=late, call=call, post_code="ADM")
    # Awa checks her application by USSD.
    awa.language = "en"
    awa.save(update_fields=["language"])
    phone = _phone(client, settings, awa)
    phone.dial()
    phone.send("6")
    assert "Submitted" in phone.send("4826")

    time_machine.move_to(closes + dt.timedelta(seconds=1), tick=False)
    with pytest.raises(JamanaError) as refused:
        actions.check_start_signing(account=late, reference=late_app.reference)
    assert refused.value.code == "call_closed"
    assert review.do_close_due_calls() == 1
    call.refresh_from_db()
    assert call.status == CallStatus.IN_REVIEW
    late_app.refresh_from_db()
    assert late_app.status == ApplicationStatus.DRAFT and late_app.candidate_number is None

    # The jury declares and reviews on its pages; nothing there reveals who applied.
    secrets = []
    for account in (awa, moussa):
        person = account.person
        secrets += [
            person.given_names, person.family_name, account.phone, "Moussa Traoré",
            "Kadiatou Diarra", "19980203000101A", "19950607000102B", "Commune III",
        ]  # fmt: skip
    for juror in jurors:
        client.force_login(juror)
        client.post(
            reverse("calls:jury_declare", args=[call.code]),
            {f"declaration-{call.code}-declaration": "Je me récuserai en cas de conflit."},
        )
    for juror, marks in ((jurors[0], ("50", "30")), (jurors[1], ("48", "32"))):
        client.force_login(juror)
        for blind in review.list_my_reviews(juror, call):
            page = client.get(reverse("calls:jury_review", args=[blind.id])).content.decode()
            assert blind.pseudonym in page
            for secret in secrets:
                assert secret not in page, secret
            client.post(
                reverse("calls:jury_review", args=[blind.id]),
                {"marks-c_file": marks[0], "marks-c_motivation": marks[1]},
            )
        # The applicant's own page stays closed to a juror.
        assert client.get(reverse("calls:application", args=[awa_app.reference])).status_code == 404
    # Exam marks by candidate number: Awa 16/20, Moussa 12/20.
    awa_app.refresh_from_db()
    moussa_app.refresh_from_db()
    assert awa_app.review_score is not None and moussa_app.review_score is not None
    client.force_login(officer)
    client.post(
        reverse("calls:agent_call_marks", args=[call.code]),
        {
            "marks-subject": "culture",
            "marks-lines": f"{awa_app.candidate_number};16\n{moussa_app.candidate_number};12",
        },
    )
    # The president finalises; names appear only after the audited reveal.
    president = jurors[2]
    client.force_login(president)
    client.post(reverse("calls:ranking_finalise", args=[call.code]))
    ranking_page = client.get(reverse("calls:ranking", args=[call.code])).content.decode()
    assert "Diallo" not in ranking_page and "Keïta" not in ranking_page
    client.post(reverse("calls:ranking_reveal", args=[call.code]))
    assert AuditEvent.objects.filter(
        action="call.identities_revealed", actor=president, object_ref=call.code
    ).exists()
    ranking_page = client.get(reverse("calls:ranking", args=[call.code])).content.decode()
    assert "Diallo" in ranking_page
    before = OutboundMessage.objects.count()
    client.post(reverse("calls:results_publish", args=[call.code]))
    results_sms = OutboundMessage.objects.order_by("pk")[before:]
    assert sorted(m.recipient for m in results_sms) == sorted([awa.phone, moussa.phone])
    awa_app.refresh_from_db()
    moussa_app.refresh_from_db()
    assert (awa_app.status, awa_app.rank) == (ApplicationStatus.ADMITTED, 1)
    assert moussa_app.status == ApplicationStatus.WAITING_LIST
    # Public results and the equal-treatment report; Awa's USSD now gives her rank.
    client.logout()
    public = client.get(reverse("calls:results", args=[call.code])).content.decode()
    assert "Diallo" in public and format_reference(awa_app.reference) not in public
    assert client.get(reverse("calls:report", args=[call.code])).status_code == 200
    phone.dial()
    phone.send("6")
    assert "(1)" in phone.send("4826")
    assert Application.objects.filter(call=call, status=ApplicationStatus.SUBMITTED).count() == 0
