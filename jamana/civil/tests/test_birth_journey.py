"""A birth from declaration to a verified certificate: the mother declares online, the
registrar of her centre draws up the act, a mention is added later, the mother asks for the
extract and receives a sealed PDF that our verifier and poppler's pdfsig accept, with the
right names and the mention."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from jamana.audit.models import AccessEvent
from jamana.civil.actions import (
    BirthFacts,
    CivilError,
    ParentInput,
    check_add_mention,
    check_declare_birth,
    check_validate_declaration,
)
from jamana.civil.models import BirthAct, BirthDeclaration, DeclarationStatus, MentionKind
from jamana.core.errors import NotFound
from jamana.core.references import format_reference
from jamana.documents.actions import read_document_file
from jamana.documents.models import Document
from jamana.documents.verification import Verdict, verify_pdf
from jamana.notify.models import OutboundMessage
from jamana.procedures.models import RequestStatus, ServiceRequest
from jamana.testing import require_tool, run_tool

BACKEND = "jamana.identity.backends.AccountBackend"


def _declaration_form(centre, born: dt.date) -> dict[str, str]:
    return {
        "centre": str(centre.pk),
        "health_notice_number": "CSREF-C3-2026-0042",
        "child_given_names": "Awa",
        "child_family_name": "Keïta",
        "child_sex": "F",
        "birth_date": born.isoformat(),
        "birth_time": "06:40",
        "birth_place": "CSRéf de la Commune III",
        "father_name": "Bakary Keïta",
        "father_nina": "",
        "father_profession": "Enseignant",
        "father_domicile": "Badialan I, Bamako",
        "mother_name": "Fatoumata Keïta",
        "mother_nina": "",
        "mother_profession": "Comptable",
        "mother_domicile": "Badialan I, Bamako",
        "declarant_role": "mother",
        "declarant_phone": "",
    }


def _declare_awa(mother, centre, **changes) -> BirthDeclaration:
    """Awa Keïta, born today, declared online by her mother."""
    facts = dict(
        child_given_names="Awa",
        child_family_name="Keïta",
        child_sex="F",
        birth_date=timezone.localdate(),
        birth_commune=None,
        birth_place="Bamako",
        mother=ParentInput(name="Fatoumata Keïta"),
        declarant_role="mother",
    )
    facts.update(changes)
    return check_declare_birth(account=mother, centre=centre, facts=BirthFacts(**facts))  # type: ignore[arg-type]


def _pdf_text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "certificate.pdf"
    path.write_bytes(pdf)
    _code, out = run_tool(require_tool("pdftotext"), "-layout", str(path), "-")
    return out


@pytest.mark.django_db
def test_birth_declared_online_becomes_a_verified_extract_with_its_mentions(
    client, mother, registrar, bamako_centre, tmp_path, keys, django_capture_on_commit_callbacks
):
    born = timezone.localdate() - dt.timedelta(days=3)

    # The mother declares online.
    client.force_login(mother, backend=BACKEND)
    page = client.post("/civil/declare/", _declaration_form(bamako_centre, born))
    assert page.status_code == 302, page.content.decode()[:3000]
    declaration = BirthDeclaration.objects.get()
    assert declaration.centre == bamako_centre and declaration.status == DeclarationStatus.PENDING
    assert declaration.mother == mother.person  # the declaring parent is linked
    assert OutboundMessage.objects.filter(
        recipient=mother.phone, body__contains=format_reference(declaration.reference)
    ).exists()

    # The registrar of her centre draws up the act.
    client.force_login(registrar, backend=BACKEND)
    queue = client.get("/civil/agent/").content.decode()
    assert "Awa Keïta" in queue
    page = client.post(
        f"/civil/agent/declarations/{declaration.reference}/", {"decision": "validate"}
    )
    assert page.status_code == 302
    act = BirthAct.objects.get()
    assert (act.centre, act.year, act.number) == (bamako_centre, timezone.localdate().year, 1)
    assert act.person.given_names == "Awa" and act.person.mother == mother.person
    assert act.person.birth_date == born
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.VALIDATED

    # Later, a mention: the father's recognition, with its legal reference.
    page = client.post(
        f"/civil/agent/acts/{act.pk}/",
        {
            "kind": MentionKind.RECOGNITION,
            "text": "Reconnue par Bakary Keïta, son père",
            "legal_reference": "CPF art. 485",
            "authority_reference": "Acte de reconnaissance n° 17/2026",
            "effective_on": timezone.localdate().isoformat(),
        },
    )
    assert page.status_code == 302

    # The mother asks for the extract: free, issued at once by the worker.
    client.force_login(mother, backend=BACKEND)
    assert "Awa Keïta" in client.get("/civil/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(f"/civil/acts/{act.pk}/request/", {"kind": "extract"})
    assert page.status_code == 302
    request = ServiceRequest.objects.get(service__code="civil.birth_extract")
    assert request.status == RequestStatus.ISSUED and request.fee_xof == 0
    document = Document.objects.get(request=request)
    assert document.holder == act.person and document.kind == "birth_extract"

    pdf = read_document_file(document)
    assert verify_pdf(pdf).verdict == Verdict.VALID
    verified = client.post("/verify/", {"document": _upload(pdf)})
    assert document.number[:3] in verified.content.decode()
    text = _pdf_text(pdf, tmp_path)
    assert "KEÏTA" in text.upper() and "Awa" in text
    assert "Fatoumata Keïta" in text and "Bakary Keïta" in text
    assert re.search(r"Reconnue\s+par\s+Bakary", text), text
    assert re.search(r"CPF\s+art\.\s+485", text), text


def _upload(pdf: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("extract.pdf", pdf, content_type="application/pdf")


@pytest.mark.django_db
def test_late_declaration_requires_jugement_suppletif(client, mother, bamako_centre):
    born = timezone.localdate() - dt.timedelta(days=45)
    with pytest.raises(CivilError) as refused:
        check_declare_birth(
            account=mother,
            centre=bamako_centre,
            facts=BirthFacts(
                child_given_names="Awa",
                child_family_name="Keïta",
                child_sex="F",
                birth_date=born,
                birth_commune=None,
                birth_place="Bamako",
                mother=ParentInput(name="Fatoumata Keïta"),
                declarant_role="mother",
            ),
        )
    assert refused.value.code == "late_declaration"
    assert "jugement supplétif" in refused.value.message

    client.force_login(mother, backend=BACKEND)
    page = client.post("/civil/declare/", _declaration_form(bamako_centre, born))
    html = page.content.decode()
    assert page.status_code == 200 and "jugement supplétif" in html
    assert "/civil/late-registration/" in html
    assert not BirthDeclaration.objects.exists()
    assert client.get("/civil/late-registration/").status_code == 200


@pytest.mark.django_db
def test_thirty_clear_days_are_counted_without_the_day_of_birth(mother, bamako_centre):
    today = timezone.localdate()
    facts = dict(
        child_given_names="Awa",
        child_family_name="Keïta",
        child_sex="F",
        birth_commune=None,
        birth_place="Bamako",
        mother=ParentInput(name="Fatoumata Keïta"),
        declarant_role="mother",
    )
    on_time = check_declare_birth(
        account=mother,
        centre=bamako_centre,
        facts=BirthFacts(birth_date=today - dt.timedelta(days=31), **facts),  # type: ignore[arg-type]
    )
    assert on_time.status == DeclarationStatus.PENDING
    with pytest.raises(CivilError):
        check_declare_birth(
            account=mother,
            centre=bamako_centre,
            facts=BirthFacts(birth_date=today - dt.timedelta(days=32), **facts),  # type: ignore[arg-type]
        )


@pytest.mark.django_db
def test_registrar_of_another_centre_can_neither_see_nor_validate(
    client, mother, bamako_centre, kati_registrar
):
    declaration = _declare_awa(mother, bamako_centre)
    client.force_login(kati_registrar, backend=BACKEND)
    assert "Awa" not in client.get("/civil/agent/").content.decode()
    assert client.get(f"/civil/agent/declarations/{declaration.reference}/").status_code == 404
    assert (
        client.post(
            f"/civil/agent/declarations/{declaration.reference}/", {"decision": "validate"}
        ).status_code
        == 404
    )
    with pytest.raises(NotFound):
        check_validate_declaration(agent=kati_registrar, reference=declaration.reference)
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.PENDING and not BirthAct.objects.exists()


@pytest.mark.django_db
def test_an_act_is_never_edited_and_a_wrong_mention_is_cancelled_by_another(
    mother, registrar, bamako_centre
):
    declaration = _declare_awa(mother, bamako_centre)
    act = check_validate_declaration(agent=registrar, reference=declaration.reference)
    act.child_given_names = "Awa Bintou"
    with pytest.raises(ValueError, match="never edited"):
        act.save()
    today = timezone.localdate()
    wrong = check_add_mention(
        agent=registrar,
        act=act,
        kind=MentionKind.MARRIAGE,
        text="Mariée par erreur",
        legal_reference="CPF",
        effective_on=today,
    )
    with pytest.raises(CivilError) as no_target:
        check_add_mention(
            agent=registrar,
            act=act,
            kind=MentionKind.CANCELLATION,
            text="Annulation",
            legal_reference="CPF",
            effective_on=today,
        )
    assert no_target.value.code == "cancellation_target"
    check_add_mention(
        agent=registrar,
        act=act,
        kind=MentionKind.CANCELLATION,
        text="Mention portée par erreur, annulée",
        legal_reference="CPF",
        effective_on=today,
        cancels=wrong,
    )
    with pytest.raises(CivilError) as twice:
        check_add_mention(
            agent=registrar,
            act=act,
            kind=MentionKind.CANCELLATION,
            text="Encore",
            legal_reference="CPF",
            effective_on=today,
            cancels=wrong,
        )
    assert twice.value.code == "already_cancelled"
    assert act.mentions.count() == 2


@pytest.mark.django_db
def test_full_copy_costs_its_fee_and_only_the_person_or_a_parent_may_ask(
    client, mother, registrar, bamako_centre, other_citizen
):
    from jamana.civil.certificates import check_request_certificate

    declaration = _declare_awa(mother, bamako_centre)
    act = check_validate_declaration(agent=registrar, reference=declaration.reference)
    request = check_request_certificate(account=mother, act_id=act.pk, kind="full_copy")
    assert request.status == RequestStatus.AWAITING_PAYMENT and request.fee_xof == 100
    assert request.organisation == bamako_centre.organisation
    with pytest.raises(NotFound):
        check_request_certificate(account=other_citizen, act_id=act.pk, kind="extract")
    client.force_login(other_citizen, backend=BACKEND)
    assert client.post(f"/civil/acts/{act.pk}/request/", {"kind": "extract"}).status_code == 404


@pytest.mark.django_db
def test_counter_prints_a_certificate_and_the_person_sees_the_read(
    client, mother, registrar, bamako_centre, tmp_path, keys
):
    declaration = _declare_awa(mother, bamako_centre)
    act = check_validate_declaration(agent=registrar, reference=declaration.reference)
    client.force_login(registrar, backend=BACKEND)
    page = client.post(f"/civil/agent/acts/{act.pk}/print/", {"kind": "extract"})
    assert page.status_code == 200 and page["Content-Type"] == "application/pdf"
    assert page.content.startswith(b"%PDF")
    assert AccessEvent.objects.filter(person=act.person, actor=registrar).exists()


@pytest.mark.django_db
def test_full_copy_is_issued_once_its_fee_is_paid(
    mother, registrar, bamako_centre, tmp_path, keys, django_capture_on_commit_callbacks
):
    from jamana.civil.certificates import check_request_certificate
    from jamana.procedures.actions import check_record_counter_payment

    declaration = check_declare_birth(
        account=mother,
        centre=bamako_centre,
        facts=BirthFacts(
            child_given_names="Awa",
            child_family_name="Keïta",
            child_sex="F",
            birth_date=timezone.localdate(),
            birth_commune=None,
            birth_place="Bamako",
            mother=ParentInput(name="Fatoumata Keïta", profession="Comptable"),
            declarant_role="mother",
        ),
    )
    act = check_validate_declaration(agent=registrar, reference=declaration.reference)
    request = check_request_certificate(account=mother, act_id=act.pk, kind="full_copy")
    assert not Document.objects.filter(request=request).exists()
    with django_capture_on_commit_callbacks(execute=True):
        check_record_counter_payment(
            agent=registrar, reference=request.reference, receipt="Q-CEC-0001"
        )
    request.refresh_from_db()
    assert request.status == RequestStatus.ISSUED
    document = Document.objects.get(request=request, kind="birth_full_copy")
    text = _pdf_text(read_document_file(document), tmp_path)
    assert "Comptable" in text  # the parents' professions are on the full copy only
    # The child's document reaches the parent who asked for it.
    from jamana.documents.queries import access_own_document

    assert access_own_document(mother, document.number) == document

    # The worker running again (a retry) issues nothing more.
    from jamana.civil.certificates import fulfil_certificate_request

    fulfil_certificate_request(request)
    assert Document.objects.filter(request=request).count() == 1
