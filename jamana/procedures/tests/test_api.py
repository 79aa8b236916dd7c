"""The public JSON API v1 and its OpenAPI document."""

from __future__ import annotations

import pytest

from jamana.core.references import format_reference
from jamana.procedures import actions

pytestmark = pytest.mark.django_db
BACKEND = "jamana.identity.backends.AccountBackend"


def test_openapi_document_is_served(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/services" in schema["paths"]


def test_catalogue_in_the_requested_language(client, service):
    client.cookies["jamana_language"] = "bm"
    services = client.get("/api/v1/services").json()
    assert services[0]["title"] == "Sɛbɛn kopi"
    assert services[0]["fee_xof"] == 500


def test_request_status_for_its_owner_only(client, citizen, other_citizen, service):
    request = actions.check_submit_request(account=citizen, service_code=service.code)
    ref = format_reference(request.reference)
    assert client.get(f"/api/v1/me/requests/{ref}").status_code == 401
    client.force_login(citizen, backend=BACKEND)
    body = client.get(f"/api/v1/me/requests/{ref}").json()
    assert body["status"] == "awaiting_payment"
    assert [e["to_status"] for e in body["timeline"]] == ["draft", "submitted", "awaiting_payment"]
    client.force_login(other_citizen, backend=BACKEND)
    response = client.get(f"/api/v1/me/requests/{ref}")
    assert response.status_code == 404
    assert response.json()["code"] == "request_not_found"
