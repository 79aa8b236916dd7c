from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django import forms
from django.core.validators import MaxValueValidator
from django.db.models import QuerySet
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _

from jamana.core.errors import JamanaError
from jamana.core.models import AdminArea
from jamana.core.money import format_xof
from jamana.core.phones import InvalidPhoneNumber, normalize_phone
from jamana.core.references import format_reference
from jamana.identity.models import Organisation
from jamana.payments.views import PayForm
from jamana.tax.models import Assessment, AssessmentStatus, TaxCode, TaxpayerKind
from jamana.tax.rules import TdrlExemption, VehicleCategory


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


# ---------------------------------------------------------------- tax officer's desk


class ActionForm(forms.Form):
    """A form whose action may refuse (``JamanaError``): the refusal is shown on the field it
    concerns (``error_fields``, by error code), else above the form."""

    error_fields: ClassVar[dict[str, str]] = {}

    def add_action_error(self, error: JamanaError) -> None:
        self.add_error(self.error_fields.get(error.code), error.message)


class FindTaxpayerForm(forms.Form):
    nif = forms.CharField(label=_("Tax identification number"), max_length=20)


class FindPersonForm(ActionForm):
    error_fields: ClassVar[dict[str, str]] = {"invalid_nina": "nina", "unknown_nina": "nina"}

    nina = forms.CharField(label=_("NINA"), max_length=20)


class CommuneChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # Several communes share a name (Benkadi, Diédougou…): show where each one is.
        return f"{obj.name} ({obj.parent.name})" if obj.parent_id else str(obj.name)


class OpenTaxpayerForm(ActionForm):
    error_fields: ClassVar[dict[str, str]] = {
        "invalid_nina": "nina",
        "unknown_nina": "nina",
        "person_required": "nina",
        "taxpayer_exists": "nina",
        "business_name_required": "business_name",
        "invalid_kind": "kind",
        "not_a_tax_office": "tax_office",
    }

    kind = forms.ChoiceField(
        label=_("Kind of account"),
        choices=TaxpayerKind.choices,
        initial=TaxpayerKind.PERSON,
        widget=forms.RadioSelect,
    )
    nina = forms.CharField(
        label=_("NINA"),
        max_length=20,
        required=False,
        help_text=_(
            "The person's NINA. For a business, the owner's NINA when it is an individual "
            "business; leave it empty otherwise."
        ),
    )
    business_name = forms.CharField(label=_("Business name"), max_length=200, required=False)
    tax_office = forms.ModelChoiceField(queryset=Organisation.objects.none(), label=_("Tax office"))
    commune = CommuneChoiceField(queryset=AdminArea.objects.none(), label=_("Commune"))
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=20,
        required=False,
        help_text=_("Leave empty to use the person's phone number."),
    )

    def __init__(
        self,
        *args: Any,
        offices: list[Organisation],
        communes: QuerySet[AdminArea],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        office_field = self.fields["tax_office"]
        commune_field = self.fields["commune"]
        assert isinstance(office_field, forms.ModelChoiceField)  # noqa: S101 (narrowing for mypy)
        assert isinstance(commune_field, forms.ModelChoiceField)  # noqa: S101 (narrowing for mypy)
        office_field.queryset = Organisation.objects.filter(pk__in=[o.pk for o in offices])
        if len(offices) == 1:
            office_field.initial = offices[0].pk
        commune_field.queryset = communes

    def clean_phone(self) -> str:
        phone: str = self.cleaned_data["phone"].strip()
        if not phone:
            return ""
        try:
            return normalize_phone(phone)
        except InvalidPhoneNumber:
            raise forms.ValidationError(_("This phone number is not valid.")) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == TaxpayerKind.PERSON and not data.get("nina"):
            self.add_error("nina", _("Enter the person's NINA."))
        return data


# Labels for the exemptions a person proves (CGI art. 153); the age ones are computed.
TDRL_EXEMPTION_LABELS: dict[str, Any] = {
    TdrlExemption.MILITARY: _("Enlisted soldier (homme de troupe)"),
    TdrlExemption.INDIGENT: _("Indigent, on a decision of the village or quarter chief or mayor"),
    TdrlExemption.STUDENT: _("Full-time pupil or student"),
    TdrlExemption.WORK_DISABILITY: _("Work disability rated 50 percent or more"),
    TdrlExemption.SOCIAL_DISEASE: _("Under regular treatment for a social disease"),
    TdrlExemption.FOREIGN_DIPLOMAT: _("Diplomatic or consular agent of a foreign country"),
    TdrlExemption.MOTHER_OF_FOUR: _("Woman who has given birth at least four times"),
}
VEHICLE_CATEGORY_LABELS: dict[str, Any] = {
    VehicleCategory.MOTO: _("Motorcycle"),
    VehicleCategory.VOITURE_PARTICULIERE: _("Private car"),
    VehicleCategory.TRANSPORT: _("Public transport vehicle (TTR)"),
}
# A rule table's code without a label here fails at import, not on an officer's screen.
TDRL_EXEMPTION_CHOICES = [(e.value, TDRL_EXEMPTION_LABELS[e]) for e in TdrlExemption]
VEHICLE_CATEGORY_CHOICES = [(c.value, VEHICLE_CATEGORY_LABELS[c]) for c in VehicleCategory]

_DATE = forms.DateInput(attrs={"type": "date"})


class AssessForm(ActionForm):
    """One tax for one year, with the details its rules read (the others are ignored)."""

    error_fields: ClassVar[dict[str, str]] = {
        "unknown_tax": "tax",
        "tdrl_person_only": "tax",
        "tax_rule_not_found": "year",
        "turnover_required": "turnover",
    }
    COMMON = ("tax", "year", "due_date")
    # ``subject`` is what is taxed when a taxpayer has several: only vehicles, by plate.
    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        TaxCode.TDRL: ("exemptions",),
        TaxCode.VIGNETTE: ("subject", "category", "engine_cc", "fiscal_power", "acquired_on"),
        TaxCode.IMPOT_SYNTHETIQUE: ("turnover", "activity", "started_on"),
    }

    tax = forms.ChoiceField(label=_("Tax"), choices=TaxCode.choices)
    year = forms.IntegerField(label=_("Tax year"), min_value=2000)
    subject = forms.CharField(label=_("Vehicle plate"), max_length=32, required=False)
    due_date = forms.DateField(
        label=_("Due date"),
        required=False,
        widget=_DATE,
        help_text=_("Used only when the tax's rules set none (the TDRL's is the mairie's roll's)."),
    )
    exemptions = forms.MultipleChoiceField(
        label=_("Proven exemptions"),
        choices=TDRL_EXEMPTION_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The exemptions by age are computed from the date of birth."),
    )
    category = forms.ChoiceField(
        label=_("Vehicle category"),
        choices=[("", "—"), *VEHICLE_CATEGORY_CHOICES],
        required=False,
    )
    engine_cc = forms.IntegerField(
        label=_("Engine size (cm³)"),
        min_value=1,
        required=False,
        help_text=_("For a motorcycle."),
    )
    fiscal_power = forms.IntegerField(
        label=_("Fiscal power (CV)"),
        min_value=1,
        required=False,
        help_text=_("For a car or a public transport vehicle."),
    )
    acquired_on = forms.DateField(
        label=_("Acquired on"),
        required=False,
        widget=_DATE,
        help_text=_("A vehicle acquired after the due date owes its vignette from that day."),
    )
    turnover = forms.IntegerField(
        label=_("Yearly turnover excluding tax (FCFA)"), min_value=0, required=False
    )
    activity = forms.CharField(
        label=_("Activity code (DGI tariff)"),
        max_length=64,
        required=False,
        help_text=_("Leave empty for the tariff common to all activities."),
    )
    started_on = forms.DateField(label=_("Activity started on"), required=False, widget=_DATE)

    def __init__(self, *args: Any, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        year = self.fields["year"]
        assert isinstance(year, forms.IntegerField)  # noqa: S101 (narrowing for mypy)
        year.initial = today.year
        year.max_value = today.year + 1
        year.validators.append(MaxValueValidator(today.year + 1))
        year.widget.attrs["max"] = today.year + 1

    def fieldsets(self) -> list[tuple[str, list[BoundField]]]:
        """The common fields, then one group per tax (legend: the tax's name)."""
        groups = [("", [self[name] for name in self.COMMON])]
        for tax, label in TaxCode.choices:
            groups.append((str(label), [self[name] for name in self.FIELDS[tax]]))
        return groups

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tax = data.get("tax")
        if tax == TaxCode.VIGNETTE:
            self._require(data, "subject", _("Enter the plate of the vehicle."))
            category = data.get("category")
            self._require(data, "category", _("Choose the vehicle category."))
            if category == VehicleCategory.MOTO:
                self._require(data, "engine_cc", _("Enter the engine size of the motorcycle."))
            elif category:
                self._require(data, "fiscal_power", _("Enter the fiscal power of the vehicle."))
        else:
            data["subject"] = ""
        if tax == TaxCode.IMPOT_SYNTHETIQUE:
            self._require(data, "turnover", _("Enter the yearly turnover."))
        return data

    def _require(self, data: dict[str, Any], name: str, message: Any) -> None:
        """What the chosen tax needs; a value already refused keeps its own error only."""
        if data.get(name) in (None, "") and name not in self.errors:
            self.add_error(name, message)

    def params(self) -> dict[str, Any]:
        """The chosen tax's details that were given, as ``check_assess`` takes them."""
        data = self.cleaned_data
        params: dict[str, Any] = {}
        for name in self.FIELDS[data["tax"]]:
            value = data.get(name)
            if name == "subject" or value is None or value in ("", []):
                continue
            params[name] = frozenset(value) if name == "exemptions" else value
        return params


def _assessment_choice(assessment: Assessment, amount_xof: int) -> tuple[str, str]:
    subject = f" {assessment.subject}" if assessment.subject else ""
    return (
        assessment.number,
        f"{format_reference(assessment.number)} — {assessment.get_tax_display()} "
        f"{assessment.year}{subject} — {format_xof(amount_xof)}",
    )


class CancelAssessmentForm(ActionForm):
    error_fields: ClassVar[dict[str, str]] = {
        "reason_required": "reason",
        "already_cancelled": "number",
        "assessment_not_found": "number",
    }

    number = forms.ChoiceField(label=_("Assessment"))
    # Required by the action, which says so in its own words.
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=255,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Money already paid stays recorded on the cancelled assessment."),
    )

    def __init__(self, *args: Any, assessments: list[Assessment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["number"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (narrowing for mypy)
        field.choices = [
            _assessment_choice(a, a.amount_xof)
            for a in assessments
            if a.status != AssessmentStatus.CANCELLED
        ]


class CounterPaymentForm(ActionForm):
    error_fields: ClassVar[dict[str, str]] = {
        "invalid_amount": "amount_xof",
        "nothing_to_pay": "number",
        "assessment_not_found": "number",
        "receipt_required": "receipt",
        "receipt_reused": "receipt",
    }

    number = forms.ChoiceField(label=_("Assessment (remaining to pay)"))
    amount_xof = forms.IntegerField(label=_("Amount received (FCFA)"), min_value=1)
    receipt = forms.CharField(label=_("Receipt number"), max_length=40)

    def __init__(self, *args: Any, assessments: list[Assessment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["number"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 (narrowing for mypy)
        field.choices = [
            _assessment_choice(a, a.remaining_xof)
            for a in assessments
            if a.status == AssessmentStatus.OPEN and a.remaining_xof > 0
        ]
