"""The casier judiciaire end to end: a clean casier gives a bulletin n°3 within the request, a
casier the rules cannot decide alone goes to the greffe's queue, only the competent greffe
writes in a casier, bulletin n°2 goes to administrations with a legal basis, and the
certificate of nationality is decided with the birth act from the état civil."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from jamana.audit.models import AccessEvent
from jamana.core.errors import JamanaError, NotFound
from jamana.documents.actions import read_document_file
from jamana.documents.models import Document
from jamana.documents.verification import Verdict, verify_pdf
from jamana.identity.actions import do_register_person
from jamana.justice.actions import (
    ConvictionInput,
    JusticeError,
    SentenceInput,
    check_change_bulletin_rule,
    check_record_conviction,
    check_record_event,
)
from jamana.justice.casier import NoCompetentCourt, competent_court, compute_bulletin
from jamana.justice.queries import get_bulletin_2_for_administration
from jamana.justice.requests import check_request_bulletin
from jamana.notify.models import OutboundMessage
from jamana.procedures.actions import check_record_counter_payment
from jamana.procedures.models import RequestStatus
from jamana.testing import make_organisation

BACKEND = "jamana.identity.backends.AccountBackend"
pytestmark = pytest.mark.django_db


def _conviction(court, **changes) -> ConvictionInput:
    values = dict(
        court=court,
        decided_on=dt.date(2020, 2, 3),
        decision_number="TGI-C3/2020/0099",
        offence_label="Escroquerie",
        offence_reference="Code pénal, art. 258",
        category="delit",
        sentences=(SentenceInput(kind="imprisonment", months=36),),
    )
    values.update(changes)
    return ConvictionInput(**values)  # type: ignore[arg-type]


def _pay(request, cashier, receipt, capture):
    with capture(execute=True):
        check_record_counter_payment(agent=cashier, reference=request.reference, receipt=receipt)
    request.refresh_from_db()
    return request


def test_clean_casier_gets_its_bulletin_within_the_request(
    bamako_citizen, cashier, keys, django_capture_on_commit_callbacks, client
):
    request = check_request_bulletin(account=bamako_citizen)
    assert request.status == RequestStatus.AWAITING_PAYMENT and request.fee_xof == 750
    assert request.organisation.code == "ML-TGI-BKO-C3"
    request = _pay(request, cashier, "Q-TGI-1", django_capture_on_commit_callbacks)
    assert request.status == RequestStatus.ISSUED
    document = Document.objects.get(request=request, kind="criminal_record_b3")
    assert document.expires_at is not None
    assert (document.expires_at - document.issued_at).days == 90
    pdf = read_document_file(document)
    assert verify_pdf(pdf).verdict == Verdict.VALID
    assert OutboundMessage.objects.filter(recipient=bamako_citizen.phone).exists()
    client.force_login(bamako_citizen, backend=BACKEND)
    assert client.get(f"/documents/{document.number}.pdf").status_code == 200


def test_entry_that_needs_review_goes_to_the_greffe_then_is_issued(
    bamako_citizen, courts, clerk, cashier, keys, django_capture_on_commit_callbacks, client
):
    person = bamako_citizen.person
    check_record_conviction(
        agent=clerk, person=person, conviction=_conviction(courts["c3"], final=False)
    )
    request = check_request_bulletin(account=bamako_citizen)
    request = _pay(request, cashier, "Q-TGI-2", django_capture_on_commit_callbacks)
    assert request.status == RequestStatus.IN_REVIEW  # not final: a clerk must look
    assert not Document.objects.filter(request=request).exists()

    client.force_login(clerk, backend=BACKEND)
    assert request.reference in client.get("/justice/agent/").content.decode()
    page = client.get(f"/justice/agent/requests/{request.reference}/")
    assert page.status_code == 200 and "Escroquerie" in page.content.decode()
    page = client.post(f"/justice/agent/requests/{request.reference}/")
    assert page.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.ISSUED
    document = Document.objects.get(request=request)
    assert verify_pdf(read_document_file(document)).verdict == Verdict.VALID
    assert AccessEvent.objects.filter(person=person, actor=clerk).exists()


def test_a_clerk_of_another_court_cannot_record_in_this_casier(bamako_citizen, courts, kati_clerk):
    with pytest.raises(NotFound):
        check_record_conviction(
            agent=kati_clerk, person=bamako_citizen.person, conviction=_conviction(courts["kati"])
        )
    assert compute_bulletin(bamako_citizen.person, 1, timezone.localdate()).is_blank


def test_nothing_is_edited_and_a_wrong_entry_is_cancelled_by_an_event(
    bamako_citizen, courts, clerk
):
    person = bamako_citizen.person
    entry = check_record_conviction(
        agent=clerk, person=person, conviction=_conviction(courts["c3"])
    )
    assert not compute_bulletin(person, 3, timezone.localdate()).is_blank
    with pytest.raises(ValueError, match="never edited"):
        entry.save()
    with pytest.raises(JusticeError) as no_reason:
        check_record_event(
            agent=clerk,
            conviction=entry,
            kind="cancellation",
            on=timezone.localdate(),
            reference="x",
        )
    assert no_reason.value.code == "reason_required"
    check_record_event(
        agent=clerk,
        conviction=entry,
        kind="cancellation",
        on=timezone.localdate(),
        reference="Ordonnance n° 12/2026",
        note="Homonyme : fiche portée sur le mauvais casier",
    )
    for number in (1, 2, 3):
        assert compute_bulletin(person, number, timezone.localdate()).is_blank


def test_a_person_cannot_see_another_persons_bulletin_request(
    bamako_citizen, other_citizen, client, courts
):
    request = check_request_bulletin(account=bamako_citizen)
    client.force_login(other_citizen, backend=BACKEND)
    assert client.get(f"/requests/{request.reference}/").status_code == 404
    assert client.get("/justice/agent/").status_code == 404
    assert client.get(f"/justice/agent/requests/{request.reference}/").status_code == 404


def test_bulletin_2_goes_to_an_administration_with_a_legal_basis_and_the_person_sees_it(
    bamako_citizen, courts, clerk, client
):
    person = bamako_citizen.person
    check_record_conviction(
        agent=clerk,
        person=person,
        conviction=_conviction(
            courts["c3"], sentences=(SentenceInput(kind="imprisonment", months=6),)
        ),
    )
    recruiter = make_organisation(
        code="ML-CNCFP",
        name="Centre national des concours de la fonction publique",
        kind="recruiting",
    )
    with pytest.raises(JamanaError) as no_basis:
        get_bulletin_2_for_administration(organisation=recruiter, person=person, legal_basis="")
    assert no_basis.value.code == "legal_basis_required"
    registry = make_organisation(code="ML-CEC-X", name="Centre X", kind="civil_registry")
    with pytest.raises(JamanaError):
        get_bulletin_2_for_administration(
            organisation=registry, person=person, legal_basis="Curiosité administrative"
        )
    b2 = get_bulletin_2_for_administration(
        organisation=recruiter,
        person=person,
        legal_basis="Statut général des fonctionnaires, recrutement 2026",
    )
    assert [line.offence_label for line in b2.lines] == ["Escroquerie"]
    assert compute_bulletin(person, 3, timezone.localdate()).is_blank  # 6 months: not on B3
    client.force_login(bamako_citizen, backend=BACKEND)
    page = client.get("/account/me/who-accessed/").content.decode()
    assert "Centre national des concours" in page


def test_nationality_is_decided_with_the_birth_act_from_the_civil_registry(
    bamako_citizen, courts, cashier, magistrate, keys, django_capture_on_commit_callbacks
):
    from jamana.civil.actions import (
        BirthFacts,
        ParentInput,
        RegisterEntry,
        do_record_register_act,
        do_register_centre,
    )
    from jamana.justice.requests import check_decide_nationality

    person = bamako_citizen.person
    centre = do_register_centre(
        organisation=make_organisation(code="ML-CEC-BKO-C3", name="Centre C3"), kind="principal"
    )
    do_record_register_act(
        centre=centre,
        facts=BirthFacts(
            child_given_names=person.given_names,
            child_family_name=person.family_name,
            child_sex=person.sex,
            birth_date=person.birth_date,
            birth_commune=None,
            birth_place="Bamako",
            father=ParentInput(name="Moussa Traoré"),
            mother=ParentInput(name="Kadiatou Diarra"),
        ),
        entry=RegisterEntry(year=1987, number=412, drawn_up_on=dt.date(1987, 3, 20)),
        person=person,
    )
    request = check_request_bulletin(account=bamako_citizen, service_code="justice.nationality")
    request = _pay(request, cashier, "Q-NAT-1", django_capture_on_commit_callbacks)
    assert request.status == RequestStatus.IN_REVIEW  # always a magistrate's decision
    document = check_decide_nationality(
        magistrate=magistrate, reference=request.reference, grant=True
    )
    assert document is not None and document.kind == "nationality_certificate"
    request.refresh_from_db()
    assert request.status == RequestStatus.ISSUED
    assert AccessEvent.objects.filter(
        person=person, actor=magistrate, object_type="birth_act"
    ).exists()


def test_a_magistrates_rule_change_changes_what_bulletin_3_shows(
    bamako_citizen, courts, clerk, magistrate
):
    person = bamako_citizen.person
    check_record_conviction(
        agent=clerk,
        person=person,
        conviction=_conviction(
            courts["c3"], sentences=(SentenceInput(kind="imprisonment", months=18),)
        ),
    )
    today = timezone.localdate()
    assert compute_bulletin(person, 3, today).is_blank
    with pytest.raises(NotFound):
        check_change_bulletin_rule(
            magistrate=clerk,
            organisation=courts["c3"],
            parameter="b3_min_unsuspended_imprisonment_months",
            value=12,
            reason="x",
            valid_from=today,
        )
    with pytest.raises(JusticeError):
        check_change_bulletin_rule(
            magistrate=magistrate,
            organisation=courts["c3"],
            parameter="no_such_rule",
            value=12,
            reason="Texte confirmé",
            valid_from=today,
        )
    check_change_bulletin_rule(
        magistrate=magistrate,
        organisation=courts["c3"],
        parameter="b3_min_unsuspended_imprisonment_months",
        value=12,
        reason="Article confirmé au Journal officiel",
        valid_from=today,
    )
    assert not compute_bulletin(person, 3, today).is_blank


def test_competent_court_follows_the_place_of_birth(courts):
    today = timezone.localdate()
    from jamana.core.geography import find_area

    born_bamako = do_register_person(
        given_names="A", family_name="B", sex="F", birth_commune=find_area("ML-00-05")
    )
    born_abroad = do_register_person(
        given_names="C", family_name="D", sex="M", birth_country="FR", birth_place_abroad="Paris"
    )
    unknown = do_register_person(given_names="E", family_name="F", sex="M")
    assert competent_court(born_bamako, today) == courts["c3"]
    assert competent_court(born_abroad, today) == courts["appeal"]
    with pytest.raises(NoCompetentCourt):
        competent_court(unknown, today)


def test_pdfsig_trusts_a_bulletin_3(live_pki, nss_db, tmp_path):
    """The bulletin checks out in an independent tool: poppler's pdfsig, with live OCSP."""
    from jamana.justice.bulletins import bulletin, default_rules
    from jamana.justice.requests import issue_bulletin_document
    from jamana.justice.tests.conftest import make_bamako_citizen, make_courts
    from jamana.procedures.actions import do_upsert_service
    from jamana.procedures.catalogue import CATALOGUE
    from jamana.testing import pdfsig

    courts = make_courts()
    spec = next(s for s in CATALOGUE if s["code"] == "justice.b3")
    do_upsert_service(
        code="justice.b3",
        organisation=courts["c3"],
        **{k: v for k, v in spec.items() if k not in ("code", "organisation")},
    )
    citizen = make_bamako_citizen()
    request = check_request_bulletin(account=citizen)
    result = bulletin([], 3, on=timezone.localdate(), rules=default_rules())
    document = issue_bulletin_document(request, result, actor=None)
    path = tmp_path / "b3.pdf"
    path.write_bytes(read_document_file(document))
    out = pdfsig(nss_db, path)
    assert "Signature Validation: Signature is Valid." in out, out
    assert "Certificate Validation: Certificate is Trusted." in out, out


def test_clerk_finds_a_person_by_a_spelling_variant_and_records_on_the_web(
    bamako_citizen, courts, clerk, client
):
    person = bamako_citizen.person  # Aminata Traoré, born 12 March 1987
    client.force_login(clerk, backend=BACKEND)
    found = client.get(
        "/justice/agent/", {"family_name": "Tarawele", "given_names": "Aminata", "birth_year": 1987}
    ).content.decode()
    assert f"/justice/agent/casiers/{person.pk}/" in found
    page = client.post(
        f"/justice/agent/casiers/{person.pk}/",
        {
            "record": "1",
            "court": courts["c3"].pk,
            "decided_on": "2021-09-30",
            "decision_number": "TGI-C3/2021/0777",
            "offence_label": "Abus de confiance",
            "offence_reference": "Code pénal, art. 263",
            "category": "delit",
            "sentence_kind": "imprisonment",
            "months": "30",
            "final": "on",
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    casier = client.get(f"/justice/agent/casiers/{person.pk}/").content.decode()
    assert "Abus de confiance" in casier
    assert not compute_bulletin(person, 3, timezone.localdate()).is_blank
    from jamana.justice.models import Conviction

    entry = Conviction.objects.get(person=person)
    page = client.post(
        f"/justice/agent/casiers/{person.pk}/",
        {
            "event": "1",
            "conviction": entry.reference,
            "kind": "rehabilitation",
            "on": timezone.localdate().isoformat(),
            "reference": "Arrêt de réhabilitation n° 5/2026",
        },
    )
    assert page.status_code == 302, page.content.decode()[:2000]
    today = timezone.localdate()
    assert compute_bulletin(person, 3, today).is_blank  # rehabilitation: off n°3…
    assert not compute_bulletin(person, 1, today).is_blank  # …but still on n°1
    assert AccessEvent.objects.filter(person=person, actor=clerk).exists()


def test_magistrate_sees_the_rules_with_their_sources(courts, magistrate, client):
    client.force_login(magistrate, backend=BACKEND)
    page = client.get("/justice/agent/rules/").content.decode()
    assert "b3_min_unsuspended_imprisonment_months" in page and "774" in page
