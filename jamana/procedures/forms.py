from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jamana.procedures.models import RequestStatus


class SubmitRequestForm(forms.Form):
    purpose = forms.CharField(
        label=_("Why do you need it? (optional)"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReceiptForm(forms.Form):
    receipt = forms.CharField(label=_("Receipt number"), max_length=40)


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))] + [c for c in RequestStatus.choices if c[0] != "draft"],
    )
    service = forms.ChoiceField(label=_("Service"), required=False, choices=[("", _("All"))])
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    reference = forms.CharField(label=_("Reference"), max_length=20, required=False)
