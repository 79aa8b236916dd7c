from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from jamana.core.errors import NotFound
from jamana.core.references import InvalidReference, parse_reference
from jamana.documents.models import Document
from jamana.identity.models import Account


def list_my_documents(account: Account) -> QuerySet[Document]:
    """Documents held by the account's person, and those the account asked for on someone's
    behalf (a parent's request for a minor child's birth certificate)."""
    if account.person_id is None:
        return Document.objects.none()
    return (
        Document.objects.filter(Q(holder_id=account.person_id) | Q(request__submitted_by=account))
        .select_related("issuer")
        .order_by("-issued_at")
    )


def access_own_document(account: Account, typed_number: str) -> Document:
    """The holder's own document; anyone else's is reported as missing."""
    try:
        number = parse_reference(typed_number)
    except InvalidReference:
        raise NotFound("document_not_found", _("No document with this number.")) from None
    document = list_my_documents(account).filter(number=number).first()
    if document is None:
        raise NotFound("document_not_found", _("No document with this number."))
    return document
