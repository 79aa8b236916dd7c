from __future__ import annotations

from django.db.models import Q, QuerySet

from jamana.identity.models import Account, Organisation
from jamana.procedures.models import RequestEvent, Service, ServiceRequest


def list_services(*, active_only: bool = True) -> QuerySet[Service]:
    services = Service.objects.select_related("organisation")
    return services.filter(is_active=True) if active_only else services


def get_service(code: str) -> Service | None:
    return list_services().filter(code=code).first()


def list_my_requests(account: Account) -> QuerySet[ServiceRequest]:
    """The citizen's "Mes démarches": requests they submitted or that concern them."""
    condition = Q(submitted_by=account)
    if account.person_id:
        condition |= Q(applicant_id=account.person_id)
    return (
        ServiceRequest.objects.filter(condition)
        .select_related("service")
        .order_by("-created_at", "-pk")
    )


def list_work_queue(
    *,
    organisations: list[Organisation],
    status: str = "",
    service_code: str = "",
    assigned_to: Account | None = None,
    overdue_before: object = None,
) -> QuerySet[ServiceRequest]:
    """An organisation's cases. Lists carry no personal data (no names), so reading the
    queue is not an access to anyone's data; opening a case is."""
    queue = ServiceRequest.objects.filter(organisation__in=organisations).exclude(status="draft")
    if status:
        queue = queue.filter(status=status)
    if service_code:
        queue = queue.filter(service__code=service_code)
    if assigned_to is not None:
        queue = queue.filter(assigned_to=assigned_to)
    if overdue_before is not None:
        queue = queue.filter(due_at__lt=overdue_before, closed_at__isnull=True)
    return queue.select_related("service", "assigned_to").order_by("submitted_at", "pk")


def list_timeline(request: ServiceRequest) -> QuerySet[RequestEvent]:
    return request.events.select_related("actor", "organisation").order_by("at", "pk")


def get_request_submitted_by(account: Account, reference: str) -> ServiceRequest | None:
    """The request with ``reference`` (already parsed) if ``account`` submitted it. For channels
    that prove only a phone number (an inbound SMS): anyone else's request is None, exactly like
    a reference that does not exist, so that references cannot be probed."""
    return (
        ServiceRequest.objects.select_related("service")
        .filter(reference=reference, submitted_by=account)
        .exclude(status="draft")
        .first()
    )
