from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jamana.identity.models import Organisation
from jamana.payments.views import PayForm


class PayAssessmentForm(PayForm):
    """How much of the assessment to pay now (whole francs), then how, as for a request."""

    def __init__(self, *args: Any, remaining_xof: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount_xof"] = forms.IntegerField(
            label=_("Amount to pay (FCFA)"),
            min_value=1,
            max_value=remaining_xof,
            initial=remaining_xof,
            help_text=_("You may pay part of it now and the rest later."),
        )
        self.order_fields(["amount_xof", "provider", "phone"])


class RollUploadForm(forms.Form):
    tax_office = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Tax office"))
    file = forms.FileField(
        label=_("Roll file (CSV)"),
        help_text=_(
            "Columns: nif, tax, year, then as needed subject, category, engine_cc, fiscal_power, "
            "acquired_on, turnover, activity, started_on, exemptions, due_date."
        ),
    )

    def __init__(self, *args: Any, offices: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["tax_office"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for mypy)
        field.queryset = Organisation.objects.filter(pk__in=[o.pk for o in offices])
        if len(offices) == 1:
            field.initial = offices[0].pk
