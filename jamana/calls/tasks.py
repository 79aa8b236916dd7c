from __future__ import annotations

from django_tasks import task

from jamana.calls.actions import do_issue_receipt, do_scan_document


@task()
def scan_document(document_id: int) -> None:
    """Scan an uploaded file for malware (ClamAV)."""
    do_scan_document(document_id)


@task()
def issue_receipt(reference: str) -> None:
    """Issue the sealed receipt of a submitted application."""
    do_issue_receipt(reference)
