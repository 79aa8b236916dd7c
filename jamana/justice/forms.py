from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jamana.identity.models import Organisation, OrganisationKind
from jamana.justice.actions import SENTENCE_KINDS, ConvictionInput, SentenceInput
from jamana.justice.models import EventKind, OffenceCategory

SENTENCE_CHOICES = [
    ("imprisonment", _("Imprisonment")),
    ("fine", _("Fine")),
    ("community_service", _("Community service")),
    ("suspended_licence", _("Suspension of a licence")),
    ("educational_measure", _("Educational measure (minor)")),
    ("other_penalty", _("Other penalty")),
]
if {code for code, _label in SENTENCE_CHOICES} != set(SENTENCE_KINDS):  # kept in step
    raise RuntimeError("SENTENCE_CHOICES and SENTENCE_KINDS differ")


class FindPersonForm(forms.Form):
    nina = forms.CharField(label=_("NINA"), max_length=20, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    given_names = forms.CharField(label=_("Given names"), max_length=150, required=False)
    birth_year = forms.IntegerField(label=_("Year of birth"), required=False, min_value=1900)


class ConvictionForm(forms.Form):
    court = forms.ModelChoiceField(
        queryset=Organisation.objects.filter(kind=OrganisationKind.COURT),
        label=_("Court that pronounced it"),
    )
    decided_on = forms.DateField(
        label=_("Date of the decision"), widget=forms.DateInput(attrs={"type": "date"})
    )
    decision_number = forms.CharField(label=_("Decision number"), max_length=64)
    offence_label = forms.CharField(label=_("Offence"), max_length=255)
    offence_reference = forms.CharField(label=_("Legal reference of the offence"), max_length=255)
    category = forms.ChoiceField(label=_("Category"), choices=OffenceCategory.choices)
    sentence_kind = forms.ChoiceField(label=_("Sentence"), choices=SENTENCE_CHOICES)
    months = forms.IntegerField(label=_("Length (months)"), required=False, min_value=1)
    suspended = forms.BooleanField(label=_("Suspended (sursis)"), required=False)
    amount_xof = forms.IntegerField(
        label=_("Amount of the fine (FCFA)"), required=False, min_value=1
    )
    description = forms.CharField(
        label=_("Details of the sentence"), max_length=255, required=False
    )
    final = forms.BooleanField(
        label=_("Final (no ordinary appeal left)"), required=False, initial=True
    )
    minor_at_offence = forms.BooleanField(
        label=_("Minor at the time of the offence"), required=False
    )
    by_default = forms.BooleanField(label=_("Judgment by default"), required=False)
    court_ordered_b3 = forms.BooleanField(
        label=_("The court ordered it on bulletin no. 3"), required=False
    )

    def conviction(self) -> ConvictionInput:
        data = self.cleaned_data
        return ConvictionInput(
            court=data["court"],
            decided_on=data["decided_on"],
            decision_number=data["decision_number"],
            offence_label=data["offence_label"],
            offence_reference=data["offence_reference"],
            category=data["category"],
            sentences=(
                SentenceInput(
                    kind=data["sentence_kind"],
                    months=data["months"],
                    suspended=data["suspended"],
                    amount_xof=data["amount_xof"],
                    description=data["description"],
                ),
            ),
            final=data["final"],
            minor_at_offence=data["minor_at_offence"],
            by_default=data["by_default"],
            court_ordered_b3=data["court_ordered_b3"],
        )


class EventForm(forms.Form):
    conviction = forms.CharField(widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("Event"), choices=EventKind.choices)
    on = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    reference = forms.CharField(label=_("Decision or text"), max_length=200)
    note = forms.CharField(
        label=_("Note (required for a cancellation)"), max_length=500, required=False
    )
    new_months = forms.IntegerField(
        label=_("New prison sentence on appeal (months)"), required=False, min_value=1
    )
    new_suspended = forms.BooleanField(label=_("New sentence suspended"), required=False)
    quashed = forms.BooleanField(label=_("Conviction quashed"), required=False)

    def new_sentences(self) -> tuple[SentenceInput, ...] | None:
        months = self.cleaned_data.get("new_months")
        if not months:
            return None
        return (
            SentenceInput(
                kind="imprisonment", months=months, suspended=self.cleaned_data["new_suspended"]
            ),
        )


class RuleChangeForm(forms.Form):
    parameter = forms.ChoiceField(label=_("Rule"), choices=[])
    value = forms.CharField(label=_("New value"), max_length=50)
    reason = forms.CharField(
        label=_("Reason and legal basis"), widget=forms.Textarea(attrs={"rows": 3})
    )
    valid_from = forms.DateField(
        label=_("In force from"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, parameters: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["parameter"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101
        field.choices = [(p, p) for p in parameters]
