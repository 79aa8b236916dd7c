"""Calls personas: the Centre national des concours de la fonction publique (a recruiting body)
with its recruitment officer and three jury members; the court of Commune III (casiers,
certificates of nationality) and the civil centre of Commune III; applicants born in Bamako
whose birth act is in the register, one of whom already holds a certificate of nationality."""

from __future__ import annotations

import datetime as dt

import pytest

from jamana.identity.models import Account, Organisation, Role
from jamana.justice.tests.conftest import make_clerk, make_courts
from jamana.testing import make_agent, make_citizen, make_organisation


def make_recruiting_body() -> Organisation:
    return make_organisation(
        code="ML-CNCFP",
        name="Centre national des concours de la fonction publique",
        kind="recruiting",
    )


def make_calls_officer(body: Organisation) -> Account:
    return make_agent(
        organisation=body,
        role=Role.CALLS_OFFICER,
        extra_roles=(),
        phone="+22376000081",
        nina="19700101000081E",
    )


def make_juror(body: Organisation, n: int) -> Account:
    account = make_citizen(
        phone=f"+2237600009{n}",
        nina=f"1970010100009{n}{'ABCDEFGH'[n]}",
        given_names=f"Juré{n}",
        family_name="Sangaré",
        sex="M",
        birth_date=dt.date(1970, 1, n + 1),
    )
    from jamana.identity.actions import do_grant_role

    do_grant_role(account=account, organisation=body, role=Role.JURY_MEMBER)
    return account


def register_birth(account: Account, *, number: int) -> None:
    """The person's birth act, as digitised from the register of the Commune III centre."""
    from jamana.civil.actions import (
        BirthFacts,
        ParentInput,
        RegisterEntry,
        do_record_register_act,
        do_register_centre,
    )
    from jamana.civil.models import RegistryCentre

    person = account.person
    assert person is not None
    centre = RegistryCentre.objects.filter(organisation__code="ML-CEC-BKO-C3").first()
    if centre is None:
        centre = do_register_centre(
            organisation=make_organisation(code="ML-CEC-BKO-C3", name="Centre C3"),
            kind="principal",
        )
    do_record_register_act(
        centre=centre,
        facts=BirthFacts(
            child_given_names=person.given_names,
            child_family_name=person.family_name,
            child_sex=person.sex,
            birth_date=person.birth_date,
            birth_commune=person.birth_commune,
            birth_place="Bamako",
            father=ParentInput(name="Moussa Traoré"),
            mother=ParentInput(name="Kadiatou Diarra"),
        ),
        entry=RegisterEntry(
            year=person.birth_date.year if person.birth_date else 1990,
            number=number,
            drawn_up_on=(person.birth_date or dt.date(1990, 1, 1)) + dt.timedelta(days=5),
        ),
        person=person,
    )


def make_applicant(
    *, phone: str, nina: str, given_names: str, family_name: str, sex: str, birth_date: dt.date
) -> Account:
    from jamana.core.geography import find_area

    account = make_citizen(
        phone=phone,
        nina=nina,
        given_names=given_names,
        family_name=family_name,
        sex=sex,
        birth_date=birth_date,
    )
    person = account.person
    assert person is not None
    person.birth_commune = find_area("ML-00-03")
    person.save(update_fields=["birth_commune"])
    return account


def grant_nationality(
    account: Account, courts: dict, cashier: Account, magistrate: Account
) -> None:
    """A certificate of nationality asked for, paid at the counter and granted."""
    from jamana.justice.requests import check_decide_nationality, check_request_bulletin
    from jamana.procedures.actions import check_record_counter_payment

    request = check_request_bulletin(account=account, service_code="justice.nationality")
    check_record_counter_payment(
        agent=cashier, reference=request.reference, receipt="Q-" + request.reference
    )
    check_decide_nationality(magistrate=magistrate, reference=request.reference, grant=True)


@pytest.fixture
def courts(db):
    return make_courts()


@pytest.fixture(autouse=True)
def justice_services(request):
    if "courts" not in request.fixturenames:
        return
    from jamana.procedures.actions import do_upsert_service
    from jamana.procedures.catalogue import CATALOGUE

    court = request.getfixturevalue("courts")["c3"]
    for spec in CATALOGUE:
        if spec["code"] in ("justice.b3", "justice.nationality"):
            fields = {k: v for k, v in spec.items() if k not in ("code", "organisation")}
            do_upsert_service(code=spec["code"], organisation=court, **fields)


@pytest.fixture
def cashier(courts):
    return make_clerk(
        courts["c3"], phone="+22376000072", nina="19700101000072B", role=Role.COUNTER_AGENT
    )


@pytest.fixture
def magistrate(courts):
    return make_clerk(
        courts["c3"], phone="+22376000073", nina="19700101000073C", role=Role.MAGISTRATE
    )


@pytest.fixture
def body(courts):
    return make_recruiting_body()


@pytest.fixture
def officer(body):
    return make_calls_officer(body)


@pytest.fixture
def jurors(body):
    return [make_juror(body, n) for n in (1, 2, 3)]


@pytest.fixture
def awa(courts, cashier, magistrate, keys):
    """Born in Bamako in 1998, birth act in the register, certificate of nationality held."""
    account = make_applicant(
        phone="+22376100001",
        nina="19980203000101A",
        given_names="Awa",
        family_name="Diallo",
        sex="F",
        birth_date=dt.date(1998, 2, 3),
    )
    register_birth(account, number=101)
    grant_nationality(account, courts, cashier, magistrate)
    return account


@pytest.fixture
def moussa(courts, keys):
    """Born in Bamako in 1995, birth act in the register, no certificate of nationality yet."""
    account = make_applicant(
        phone="+22376100002",
        nina="19950607000102B",
        given_names="Moussa",
        family_name="Keïta",
        sex="M",
        birth_date=dt.date(1995, 6, 7),
    )
    register_birth(account, number=102)
    return account


def small_pdf(text: str = "Diplôme de licence", *, author: str = "") -> bytes:
    """A real one-page PDF (a diploma scan stands in for the real thing), uncompressed so
    that tests can look for its text, with ``author`` in its metadata as editors write it."""
    from io import BytesIO

    from reportlab.pdfgen import canvas

    buffer = BytesIO()
    page = canvas.Canvas(buffer, pageCompression=0)
    if author:
        page.setAuthor(author)
        page.setTitle(f"Projet de {author}")
    page.drawString(72, 720, text)
    page.save()
    return buffer.getvalue()


def apply_and_submit(
    account: Account,
    call,
    *,
    post_code: str = "ADM",
    diploma_level: str = "licence",
    capture=None,
):
    """The whole applicant path through the real actions: start, fill in, consent and fetch,
    upload the diploma, sign with the SMS code and submit. ``capture`` is pytest-django's
    django_capture_on_commit_callbacks, to run the scan and receipt tasks."""
    from contextlib import nullcontext

    from jamana.calls import actions
    from jamana.testing import last_sms_code

    def run():
        return capture(execute=True) if capture is not None else nullcontext()

    application = actions.check_start_application(account=account, call=call, post_code=post_code)
    ref = application.reference
    answers = {q["code"]: "Réponse" for q in call.questions}
    actions.check_update_application(
        account=account,
        reference=ref,
        answers=answers,
        diploma_level=diploma_level,
        declared_not_civil_servant=True,
        exam_centre_id=call.centres.first().pk,
    )
    actions.check_consent_and_fetch(account=account, reference=ref)
    if "diploma" in call.required_documents:
        with run():
            actions.check_upload_document(
                account=account, reference=ref, kind="diploma", data=small_pdf(), filename="d.pdf"
            )
    actions.check_start_signing(account=account, reference=ref)
    with run():
        application = actions.check_sign_and_submit(
            account=account, reference=ref, code=last_sms_code(account.phone)
        )
    application.refresh_from_db()
    return application
