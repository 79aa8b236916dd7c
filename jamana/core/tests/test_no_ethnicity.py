"""DESIGN.md §5: no model, form or API has a field for race, ethnicity or religion."""

from __future__ import annotations

import re

from django.apps import apps

from jamana.config.api import api

FORBIDDEN = re.compile(r"(^|[_\s])(race|ethni\w*|tribe|caste|religio\w*)($|[_\s])", re.IGNORECASE)


def test_no_model_field_records_race_ethnicity_or_religion():
    offending = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        if model._meta.app_label not in {"auth", "contenttypes", "sessions"}
        for field in model._meta.get_fields()
        if FORBIDDEN.search(field.name) or FORBIDDEN.search(str(getattr(field, "verbose_name", "")))
    ]
    assert offending == []


def test_no_api_schema_property_records_race_ethnicity_or_religion():
    schema = api.get_openapi_schema()
    names = re.findall(r'"([A-Za-z_]+)":', str(schema).replace("'", '"'))
    assert not [n for n in names if FORBIDDEN.search(n)]
