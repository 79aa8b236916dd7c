"""Birth certificates: the extract (volet III) and the full copy of an act, with its marginal
mentions, as sealed documents — requested online through the shared request lifecycle, or
printed at a counter for someone without a phone."""

from __future__ import annotations

from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from jamana.audit.actions import record_access, record_event
from jamana.civil import rules
from jamana.civil.access import access_centre_for_agent, access_own_act
from jamana.civil.actions import CivilError
from jamana.civil.models import BirthAct, DeclarantRole, MarginalMention, RegistryCentre
from jamana.core.errors import NotFound
from jamana.documents.models import Document
from jamana.identity.models import Account, Sex, format_partial_date
from jamana.identity.permissions import ISSUE_CIVIL_CERTIFICATE
from jamana.procedures.models import ServiceRequest

SERVICE_CODES = {rules.EXTRACT: "civil.birth_extract", rules.FULL_COPY: "civil.birth_copy"}
DOCUMENT_KINDS = {rules.EXTRACT: "birth_extract", rules.FULL_COPY: "birth_full_copy"}
#: Certificates are drawn up in French, the language of the registers.
CERTIFICATE_LANGUAGE = "fr"


def _kind(kind: str) -> str:
    if kind not in SERVICE_CODES:
        raise CivilError("invalid_certificate_kind", _("Unknown kind of birth certificate."))
    return kind


def check_request_certificate(*, account: Account, act_id: int, kind: str) -> ServiceRequest:
    """The person (or a parent, for a minor) asks for an extract or a full copy. The request
    goes to the centre that holds the act; once paid (the extract is free) it is issued by the
    worker within seconds."""
    from jamana.procedures.actions import check_submit_request

    kind = _kind(kind)
    act = access_own_act(account, act_id, timezone.localdate())
    return check_submit_request(
        account=account,
        service_code=SERVICE_CODES[kind],
        details={"act": act.pk, "kind": kind},
        applicant=account.person,
        organisation=act.centre.organisation,
        area=act.centre.commune,
    )


def fulfil_certificate_request(request: ServiceRequest) -> None:
    """Issue the certificate of a request in review and close it (called by the procedures
    worker). Running twice issues one document."""
    from jamana.procedures.actions import do_issue_request

    if "act" not in request.details:
        return  # not about an act of the digital register: an agent handles it
    kind = _kind(str(request.details.get("kind", "")))
    act = _act(int(request.details["act"]))
    document = Document.objects.filter(request=request, kind=DOCUMENT_KINDS[kind]).first()
    if document is None:
        with transaction.atomic():
            document = issue_certificate(act=act, kind=kind, request=request, actor=None)
    do_issue_request(
        reference=request.reference,
        reason=f"{document.title} {document.number}",
    )


def _act(act_id: int) -> BirthAct:
    act = (
        BirthAct.objects.select_related("centre", "centre__organisation", "birth_commune", "person")
        .filter(pk=act_id)
        .first()
    )
    if act is None:
        raise NotFound("act_not_found", _("No birth act with this number."))
    return act


def check_issue_certificate_at_counter(
    *, agent: Account, centre: RegistryCentre, act: BirthAct, kind: str
) -> Document:
    """An agent prints a certificate for someone at the counter. Any registry centre may
    deliver copies of any act now that registers are shared; the read is shown to the person
    in "who accessed my data"."""
    kind = _kind(kind)
    access_centre_for_agent(agent, centre, ISSUE_CIVIL_CERTIFICATE)
    with transaction.atomic():
        document = issue_certificate(act=act, kind=kind, request=None, actor=agent, issuer=centre)
        record_access(
            person=act.person,
            object_type="birth_act",
            object_ref=document.number,
            purpose="birth certificate at the counter",
            actor=agent,
            organisation=centre.organisation,
        )
    return document


def issue_certificate(
    *,
    act: BirthAct,
    kind: str,
    request: ServiceRequest | None,
    actor: Account | None,
    issuer: RegistryCentre | None = None,
) -> Document:
    from jamana.documents.actions import issue_document

    fields, paragraphs = certificate_content(act, kind)
    document = issue_document(
        kind=DOCUMENT_KINDS[kind],
        issuer=(issuer or act.centre).organisation,
        holder=act.person.merged_into or act.person,
        holder_name=act.child_name,
        fields=fields,
        paragraphs=paragraphs,
        request=request,
        language=CERTIFICATE_LANGUAGE,
        actor=actor,
    )
    record_event(
        action="civil.certificate_issued",
        object_type="birth_act",
        object_ref=f"{act.centre.organisation.code}/{act.year}/{act.number}",
        actor=actor,
        organisation=(issuer or act.centre).organisation,
        detail={"document": document.number, "kind": kind},
    )
    return document


def active_mentions(act: BirthAct) -> list[MarginalMention]:
    """Mentions as printed: a cancelled mention and its cancellation are both shown, so the
    copy tells the whole story."""
    return list(act.mentions.select_related("cancels").order_by("recorded_at", "pk"))


def certificate_content(act: BirthAct, kind: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The lines of the certificate, in the registers' language."""
    with translation.override(CERTIFICATE_LANGUAGE):
        born = format_partial_date(act.birth_date, act.birth_date_precision)
        if act.birth_time:
            born = gettext("%(date)s at %(time)s") % {
                "date": born,
                "time": act.birth_time.strftime("%H:%M"),
            }
        place = act.birth_place
        if act.birth_commune is not None and act.birth_commune.name not in place:
            place = f"{place} ({act.birth_commune.name})"
        fields: list[tuple[str, str]] = [
            (gettext("Birth act no."), act.register_number),
            (gettext("Civil registry centre"), act.centre.organisation.name),
            (gettext("Family name"), act.child_family_name),
            (gettext("Given names"), act.child_given_names),
            (gettext("Sex"), str(Sex(act.child_sex).label) if act.child_sex in Sex.values else ""),
            (gettext("Born on"), born),
            (gettext("Place of birth"), place),
            (gettext("Father"), act.father_name or "—"),
            (gettext("Mother"), act.mother_name or "—"),
        ]
        if kind == rules.FULL_COPY:
            fields += [
                (gettext("Father's profession"), act.father_profession or "—"),
                (gettext("Father's domicile"), act.father_domicile or "—"),
                (gettext("Mother's profession"), act.mother_profession or "—"),
                (gettext("Mother's domicile"), act.mother_domicile or "—"),
                (gettext("Declarant"), _declarant(act)),
                (gettext("Civil registrar"), act.officer_name),
            ]
        fields.append((gettext("Act drawn up on"), formats.date_format(act.drawn_up_on, "j F Y")))
        paragraphs = []
        if act.judgment_number and act.judgment_date:
            paragraphs.append(
                gettext(
                    "Act drawn up on the jugement supplétif no. %(number)s of %(date)s, %(court)s."
                )
                % {
                    "number": act.judgment_number,
                    "date": formats.date_format(act.judgment_date, "j F Y"),
                    "court": act.judgment_court,
                }
            )
        mentions = active_mentions(act)
        if mentions:
            paragraphs.append(gettext("Marginal mentions:"))
            paragraphs += [_mention_line(m) for m in mentions]
        else:
            paragraphs.append(gettext("Marginal mentions: none."))
    return fields, paragraphs


def _declarant(act: BirthAct) -> str:
    if not act.declarant_name:
        return "—"
    role = (
        str(DeclarantRole(act.declarant_role).label)
        if act.declarant_role in DeclarantRole.values
        else ""
    )
    return f"{act.declarant_name} ({role})" if role else act.declarant_name


def _mention_line(mention: MarginalMention) -> str:
    line = gettext("%(date)s — %(kind)s: %(text)s (%(reference)s)") % {
        "date": formats.date_format(mention.effective_on, "j F Y"),
        "kind": mention.get_kind_display(),
        "text": mention.text,
        "reference": ", ".join(
            part for part in (mention.legal_reference, mention.authority_reference) if part
        ),
    }
    if mention.cancels_id:
        line += " " + gettext("[cancels the mention of %(date)s]") % {
            "date": formats.date_format(mention.cancels.effective_on, "j F Y")  # type: ignore[union-attr]
        }
    return line
