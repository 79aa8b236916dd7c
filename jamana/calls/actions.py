"""The only writers of applications: start, fill in, fetch the documents the State holds (with
consent), upload the others, sign and submit before the closing second, pay, withdraw.

Every write is one transaction with its audit event; SMS and tasks go out on commit. The server
clock decides: an application signed one second after ``closes_at`` is refused."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_event
from jamana.calls import eligibility as rules
from jamana.calls.models import (
    DIPLOMA_ORDER,
    STATE_HELD_DOCUMENTS,
    Application,
    ApplicationDocument,
    ApplicationStatus,
    Call,
    CallPost,
    CallStatus,
    Channel,
    DiplomaLevel,
    DocumentKind,
    DocumentSource,
    ScanStatus,
)
from jamana.calls.reasons import item_label
from jamana.core.errors import JamanaError, NotFound
from jamana.core.references import format_reference, new_reference
from jamana.identity.actions import check_code, do_send_code
from jamana.identity.models import Account, CodePurpose, Person
from jamana.identity.queries import nina_of
from jamana.notify.actions import queue_sms

S = ApplicationStatus
#: Statuses in which the applicant may still change the application (until closing).
EDITABLE = frozenset({S.DRAFT, S.SUBMITTED})


class CallClosed(JamanaError):
    pass


# ------------------------------------------------------------------------------ helpers


def _locked(reference: str, account: Account) -> Application:
    """The account's application, locked for the rest of the transaction (else 404)."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call__organisation", "post", "person", "exam_centre")
        .filter(reference=reference, account=account)
        .first()
    )
    if application is None:
        raise NotFound("application_not_found", _("No application with this reference."))
    return application


def require_open(call: Call, now: dt.datetime) -> None:
    """Refuse unless the call takes applications at ``now`` (the server's clock, to the second)."""
    if call.status != CallStatus.PUBLISHED or now < call.opens_at:
        raise CallClosed("call_not_open", _("This call is not open for applications."))
    if now > call.closes_at:
        raise CallClosed(
            "call_closed",
            _("This call closed on %(closed)s. Applications are no longer accepted."),
            closed=formats.date_format(timezone.localtime(call.closes_at), "DATETIME_FORMAT"),
        )


def _touch(application: Application, now: dt.datetime, *fields: str) -> None:
    application.updated_at = now
    application.save(update_fields=[*fields, "updated_at"])


def _reopen_if_submitted(application: Application, actor: Account) -> None:
    """A change to a submitted application must be signed again to count (the signed version
    is what the jury reviews)."""
    if application.status == S.SUBMITTED:
        application.status = S.DRAFT
        application.submitted_at = None
        application.save(update_fields=["status", "submitted_at"])
        record_event(
            action="application.reopened",
            object_type="application",
            object_ref=application.reference,
            actor=actor,
        )


# ------------------------------------------------------------------------------ start and fill


def check_start_application(
    *, account: Account, call: Call, post_code: str, channel: str = Channel.WEB
) -> Application:
    """The person's application to ``call`` — created, or the one they already have (a second
    click, a retried request or a second device never makes two)."""
    person = account.person
    if person is None:
        raise JamanaError(
            "no_person", _("Your account is not linked to a person yet. Go to a counter.")
        )
    existing = Application.objects.filter(call=call, person=person).first()
    if existing is not None:
        return existing
    now = timezone.now()
    require_open(call, now)
    post = CallPost.objects.filter(call=call, code=post_code).first()
    if post is None:
        raise NotFound("post_not_found", _("This call has no such post."))
    for _attempt in range(5):
        try:
            with transaction.atomic():
                application = Application.objects.create(
                    reference=new_reference(),
                    call=call,
                    post=post,
                    exam_centre=call.centres.first() if call.centres.count() == 1 else None,
                    person=person,
                    account=account,
                    channel=channel,
                    created_at=now,
                    updated_at=now,
                )
                record_event(
                    action="application.started",
                    object_type="application",
                    object_ref=application.reference,
                    actor=account,
                    organisation=call.organisation,
                    detail={"call": call.code, "post": post.code, "channel": channel},
                )
                do_refresh_eligibility(application)
            return application
        except IntegrityError:
            # The same person started it concurrently (unique call+person): theirs stands.
            existing = Application.objects.filter(call=call, person=person).first()
            if existing is not None:
                return existing
    raise JamanaError("reference_exhausted", _("Please try again."))


def _clean_answers(call: Call, answers: dict[str, Any]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    for question in call.questions:
        code = question["code"]
        value = " ".join(str(answers.get(code, "")).split())
        limit = int(question.get("max_length") or 2000)
        if len(value) > limit:
            raise JamanaError(
                "answer_too_long",
                _("The answer to “%(question)s” is longer than %(limit)s characters."),
                question=item_label(question),
                limit=limit,
            )
        cleaned[code] = value
    return cleaned


def check_update_application(
    *,
    account: Account,
    reference: str,
    post_code: str | None = None,
    exam_centre_id: int | None = None,
    answers: dict[str, Any] | None = None,
    diploma_level: str | None = None,
    declared_not_civil_servant: bool | None = None,
) -> Application:
    """Change what the applicant fills in; until the closing second. A submitted application
    goes back to draft and must be signed again."""
    now = timezone.now()
    with transaction.atomic():
        application = _locked(reference, account)
        call = application.call
        require_open(call, now)
        if application.status not in EDITABLE:
            raise JamanaError("not_editable", _("This application can no longer be changed."))
        changed: dict[str, Any] = {}
        if post_code is not None and post_code != application.post.code:
            post = CallPost.objects.filter(call=call, code=post_code).first()
            if post is None:
                raise NotFound("post_not_found", _("This call has no such post."))
            application.post = post
            changed["post"] = post.code
        if exam_centre_id is not None and exam_centre_id != application.exam_centre_id:
            centre = call.centres.filter(pk=exam_centre_id).first()
            if centre is None:
                raise NotFound("centre_not_found", _("This call has no such exam centre."))
            application.exam_centre = centre
            changed["exam_centre"] = centre.pk
        if answers is not None:
            cleaned = _clean_answers(call, answers)
            if cleaned != application.answers:
                application.answers = cleaned
                changed["answers"] = sorted(cleaned)
        if diploma_level is not None and diploma_level != application.diploma_level:
            if diploma_level and diploma_level not in DiplomaLevel.values:
                raise JamanaError("unknown_diploma", _("Choose a diploma from the list."))
            application.diploma_level = diploma_level
            changed["diploma_level"] = diploma_level
        if (
            declared_not_civil_servant is not None
            and declared_not_civil_servant != application.declared_not_civil_servant
        ):
            application.declared_not_civil_servant = declared_not_civil_servant
            changed["declared_not_civil_servant"] = declared_not_civil_servant
        if not changed:
            return application
        _reopen_if_submitted(application, account)
        application.updated_at = now
        application.save()
        record_event(
            action="application.updated",
            object_type="application",
            object_ref=application.reference,
            actor=account,
            detail=changed,
        )
        do_refresh_eligibility(application)
    return application


# ------------------------------------------------------------------------------ documents


def _purpose(application: Application) -> str:
    """Recorded with each read and shown to the person in "who accessed my data"."""
    return (
        f"Candidature {format_reference(application.reference)} — {application.call.code} "
        "(avec le consentement du candidat)"
    )


def _set_document(
    application: Application, kind: str, source: str, now: dt.datetime, **fields: Any
) -> ApplicationDocument:
    document, _created = ApplicationDocument.objects.update_or_create(
        application=application,
        kind=kind,
        defaults={"source": source, "at": now, **fields},
    )
    return document


def _fetch_state_documents(application: Application, now: dt.datetime) -> None:
    """Read what état civil and justice hold for the applicant; each read is an access event
    the person sees. Only a summary is kept, never the record itself."""
    from jamana.civil.queries import get_birth_act_of_person
    from jamana.justice.queries import (
        get_bulletin_3_with_consent,
        get_nationality_certificate_of_person,
        get_open_nationality_request,
    )

    call, person = application.call, application.person
    required = set(call.required_documents)
    purpose = _purpose(application)
    if DocumentKind.BIRTH_ACT in required:
        act = get_birth_act_of_person(
            person, actor=None, organisation=call.organisation, purpose=purpose
        )
        if act is None:
            _set_document(application, DocumentKind.BIRTH_ACT, DocumentSource.MISSING, now)
        else:
            _set_document(
                application,
                DocumentKind.BIRTH_ACT,
                DocumentSource.FETCHED,
                now,
                summary={
                    "centre": act.centre.organisation.name,
                    "year": act.year,
                    "number": act.number,
                },
            )
    if DocumentKind.CRIMINAL_RECORD in required:
        bulletin = get_bulletin_3_with_consent(
            person=person, organisation=call.organisation, purpose=purpose
        )
        # Only the verdict is kept: blank or not, or waiting for the greffe's review.
        _set_document(
            application,
            DocumentKind.CRIMINAL_RECORD,
            DocumentSource.FETCHED,
            now,
            summary={
                "blank": bulletin.is_blank,
                "review": not bulletin.can_issue_automatically,
                "on": bulletin.on.isoformat(),
            },
        )
    if DocumentKind.NATIONALITY in required:
        certificate = get_nationality_certificate_of_person(
            person=person, organisation=call.organisation, purpose=purpose
        )
        if certificate is not None:
            _set_document(
                application,
                DocumentKind.NATIONALITY,
                DocumentSource.FETCHED,
                now,
                summary={"number": certificate.number},
                service_request=None,
            )
        else:
            pending = get_open_nationality_request(person)
            _set_document(
                application,
                DocumentKind.NATIONALITY,
                DocumentSource.REQUESTED if pending else DocumentSource.MISSING,
                now,
                service_request=pending,
            )


def check_consent_and_fetch(*, account: Account, reference: str) -> Application:
    """The applicant agrees that the recruiting body reads their birth act, bulletin n°3 and
    certificate of nationality from the administrations that hold them, instead of bringing
    papers. The consent is recorded with the date; fetching again later refreshes them."""
    now = timezone.now()
    with transaction.atomic():
        application = _locked(reference, account)
        require_open(application.call, now)
        if application.status not in EDITABLE:
            raise JamanaError("not_editable", _("This application can no longer be changed."))
        first = application.consent_at is None
        if first:
            application.consent_at = now
            _touch(application, now, "consent_at")
            record_event(
                action="application.consent_given",
                object_type="application",
                object_ref=application.reference,
                actor=account,
                organisation=application.call.organisation,
                detail={
                    "documents": sorted(
                        STATE_HELD_DOCUMENTS & set(application.call.required_documents)
                    )
                },
            )
        _fetch_state_documents(application, now)
        do_refresh_eligibility(application)
    return application


def check_request_nationality_certificate(*, account: Account, reference: str) -> Application:
    """Ask, on the applicant's behalf and with their consent, for the certificate of
    nationality the State does not hold yet; the request follows its own lifecycle (fee,
    magistrate's decision) and the application fetches the certificate once issued."""
    from jamana.justice.requests import NATIONALITY_SERVICE, check_request_bulletin

    with transaction.atomic():
        application = _locked(reference, account)
        require_open(application.call, timezone.now())
        if application.consent_at is None:
            raise JamanaError(
                "consent_required",
                _("First agree that we fetch your documents from the administrations."),
            )
        current = application.documents.filter(kind=DocumentKind.NATIONALITY).first()
        if current is not None and current.source in (
            DocumentSource.FETCHED,
            DocumentSource.REQUESTED,
        ):
            return application
        request = check_request_bulletin(account=account, service_code=NATIONALITY_SERVICE)
        _set_document(
            application,
            DocumentKind.NATIONALITY,
            DocumentSource.REQUESTED,
            timezone.now(),
            service_request=request,
        )
        record_event(
            action="application.document_requested",
            object_type="application",
            object_ref=application.reference,
            actor=account,
            detail={"kind": DocumentKind.NATIONALITY, "request": request.reference},
        )
        do_refresh_eligibility(application)
    return application


UPLOADABLE = frozenset(set(DocumentKind.values) - STATE_HELD_DOCUMENTS)


def check_upload_document(
    *, account: Account, reference: str, kind: str, data: bytes, filename: str
) -> ApplicationDocument:
    """Store a file only the applicant has (a diploma, a project). Its type is checked from its
    content; it stays "being checked" until the virus scanner has passed it."""
    from django.conf import settings

    from jamana.calls.scanning import check_upload

    if kind not in UPLOADABLE:
        raise JamanaError(
            "not_uploadable", _("This document is fetched from the administration that holds it.")
        )
    info = check_upload(data, filename, max_bytes=settings.MAX_UPLOAD_BYTES)
    now = timezone.now()
    stored = default_storage.save(
        f"calls/{reference}/{kind}-{info.sha256[:16]}.{info.extension}", ContentFile(data)
    )
    try:
        with transaction.atomic():
            application = _locked(reference, account)
            require_open(application.call, now)
            if kind not in application.call.required_documents:
                raise JamanaError("not_required", _("This call does not ask for this document."))
            if application.status not in EDITABLE:
                raise JamanaError("not_editable", _("This application can no longer be changed."))
            previous = application.documents.filter(kind=kind).first()
            document = _set_document(
                application,
                kind,
                DocumentSource.UPLOADED,
                now,
                stored_file=stored,
                filename=info.filename,
                content_type=info.content_type,
                size=info.size,
                sha256=info.sha256,
                scan_status=ScanStatus.PENDING,
                scan_detail="",
            )
            _reopen_if_submitted(application, account)
            _touch(application, now)
            record_event(
                action="application.document_uploaded",
                object_type="application",
                object_ref=application.reference,
                actor=account,
                detail={"kind": kind, "sha256": info.sha256, "size": info.size},
            )
            do_refresh_eligibility(application)
            if previous is not None and previous.stored_file and previous.stored_file != stored:
                old = previous.stored_file
                transaction.on_commit(lambda: default_storage.delete(old))
            document_id = document.pk
            transaction.on_commit(lambda: _enqueue_scan(document_id))
    except BaseException:
        default_storage.delete(stored)
        raise
    return document


def _enqueue_scan(document_id: int) -> None:
    from jamana.calls.tasks import scan_document

    scan_document.enqueue(document_id)


def do_scan_document(document_id: int) -> str:
    """Scan an uploaded file with ClamAV. A file that cannot be scanned now stays pending (the
    periodic ``calls_scan_pending`` retries); an infected one is deleted and the applicant told."""
    from jamana.calls.scanning import scan

    document = ApplicationDocument.objects.filter(pk=document_id).first()
    if document is None or document.scan_status != ScanStatus.PENDING:
        return document.scan_status if document else "gone"
    with default_storage.open(document.stored_file, "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != document.sha256:
        result_clean: bool | None = False
        signature = "stored file changed"
        engine = "integrity"
    else:
        result = scan(data)
        result_clean, signature, engine = result.clean, result.signature, result.engine
    if result_clean is None:
        return ScanStatus.PENDING
    with transaction.atomic():
        document = ApplicationDocument.objects.select_for_update().get(pk=document_id)
        if document.scan_status != ScanStatus.PENDING:
            return document.scan_status
        application = Application.objects.select_related("account", "call").get(
            pk=document.application_id
        )
        document.scan_status = ScanStatus.CLEAN if result_clean else ScanStatus.INFECTED
        document.scan_detail = engine if result_clean else f"{engine}: {signature}"[:200]
        if not result_clean:
            stored = document.stored_file
            document.stored_file = ""
            transaction.on_commit(lambda: default_storage.delete(stored))
            account = application.account
            with translation.override(account.language):
                text = gettext(
                    "Jamana: the file you sent for application %(ref)s was refused because it "
                    "contains a virus. Send a clean copy before the closing date."
                ) % {"ref": format_reference(application.reference)}
            queue_sms(to=account.phone, body=text, language=account.language)
        document.save(update_fields=["scan_status", "scan_detail", "stored_file"])
        record_event(
            action="application.document_scanned",
            object_type="application",
            object_ref=application.reference,
            detail={"kind": document.kind, "result": document.scan_status, "engine": engine},
        )
        do_refresh_eligibility(application)
    return document.scan_status


# ------------------------------------------------------------------------------ eligibility


NATIONALITY_FACTS: dict[str, str] = {
    DocumentSource.FETCHED: "certified",
    DocumentSource.REQUESTED: "requested",
}


def _facts(application: Application) -> rules.ApplicantFacts:
    person: Person = application.person
    by_kind = {d.kind: d for d in application.documents.all()}
    usable: set[str] = set()
    pending: set[str] = set()
    for kind, document in by_kind.items():
        if document.source == DocumentSource.FETCHED or (
            document.source == DocumentSource.UPLOADED and document.scan_status == ScanStatus.CLEAN
        ):
            usable.add(kind)
        elif document.source == DocumentSource.REQUESTED or (
            document.source == DocumentSource.UPLOADED
            and document.scan_status == ScanStatus.PENDING
        ):
            pending.add(kind)
    birth = by_kind.get(DocumentKind.BIRTH_ACT)
    nationality = by_kind.get(DocumentKind.NATIONALITY)
    record = by_kind.get(DocumentKind.CRIMINAL_RECORD)
    return rules.ApplicantFacts(
        birth_date=person.birth_date,
        birth_date_precision=person.birth_date_precision,
        has_birth_act=None if birth is None else birth.source == DocumentSource.FETCHED,
        nationality=(
            None if nationality is None else NATIONALITY_FACTS.get(nationality.source, "none")
        ),
        criminal_record=(
            None
            if record is None or record.summary.get("review")
            else ("clean" if record.summary.get("blank") else "convictions")
        ),
        declared_not_civil_servant=application.declared_not_civil_servant,
        diploma_level=application.diploma_level,
        documents=frozenset(usable),
        pending_documents=frozenset(pending),
    )


def rules_of(application: Application) -> rules.EligibilityRules:
    call = application.call
    return rules.EligibilityRules(
        min_age=call.min_age,
        max_age=call.max_age,
        reference_date=call.age_reference_date,
        nationality_required=call.nationality_required,
        exclude_civil_servants=call.exclude_civil_servants,
        clean_record_required=call.clean_record_required,
        min_diploma=application.post.min_diploma,
        required_documents=frozenset(call.required_documents),
    )


def do_refresh_eligibility(application: Application) -> None:
    """Check the conditions again from what the application holds now, with reasons."""
    checks = rules.check_eligibility(rules_of(application), _facts(application), DIPLOMA_ORDER)
    application.eligibility = [
        {"code": c.code, "ok": c.ok, "params": dict(c.params)} for c in checks
    ]
    application.eligible = rules.verdict(checks)
    application.save(update_fields=["eligibility", "eligible"])


def do_refresh_requested_documents(application: Application) -> None:
    """Fetch again a document asked for on the applicant's behalf once it has been issued."""
    if application.documents.filter(source=DocumentSource.REQUESTED).exists():
        _fetch_state_documents(application, timezone.now())
    do_refresh_eligibility(application)


# ------------------------------------------------------------------------------ sign and submit


def application_content(application: Application) -> bytes:
    """The canonical JSON the applicant signs: what they apply for and declare, and the
    documents by source and fingerprint. Keys sorted, no spaces: the same application always
    gives the same bytes."""
    person = application.person
    documents = [
        {
            "kind": d.kind,
            "source": d.source,
            **({"sha256": d.sha256} if d.sha256 else {}),
            **({"summary": d.summary} if d.summary else {}),
            **({"request": d.service_request.reference} if d.service_request else {}),
        }
        for d in application.documents.select_related("service_request").order_by("kind")
    ]
    content = {
        "type": "jamana.application/1",
        "reference": application.reference,
        "call": application.call.code,
        "post": application.post.code,
        "exam_centre": application.exam_centre.name if application.exam_centre else None,
        "applicant": {
            "given_names": person.given_names,
            "family_name": person.family_name,
            "nina": nina_of(person),
        },
        "answers": application.answers,
        "diploma_level": application.diploma_level,
        "declared_not_civil_servant": application.declared_not_civil_servant,
        "consent_to_fetch": application.consent_at.isoformat() if application.consent_at else None,
        "documents": documents,
        "fee_payment": application.payment_reference or None,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def readiness_problems(application: Application) -> list[JamanaError]:
    """What still stops the applicant from signing (shown as a checklist; the first one is
    the refusal when they try)."""
    call = application.call
    problems: list[JamanaError] = []
    for question in call.questions:
        if question.get("required") and not application.answers.get(question["code"]):
            problems.append(
                JamanaError(
                    "answer_required",
                    _("Answer the question “%(question)s”."),
                    question=item_label(question),
                )
            )
    if call.centres.exists() and application.exam_centre_id is None:
        problems.append(JamanaError("centre_required", _("Choose an exam centre.")))
    if (
        any(k in STATE_HELD_DOCUMENTS for k in call.required_documents)
        and not application.consent_at
    ):
        problems.append(
            JamanaError(
                "consent_required",
                _("First agree that we fetch your documents from the administrations."),
            )
        )
    present = set(application.documents.values_list("kind", flat=True))
    for kind in sorted(UPLOADABLE & set(call.required_documents) - present):
        problems.append(
            JamanaError(
                "document_required",
                _("Add the document “%(document)s”."),
                document=DocumentKind(kind).label,
            )
        )
    if call.fee_xof and application.fee_paid_at is None:
        problems.append(
            JamanaError(
                "fee_unpaid",
                _("Pay the fee of %(fee)s FCFA before signing."),
                fee=call.fee_xof,
            )
        )
    return problems


def check_start_signing(*, account: Account, reference: str) -> str:
    """Fix the content to sign and send the SMS code bound to its hash. Returns the control
    code shown on screen and in the SMS, so the person knows the code is for this content."""
    from jamana.pki.actions import do_ensure_personal_certificate

    now = timezone.now()
    with transaction.atomic():
        application = _locked(reference, account)
        require_open(application.call, now)
        if application.status not in EDITABLE:
            raise JamanaError("not_editable", _("This application can no longer be changed."))
        problems = readiness_problems(application)
        if problems:
            raise problems[0]
        content = application_content(application)
        digest = hashlib.sha256(content).hexdigest()
        if application.status == S.SUBMITTED and digest == application.content_sha256:
            raise JamanaError(
                "already_signed", _("This application is already signed and submitted.")
            )
        # Refuse before any SMS when the certificate is revoked or the NINA is missing.
        do_ensure_personal_certificate(application.person)
        control = f"{digest[:4]}-{digest[4:8]}".upper()
        do_send_code(account, CodePurpose.SIGNATURE, binding=digest, control=control)
        record_event(
            action="application.signature_requested",
            object_type="application",
            object_ref=application.reference,
            actor=account,
            detail={"sha256": digest},
        )
    return control


def check_sign_and_submit(
    *, account: Account, reference: str, code: str, channel: str | None = None
) -> Application:
    """Sign the application as it stands with the SMS code bound to its hash, and submit it.
    Sending the same thing twice (a double click, a retry after a lost answer) is harmless."""
    from jamana.pki.actions import do_ensure_personal_certificate
    from jamana.pki.queries import cms_signing_material
    from jamana.trust.cms import sign_detached

    now = timezone.now()
    with transaction.atomic():
        application = _locked(reference, account)
        content = application_content(application)
        digest = hashlib.sha256(content).hexdigest()
        if application.status == S.SUBMITTED and digest == application.content_sha256:
            return application
        require_open(application.call, now)
        if application.status not in EDITABLE:
            raise JamanaError("not_editable", _("This application can no longer be changed."))
        problems = readiness_problems(application)
        if problems:
            raise problems[0]
        # The code was bound to the content's hash: anything changed since it was sent (a
        # document re-uploaded, an answer) makes it fail, and nothing is signed.
        check_code(account, CodePurpose.SIGNATURE, code, binding=digest)
        certificate = do_ensure_personal_certificate(application.person)
        signature = sign_detached(content, cms_signing_material(certificate))
        person = application.person
        application.status = S.SUBMITTED
        application.submitted_at = now
        application.signed_at = now
        application.content_sha256 = digest
        application.signed_content = content
        application.signature = signature
        application.signature_certificate = certificate
        if channel:
            application.channel = channel
        # Copied for the equal-treatment report only; reviewers never see these.
        commune = person.birth_commune
        application.birth_region = (
            [commune, *commune.ancestors()][-1] if commune is not None else None
        )
        application.sex = person.sex
        application.updated_at = now
        application.save()
        record_event(
            action="application.submitted",
            object_type="application",
            object_ref=application.reference,
            actor=account,
            organisation=application.call.organisation,
            detail={
                "sha256": digest,
                "certificate": certificate.name,
                "channel": application.channel,
            },
        )
        do_refresh_eligibility(application)
        ref = application.reference
        transaction.on_commit(lambda: _enqueue_receipt(ref))
    return application


def _enqueue_receipt(reference: str) -> None:
    from jamana.calls.tasks import issue_receipt

    issue_receipt.enqueue(reference)


def check_withdraw_application(*, account: Account, reference: str) -> Application:
    """The applicant withdraws before closing; a paid fee can then be refunded by decision."""
    now = timezone.now()
    with transaction.atomic():
        application = _locked(reference, account)
        require_open(application.call, now)
        if application.status not in EDITABLE:
            raise JamanaError("not_editable", _("This application can no longer be changed."))
        application.status = S.WITHDRAWN
        application.decided_at = now
        _touch(application, now, "status", "decided_at")
        record_event(
            action="application.withdrawn",
            object_type="application",
            object_ref=application.reference,
            actor=account,
        )
    return application


# ------------------------------------------------------------------------------ receipt


RECEIPT_KIND = "application_receipt"


def do_issue_receipt(reference: str) -> None:
    """Issue the sealed receipt of a submitted application and tell the applicant by SMS. Run
    by the worker; issuing again for the same signed content does nothing."""
    from jamana.documents.actions import issue_document

    application = (
        Application.objects.select_related("call__organisation", "post", "person", "account")
        .filter(reference=reference)
        .first()
    )
    if application is None or application.status != S.SUBMITTED:
        return
    if application.receipt_id is not None and (
        application.receipt_for_sha256 == application.content_sha256
    ):
        return
    call = application.call
    account = application.account
    with translation.override("fr"):
        fields = [
            (gettext("Application reference"), format_reference(application.reference)),
            (gettext("Call"), f"{call.code} — {call.title_fr}"),
            (gettext("Post"), application.post.title_fr),
            (
                gettext("Exam centre"),
                application.exam_centre.name if application.exam_centre else "—",
            ),
            (
                gettext("Submitted on"),
                formats.date_format(
                    timezone.localtime(application.submitted_at), "DATETIME_FORMAT"
                ),
            ),
            (gettext("Signed content (SHA-256)"), application.content_sha256),
        ]
        paragraphs = [
            gettext(
                "The applicant signed this application with their personal electronic "
                "signature. The documents held by the State were fetched with their consent."
            )
        ]
    with transaction.atomic():
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.status != S.SUBMITTED or locked.content_sha256 != application.content_sha256:
            return
        document = issue_document(
            kind=RECEIPT_KIND,
            issuer=call.organisation,
            holder=application.person,
            fields=fields,
            paragraphs=paragraphs,
            language="fr",
        )
        locked.receipt = document
        locked.receipt_for_sha256 = locked.content_sha256
        locked.save(update_fields=["receipt", "receipt_for_sha256"])
        with translation.override(account.language):
            text = gettext(
                "Jamana: your application %(ref)s to %(call)s is submitted. Receipt: "
                "document %(number)s."
            ) % {
                "ref": format_reference(application.reference),
                "call": call.code,
                "number": format_reference(document.number),
            }
        queue_sms(to=account.phone, body=text, language=account.language)


# ------------------------------------------------------------------------------ fee


def on_application_fee_paid(intent: Any) -> bool:
    """A payments purpose handler: the fee of an application. False (refund) when it is already
    paid, the amount is not the call's fee, or the application can no longer take it."""
    with transaction.atomic():
        application = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call")
            .filter(reference=intent.purpose_ref)
            .first()
        )
        if (
            application is None
            or application.fee_paid_at is not None
            or application.status not in EDITABLE
            or intent.amount_xof != application.call.fee_xof
        ):
            return False
        now = timezone.now()
        application.fee_paid_at = now
        application.payment_reference = intent.reference
        _touch(application, now, "fee_paid_at", "payment_reference")
        record_event(
            action="application.fee_paid",
            object_type="application",
            object_ref=application.reference,
            detail={"payment": intent.reference, "amount": intent.amount_xof},
        )
    return True


def may_refund_application_fee(intent: Any) -> bool:
    """A fee is given back by decision when the application was withdrawn or the call cancelled."""
    return (
        Application.objects.filter(reference=intent.purpose_ref)
        .filter(Q(status=S.WITHDRAWN) | Q(call__status=CallStatus.CANCELLED))
        .exists()
    )


# ------------------------------------------------------------------------------ reminders


REMINDER_BEFORE = dt.timedelta(hours=48)


def do_send_draft_reminders(now: dt.datetime | None = None) -> int:
    """48 hours before a call closes, an SMS to everyone whose application is not submitted.
    Once per call (hourly job): returns the number of SMS queued."""
    now = now or timezone.now()
    sent = 0
    calls = Call.objects.filter(
        status=CallStatus.PUBLISHED,
        reminder_sent_at__isnull=True,
        closes_at__gt=now,
        closes_at__lte=now + REMINDER_BEFORE,
    )
    for call in calls:
        with transaction.atomic():
            locked = Call.objects.select_for_update().get(pk=call.pk)
            if locked.reminder_sent_at is not None:
                continue
            drafts = Application.objects.filter(call=call, status=S.DRAFT).select_related("account")
            closes = timezone.localtime(call.closes_at)
            for application in drafts.iterator():
                account = application.account
                with translation.override(account.language):
                    text = gettext(
                        "Jamana: your application %(ref)s to %(call)s is not submitted yet. "
                        "Sign it before %(closes)s."
                    ) % {
                        "ref": format_reference(application.reference),
                        "call": call.code,
                        "closes": formats.date_format(closes, "SHORT_DATETIME_FORMAT"),
                    }
                queue_sms(to=account.phone, body=text, language=account.language)
                sent += 1
            locked.reminder_sent_at = now
            locked.save(update_fields=["reminder_sent_at"])
            record_event(
                action="call.drafts_reminded",
                object_type="call",
                object_ref=call.code,
                organisation=call.organisation,
                detail={"sms": sent},
            )
    return sent


def do_scan_pending_documents(limit: int = 500) -> tuple[int, int]:
    """Scan the uploads still pending, oldest first: (scanned now, still waiting)."""
    pending = list(
        ApplicationDocument.objects.filter(scan_status=ScanStatus.PENDING)
        .order_by("at")
        .values_list("pk", flat=True)[:limit]
    )
    done = sum(1 for pk in pending if do_scan_document(pk) != ScanStatus.PENDING)
    return done, len(pending) - done
