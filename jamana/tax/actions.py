"""The only writers of the tax app: taxpayer accounts, assessments computed by the rule tables
(``jamana.tax.rules``), payments applied to them, tax clearance, and roll imports.

Each action is one transaction with its audit event. An amount is assessed only from a rule
whose figure is sourced: a tariff still to confirm with the DGI is refused, never guessed."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_access, record_event
from jamana.core.errors import JamanaError, NotFound
from jamana.core.models import AdminArea
from jamana.core.money import format_xof
from jamana.core.references import format_reference, new_reference
from jamana.documents.models import Document
from jamana.identity.models import Account, Organisation, OrganisationKind, Person
from jamana.identity.permissions import RECORD_COUNTER_PAYMENT
from jamana.identity.queries import require_permission
from jamana.notify.actions import queue_sms
from jamana.payments.models import PaymentIntent
from jamana.tax import rules
from jamana.tax.access import (
    access_own_assessment,
    access_own_taxpayer,
    parse_tax_number,
    require_tax_officer,
)
from jamana.tax.models import (
    Assessment,
    AssessmentRoll,
    AssessmentStatus,
    RollStatus,
    TaxCode,
    TaxpayerAccount,
    TaxpayerKind,
)
from jamana.tax.rules.impot_synthetique import ANY_ACTIVITY

logger = logging.getLogger(__name__)

PURPOSE_TYPE = "tax_assessment"
ROLL_CHUNK_SIZE = 50
MAX_ROLL_BYTES = 5 * 1024 * 1024
ROLL_REQUIRED_COLUMNS = ("nif", "tax", "year")
ROLL_OPTIONAL_COLUMNS = (
    "subject",
    "category",
    "engine_cc",
    "fiscal_power",
    "acquired_on",
    "turnover",
    "activity",
    "started_on",
    "exemptions",
    "due_date",
)


class TaxError(JamanaError):
    pass


# ---------------------------------------------------------------- taxpayers


def do_open_taxpayer(
    *,
    agent: Account,
    kind: str,
    tax_office: Organisation,
    commune: AdminArea,
    person: Person | None = None,
    business_name: str = "",
    phone: str = "",
) -> TaxpayerAccount:
    """Open a taxpayer account (a person, or a business with its name) and give it its NIF."""
    if tax_office.kind != OrganisationKind.TAX_OFFICE:
        raise TaxError("not_a_tax_office", _("Taxpayer accounts are kept by a tax office."))
    if kind not in TaxpayerKind.values:
        raise TaxError("invalid_kind", _("A taxpayer is a person or a business."))
    business_name = business_name.strip()
    if kind == TaxpayerKind.PERSON and person is None:
        raise TaxError("person_required", _("A personal tax account needs the person."))
    if kind == TaxpayerKind.BUSINESS and not business_name:
        raise TaxError("business_name_required", _("A business tax account needs its name."))
    require_tax_officer(agent, tax_office, commune)
    try:
        with transaction.atomic():
            taxpayer = TaxpayerAccount.objects.create(
                nif=new_reference(),
                kind=kind,
                person=person,
                business_name=business_name if kind == TaxpayerKind.BUSINESS else "",
                commune=commune,
                phone=phone or (person.phone if person else ""),
                tax_office=tax_office,
                created_at=timezone.now(),
            )
            record_event(
                action="tax.taxpayer_opened",
                object_type="taxpayer",
                object_ref=taxpayer.nif,
                actor=agent,
                organisation=tax_office,
                detail={"kind": kind},
            )
    except IntegrityError:
        raise TaxError(
            "taxpayer_exists", _("This person already has a tax identification number.")
        ) from None
    return taxpayer


# ---------------------------------------------------------------- assessing


def _compute(
    taxpayer: TaxpayerAccount, tax: str, year: int, today: dt.date, params: dict[str, Any]
) -> rules.Assessment:
    if tax == TaxCode.TDRL:
        person = taxpayer.person
        if taxpayer.kind != TaxpayerKind.PERSON or person is None:
            raise TaxError("tdrl_person_only", _("The TDRL is owed by persons, not businesses."))
        if person.birth_date is None:
            raise TaxError(
                "birth_date_unknown",
                _("The TDRL depends on the age: the person's date of birth is unknown."),
            )
        return rules.tdrl_due(
            commune_code=taxpayer.commune.code,
            year=year,
            person=rules.TdrlPerson(
                birth_date=person.birth_date, exemptions=frozenset(params.get("exemptions", ()))
            ),
        )
    if tax == TaxCode.VIGNETTE:
        return rules.vignette_due(
            category=str(params.get("category", "")),
            fiscal_power=params.get("fiscal_power"),
            engine_cc=params.get("engine_cc"),
            acquired_on=params.get("acquired_on"),
            year=year,
            paid_on=None,
            today=today,
        )
    if tax == TaxCode.IMPOT_SYNTHETIQUE:
        if "turnover" not in params:
            raise TaxError("turnover_required", _("The impôt synthétique needs the turnover."))
        return rules.impot_synthetique_due(
            turnover_xof=int(params["turnover"]),
            activity=str(params.get("activity") or ANY_ACTIVITY),
            started_on=params.get("started_on"),
            year=year,
            paid_on=None,
            today=today,
        )
    raise TaxError("unknown_tax", _("Unknown tax."))


def _json_params(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, dt.date):
            out[key] = value.isoformat()
        elif isinstance(value, (set, frozenset, tuple, list)):
            out[key] = sorted(value)
        else:
            out[key] = value
    return out


def check_assess(
    taxpayer: TaxpayerAccount,
    tax: str,
    year: int,
    *,
    agent: Account,
    due_date: dt.date | None = None,
    subject: str = "",
    roll: AssessmentRoll | None = None,
    **params: Any,
) -> Assessment:
    """Assess ``tax`` for ``year`` from the rule tables. ``params``: ``exemptions`` (TDRL),
    ``category``/``engine_cc``/``fiscal_power``/``acquired_on`` (vignette),
    ``turnover``/``activity``/``started_on`` (impôt synthétique).

    ``due_date`` is used when the rules set none (the TDRL's is the mairie's roll's). An
    exempt taxpayer gets a 0 XOF assessment, settled at once. Refused: a tariff not confirmed
    by the DGI, a year the rules do not cover, a taxpayer outside the regime, a second
    assessment of the same tax, year and subject."""
    require_tax_officer(agent, taxpayer.tax_office, taxpayer.commune)
    if tax not in TaxCode.values:
        raise TaxError("unknown_tax", _("Unknown tax."))
    subject = subject.strip().upper()
    today = timezone.localdate()
    try:
        result = _compute(taxpayer, tax, year, today, params)
    except rules.RuleNotConfirmed:
        raise _unconfirmed() from None
    except rules.RuleNotFound:
        raise TaxError(
            "tax_rule_not_found", _("No tariff of this tax is in force for %(year)s."), year=year
        ) from None
    except rules.NotEligible:
        raise TaxError(
            "tax_not_eligible",
            _("This taxpayer is outside this tax's regime (turnover above the ceiling)."),
        ) from None
    except ValueError as exc:
        raise TaxError(
            "invalid_parameters",
            _("The details given do not allow this tax to be computed: %(detail)s"),
            detail=str(exc),
        ) from None
    if result.amount_xof > 0 and result.confidence == rules.Confidence.UNCONFIRMED:
        raise _unconfirmed()
    details = _json_params(params)
    if result.exempt_reason:
        details["exempt_reason"] = result.exempt_reason
    details["payments"] = []
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(
                number=new_reference(),
                taxpayer=taxpayer,
                tax=tax,
                year=year,
                subject=subject,
                base_xof=result.base_amount_xof,
                surcharge_xof=result.surcharge_xof,
                amount_xof=result.amount_xof,
                # Nothing owed (exempt): settled the day it is assessed.
                status=AssessmentStatus.OPEN if result.amount_xof else AssessmentStatus.PAID,
                due_date=result.due_date or due_date,
                legal_reference=result.reference,
                confidence=result.confidence.value,
                details=details,
                roll=roll,
                issued_by=agent,
                created_at=timezone.now(),
            )
            record_event(
                action="tax.assessed",
                object_type="assessment",
                object_ref=assessment.number,
                actor=agent,
                organisation=taxpayer.tax_office,
                detail={
                    "nif": taxpayer.nif,
                    "tax": tax,
                    "year": year,
                    "amount": result.amount_xof,
                    "confidence": result.confidence.value,
                },
            )
            if taxpayer.person is not None:
                # The TDRL reads the person's birth date: the person sees who assessed them.
                record_access(
                    person=taxpayer.person,
                    object_type="assessment",
                    object_ref=assessment.number,
                    purpose="tax assessment",
                    actor=agent,
                    organisation=taxpayer.tax_office,
                )
    except IntegrityError:
        raise TaxError(
            "already_assessed",
            _("This tax is already assessed for this taxpayer and year."),
        ) from None
    return assessment


def _unconfirmed() -> TaxError:
    return TaxError(
        "tariff_unconfirmed",
        _(
            "The tariff of this tax awaits confirmation by the DGI (Direction générale des "
            "impôts): no amount can be assessed yet."
        ),
    )


def do_cancel_assessment(*, agent: Account, number: str, reason: str) -> Assessment:
    """Cancel an assessment made in error. Money already paid stays recorded on it (a refund
    is a separate decision); a corrected assessment may then be made."""
    reason = reason.strip()
    if not reason:
        raise TaxError("reason_required", _("A cancellation must give its reason."))
    with transaction.atomic():
        assessment = _locked(number)
        require_tax_officer(agent, assessment.taxpayer.tax_office, assessment.taxpayer.commune)
        if assessment.status == AssessmentStatus.CANCELLED:
            raise TaxError("already_cancelled", _("This assessment is already cancelled."))
        assessment.status = AssessmentStatus.CANCELLED
        assessment.cancelled_at = timezone.now()
        assessment.cancel_reason = reason[:255]
        assessment.save()
        record_event(
            action="tax.assessment_cancelled",
            object_type="assessment",
            object_ref=number,
            actor=agent,
            organisation=assessment.taxpayer.tax_office,
            detail={"reason": reason[:255], "paid": assessment.paid_xof},
        )
    return assessment


SURCHARGED_TAXES = (TaxCode.VIGNETTE, TaxCode.IMPOT_SYNTHETIQUE)


def _params_from_details(details: dict[str, Any]) -> dict[str, Any]:
    """The parameters an assessment was computed with, back from their JSON form."""
    params = {k: v for k, v in details.items() if k not in ("payments", "exempt_reason")}
    for key in ("acquired_on", "started_on"):
        if isinstance(params.get(key), str):
            params[key] = dt.date.fromisoformat(params[key])
    if "exemptions" in params:
        params["exemptions"] = frozenset(params["exemptions"])
    return params


def do_apply_late_surcharges(*, today: dt.date | None = None) -> int:
    """Add the late surcharge the rules set to assessments still open past their due date
    (vignette, impôt synthétique): an amount assessed before the deadline is not the amount
    owed after it. Run daily; running twice adds nothing more. The taxpayer is told by SMS."""
    today = today or timezone.localdate()
    applied = 0
    numbers = Assessment.objects.filter(
        status=AssessmentStatus.OPEN, tax__in=SURCHARGED_TAXES, due_date__lt=today
    ).values_list("number", flat=True)
    for number in list(numbers):
        with transaction.atomic():
            assessment = _locked(number)
            if assessment.status != AssessmentStatus.OPEN:
                continue
            try:
                result = _compute(
                    assessment.taxpayer,
                    assessment.tax,
                    assessment.year,
                    today,
                    _params_from_details(assessment.details),
                )
            except (rules.RuleNotFound, rules.RuleNotConfirmed, rules.NotEligible, ValueError):
                logger.warning("no surcharge rule for assessment %s", number)
                continue
            if result.surcharge_xof <= assessment.surcharge_xof:
                continue
            added = result.surcharge_xof - assessment.surcharge_xof
            assessment.surcharge_xof = result.surcharge_xof
            assessment.amount_xof = assessment.base_xof + result.surcharge_xof
            assessment.save(update_fields=["surcharge_xof", "amount_xof"])
            record_event(
                action="tax.surcharge_applied",
                object_type="assessment",
                object_ref=number,
                organisation=assessment.taxpayer.tax_office,
                detail={"added": added, "surcharge": result.surcharge_xof, "on": str(today)},
            )
            _tell_surcharge(assessment, added)
            applied += 1
    return applied


def _tell_surcharge(assessment: Assessment, added: int) -> None:
    taxpayer = assessment.taxpayer
    account = (
        Account.objects.filter(person_id=taxpayer.person_id).first() if taxpayer.person_id else None
    )
    phone = taxpayer.phone or (taxpayer.person.phone if taxpayer.person else "")
    phone = phone or (account.phone if account else "")
    if not phone:
        return
    language = account.language if account else "fr"
    with translation.override(language):
        # The raw numbers: format_xof's narrow spaces are not in the GSM alphabet.
        text = gettext(
            "Jamana: %(tax)s %(year)s (%(ref)s) was not paid by its due date. A surcharge of "
            "%(added)s FCFA applies; %(remaining)s FCFA remain to pay."
        ) % {
            "tax": assessment.get_tax_display(),
            "year": assessment.year,
            "ref": format_reference(assessment.number),
            "added": added,
            "remaining": assessment.amount_xof - assessment.paid_xof,
        }
    queue_sms(to=phone, body=text, language=language)


def _locked(number: str) -> Assessment:
    assessment = (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("taxpayer", "taxpayer__tax_office", "taxpayer__commune")
        .filter(number=number)
        .first()
    )
    if assessment is None:
        raise NotFound("assessment_not_found", _("No assessment with this number."))
    return assessment


# ---------------------------------------------------------------- paying


def _check_amount(assessment: Assessment, amount_xof: int) -> None:
    if assessment.status != AssessmentStatus.OPEN or assessment.remaining_xof <= 0:
        raise TaxError("nothing_to_pay", _("Nothing remains to be paid on this assessment."))
    if not isinstance(amount_xof, int) or not 1 <= amount_xof <= assessment.remaining_xof:
        raise TaxError(
            "invalid_amount",
            _("Enter a whole number of francs between 1 and %(remaining)s."),
            remaining=assessment.remaining_xof,
        )


def check_pay_assessment(
    *,
    account: Account,
    number: str,
    amount_xof: int,
    provider: str,
    phone: str,
    attempt: str,
) -> PaymentIntent:
    """Start paying (part of) an assessment by mobile money. The same ``attempt`` (one per
    rendered form) returns the same payment: a double click charges once."""
    from jamana.payments.actions import callback_url_for, check_initiate, do_create_intent

    assessment = access_own_assessment(account, number)
    _check_amount(assessment, amount_xof)
    attempt = "".join(ch for ch in attempt if ch.isalnum() or ch in "-_")[:40]
    if not attempt:
        raise TaxError("attempt_required", _("The form has expired. Start again."))
    intent = do_create_intent(
        purpose_type=PURPOSE_TYPE,
        purpose_ref=assessment.number,
        beneficiary=assessment.taxpayer.tax_office,
        amount_xof=amount_xof,
        provider=provider,
        idempotency_key=f"tax:{account.pk}:{attempt}",
        payer=assessment.taxpayer.person,
        payer_msisdn=phone,
    )
    return check_initiate(intent, callback_url=callback_url_for(intent.provider))


def do_apply_payment(*, number: str, amount_xof: int, payment_ref: str) -> bool:
    """Credit a settled payment to the assessment (row locked). False when it cannot take it
    (cancelled, already paid, or more than what remains): the payment is then refunded.
    Applying the same payment twice credits it once."""
    with transaction.atomic():
        assessment = (
            Assessment.objects.select_for_update(of=("self",))
            .select_related("taxpayer__tax_office")
            .filter(number=number)
            .first()
        )
        if assessment is None:
            logger.error("payment %s for unknown assessment %s", payment_ref, number)
            return False
        applied = list(assessment.details.get("payments", []))
        if any(p.get("ref") == payment_ref for p in applied):
            return True
        accepted = (
            assessment.status == AssessmentStatus.OPEN
            and 0 < amount_xof <= assessment.remaining_xof
        )
        if accepted:
            applied.append(
                {"ref": payment_ref, "amount": amount_xof, "at": timezone.now().isoformat()}
            )
            assessment.details = {**assessment.details, "payments": applied}
            assessment.paid_xof += amount_xof
            if assessment.paid_xof == assessment.amount_xof:
                assessment.status = AssessmentStatus.PAID
            assessment.save(update_fields=["details", "paid_xof", "status"])
        record_event(
            action="tax.payment_applied" if accepted else "tax.payment_refused",
            object_type="assessment",
            object_ref=number,
            organisation=assessment.taxpayer.tax_office,
            detail={"payment": payment_ref, "amount": amount_xof, "paid": assessment.paid_xof},
        )
    return accepted


def check_record_counter_payment(
    *, agent: Account, number: str, amount_xof: int, receipt: str
) -> PaymentIntent:
    """Cash paid at the tax office against a numbered receipt. Recording the same receipt
    again changes nothing."""
    from jamana.payments.actions import do_record_counter_payment

    receipt = receipt.strip()
    if not receipt:
        raise TaxError("receipt_required", _("Enter the receipt number."))
    with transaction.atomic():
        assessment = _locked(number)
        office = assessment.taxpayer.tax_office
        require_permission(agent, RECORD_COUNTER_PAYMENT, office, assessment.taxpayer.commune)
        intent = do_record_counter_payment(
            agent=agent,
            purpose_type=PURPOSE_TYPE,
            purpose_ref=number,
            beneficiary=office,
            amount_xof=amount_xof,
            receipt=receipt,
            payer=assessment.taxpayer.person,
        )
        already = any(
            p.get("ref") == intent.reference for p in assessment.details.get("payments", [])
        )
        if not already:
            _check_amount(assessment, amount_xof)
            do_apply_payment(number=number, amount_xof=amount_xof, payment_ref=intent.reference)
    return intent


# ---------------------------------------------------------------- tax clearance


def check_issue_tax_clearance(account: Account, taxpayer_nif: str) -> Document:
    """The attestation de régularité fiscale, to the holder of the tax account only, when no
    assessment is open past its due date (open ones not yet due do not prevent it)."""
    from jamana.documents.actions import issue_document

    taxpayer = access_own_taxpayer(account, taxpayer_nif)
    today = timezone.localdate()
    overdue = list(
        taxpayer.assessments.filter(status=AssessmentStatus.OPEN, due_date__lt=today).order_by(
            "due_date", "number"
        )
    )
    if overdue:
        listed = "; ".join(
            f"{format_reference(a.number)} ({a.get_tax_display()} {a.year}, "
            f"{format_xof(a.remaining_xof)})"
            for a in overdue
        )
        raise TaxError(
            "tax_overdue",
            _("A tax clearance cannot be issued while taxes are overdue: %(assessments)s."),
            assessments=listed,
        )
    with translation.override("fr"):
        fields = [
            (gettext("Tax identification number"), format_reference(taxpayer.nif)),
            (gettext("Name"), taxpayer.display_name),
            (gettext("Tax office"), taxpayer.tax_office.name),
            (gettext("Situation on"), formats.date_format(today, "j F Y")),
            (gettext("Statement"), gettext("No overdue tax")),
        ]
    with transaction.atomic():
        document = issue_document(
            kind="tax_clearance",
            issuer=taxpayer.tax_office,
            holder=taxpayer.person,
            holder_name=taxpayer.display_name,
            fields=fields,
            actor=account,
        )
        record_event(
            action="tax.clearance_issued",
            object_type="taxpayer",
            object_ref=taxpayer.nif,
            actor=account,
            organisation=taxpayer.tax_office,
            detail={"document": document.number},
        )
    return document


# ---------------------------------------------------------------- rolls


def _read_roll(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TaxError("roll_encoding", _("The roll file must be a CSV file in UTF-8.")) from None
    first_line = text.split("\n", 1)[0]
    # Spreadsheets set to French write ";" between columns.
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    reader.fieldnames = columns
    missing = [c for c in ROLL_REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise TaxError(
            "roll_columns",
            _("The roll file lacks the column(s): %(columns)s."),
            columns=", ".join(missing),
        )
    rows = [
        {k: (v or "").strip() for k, v in row.items() if k}
        for row in reader
        if any((v or "").strip() for v in row.values() if isinstance(v, str))
    ]
    return columns, rows


def check_upload_roll(
    *, agent: Account, tax_office: Organisation, file_name: str, data: bytes
) -> AssessmentRoll:
    """Record a roll file and queue its assessment (a task, in chunks)."""
    from jamana.tax.tasks import process_roll

    require_tax_officer(agent, tax_office)
    if len(data) > MAX_ROLL_BYTES:
        raise TaxError("roll_too_large", _("The roll file is too large (5 MB at most)."))
    _columns, rows = _read_roll(data)
    if not rows:
        raise TaxError("roll_empty", _("The roll file has no rows."))
    with transaction.atomic():
        roll = AssessmentRoll.objects.create(
            file_name=file_name[:255],
            sha256=hashlib.sha256(data).hexdigest(),
            content=data.decode("utf-8-sig"),
            uploaded_by=agent,
            tax_office=tax_office,
            total_rows=len(rows),
            created_at=timezone.now(),
        )
        record_event(
            action="tax.roll_uploaded",
            object_type="roll",
            object_ref=str(roll.pk),
            actor=agent,
            organisation=tax_office,
            detail={"file": roll.file_name, "rows": len(rows), "sha256": roll.sha256},
        )
        roll_id = roll.pk
        transaction.on_commit(lambda: process_roll.enqueue(roll_id))
    return roll


def _int(row: dict[str, str], key: str) -> int | None:
    value = row.get(key, "").replace(" ", "").replace("\u202f", "")
    if not value:
        return None
    if not value.isdigit():
        raise TaxError("roll_value", _("%(column)s must be a whole number."), column=key)
    return int(value)


def _date(row: dict[str, str], key: str) -> dt.date | None:
    value = row.get(key, "")
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise TaxError(
            "roll_value", _("%(column)s must be a date (YYYY-MM-DD)."), column=key
        ) from None


def _row_params(row: dict[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for key in ("engine_cc", "fiscal_power", "turnover"):
        value = _int(row, key)
        if value is not None:
            params[key] = value
    for key in ("acquired_on", "started_on"):
        day = _date(row, key)
        if day is not None:
            params[key] = day
    for key in ("category", "activity"):
        if row.get(key):
            params[key] = row[key]
    if row.get("exemptions"):
        params["exemptions"] = frozenset(
            e.strip() for e in row["exemptions"].replace(";", "|").split("|") if e.strip()
        )
    return params


def _assess_row(roll: AssessmentRoll, agent: Account, row: dict[str, str]) -> bool:
    """Assess one row; False when it was already assessed (a roll imported again)."""
    nif = parse_tax_number(row.get("nif", ""))
    taxpayer = (
        TaxpayerAccount.objects.select_related("person", "tax_office", "commune")
        .filter(nif=nif, tax_office=roll.tax_office)
        .first()
    )
    if taxpayer is None:
        raise TaxError("taxpayer_not_found", _("No taxpayer with this NIF in this tax office."))
    tax = row.get("tax", "").lower()
    year = _int(row, "year")
    if year is None:
        raise TaxError("roll_value", _("%(column)s must be a whole number."), column="year")
    subject = row.get("subject", "").strip().upper()
    if (
        Assessment.objects.filter(taxpayer=taxpayer, tax=tax, year=year, subject=subject)
        .exclude(status=AssessmentStatus.CANCELLED)
        .exists()
    ):
        return False
    try:
        check_assess(
            taxpayer,
            tax,
            year,
            agent=agent,
            due_date=_date(row, "due_date"),
            subject=subject,
            roll=roll,
            **_row_params(row),
        )
    except TaxError as exc:
        if exc.code == "already_assessed":  # a concurrent import of the same row
            return False
        raise
    return True


def do_process_roll(roll_id: int, *, chunk_size: int = ROLL_CHUNK_SIZE) -> AssessmentRoll:
    """Assess a roll's rows in chunks, saving the progress after each chunk so the agent's
    page shows it. Bad rows are reported with their line number, good rows assessed. Safe to
    run again after a crash: it resumes after the last saved chunk, and a row already assessed
    is never assessed twice (unique constraint)."""
    with transaction.atomic():
        roll = AssessmentRoll.objects.select_for_update().get(pk=roll_id)
        if roll.status in (RollStatus.DONE, RollStatus.FAILED):
            return roll
        roll.status = RollStatus.RUNNING
        roll.save(update_fields=["status"])
    agent = roll.uploaded_by
    try:
        _columns, rows = _read_roll(roll.content.encode())
        start = roll.processed_rows
        for offset in range(start, len(rows), chunk_size):
            chunk = rows[offset : offset + chunk_size]
            created = skipped = 0
            errors: list[dict[str, Any]] = []
            for index, row in enumerate(chunk, start=offset):
                line = index + 2  # the header is line 1
                try:
                    if _assess_row(roll, agent, row):
                        created += 1
                    else:
                        skipped += 1
                except JamanaError as exc:
                    errors.append({"row": line, "message": exc.message})
            with transaction.atomic():
                locked = AssessmentRoll.objects.select_for_update().get(pk=roll_id)
                locked.processed_rows = offset + len(chunk)
                locked.created_count += created
                locked.skipped_count += skipped
                locked.errors = [*locked.errors, *errors]
                locked.save(
                    update_fields=["processed_rows", "created_count", "skipped_count", "errors"]
                )
    except Exception:
        logger.exception("roll %s failed", roll_id)
        with transaction.atomic():
            AssessmentRoll.objects.filter(pk=roll_id).update(
                status=RollStatus.FAILED, finished_at=timezone.now()
            )
        raise
    with transaction.atomic():
        roll = AssessmentRoll.objects.select_for_update().get(pk=roll_id)
        roll.status = RollStatus.DONE
        roll.finished_at = timezone.now()
        roll.save(update_fields=["status", "finished_at"])
        record_event(
            action="tax.roll_processed",
            object_type="roll",
            object_ref=str(roll.pk),
            actor=agent,
            organisation=roll.tax_office,
            detail={
                "created": roll.created_count,
                "skipped": roll.skipped_count,
                "errors": len(roll.errors),
            },
        )
    return roll
