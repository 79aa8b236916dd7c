from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jamana.civil.actions import BirthFacts, Judgment, ParentInput
from jamana.civil.models import DeclarantRole, MentionKind, RegistryCentre
from jamana.identity.models import Sex


class CentreChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.organisation.name)


class BirthFactsForm(forms.Form):
    centre = CentreChoiceField(
        queryset=RegistryCentre.objects.none(), label=_("Civil registry centre")
    )
    health_notice_number = forms.CharField(
        label=_("Birth notice number (health facility)"),
        max_length=32,
        required=False,
        help_text=_("The number of the notice given by the maternity, if there is one."),
    )
    child_given_names = forms.CharField(label=_("Child's given names"), max_length=150)
    child_family_name = forms.CharField(label=_("Child's family name"), max_length=150)
    child_sex = forms.ChoiceField(
        label=_("Child's sex"), choices=Sex.choices, widget=forms.RadioSelect
    )
    birth_date = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    birth_time = forms.TimeField(
        label=_("Time of birth"), required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    birth_place = forms.CharField(
        label=_("Place of birth"),
        max_length=200,
        help_text=_("Health facility, neighbourhood or village."),
    )
    father_name = forms.CharField(label=_("Father's name"), max_length=200, required=False)
    father_nina = forms.CharField(label=_("Father's NINA"), max_length=16, required=False)
    father_profession = forms.CharField(
        label=_("Father's profession"), max_length=120, required=False
    )
    father_domicile = forms.CharField(label=_("Father's domicile"), max_length=200, required=False)
    mother_name = forms.CharField(label=_("Mother's name"), max_length=200)
    mother_nina = forms.CharField(label=_("Mother's NINA"), max_length=16, required=False)
    mother_profession = forms.CharField(
        label=_("Mother's profession"), max_length=120, required=False
    )
    mother_domicile = forms.CharField(label=_("Mother's domicile"), max_length=200, required=False)
    declarant_role = forms.ChoiceField(label=_("You are the child's"), choices=[])
    declarant_name = forms.CharField(label=_("Declarant's name"), max_length=200, required=False)
    declarant_phone = forms.CharField(
        label=_("Declarant's phone"),
        max_length=20,
        required=False,
        help_text=_("The SMS about the act is sent to this number."),
    )

    def __init__(
        self, *args: Any, centres: list[RegistryCentre], counter: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["centre"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for mypy)
        field.queryset = RegistryCentre.objects.filter(
            pk__in=[c.pk for c in centres]
        ).select_related("organisation")
        if len(centres) == 1:
            field.initial = centres[0].pk
        role = self.fields["declarant_role"]
        assert isinstance(role, forms.ChoiceField)  # noqa: S101
        if counter:
            role.label = _("Declarant")
            role.choices = DeclarantRole.choices
        else:
            role.choices = [
                (DeclarantRole.FATHER, _("Father")),
                (DeclarantRole.MOTHER, _("Mother")),
            ]
            del self.fields["declarant_name"]

    def facts(self) -> BirthFacts:
        data = self.cleaned_data
        return BirthFacts(
            child_given_names=data["child_given_names"],
            child_family_name=data["child_family_name"],
            child_sex=data["child_sex"],
            birth_date=data["birth_date"],
            birth_time=data.get("birth_time"),
            birth_commune=None,
            birth_place=data["birth_place"],
            father=ParentInput(
                name=data["father_name"],
                nina=data["father_nina"],
                profession=data["father_profession"],
                domicile=data["father_domicile"],
            ),
            mother=ParentInput(
                name=data["mother_name"],
                nina=data["mother_nina"],
                profession=data["mother_profession"],
                domicile=data["mother_domicile"],
            ),
            declarant_name=data.get("declarant_name", ""),
            declarant_role=data["declarant_role"],
            declarant_phone=data["declarant_phone"],
            health_notice_number=data.get("health_notice_number", ""),
        )


class JudgmentForm(BirthFactsForm):
    court = forms.CharField(label=_("Court"), max_length=200)
    judgment_date = forms.DateField(
        label=_("Date of the judgment"), widget=forms.DateInput(attrs={"type": "date"})
    )
    judgment_number = forms.CharField(label=_("Number of the judgment"), max_length=64)

    def __init__(self, *args: Any, centres: list[RegistryCentre], **kwargs: Any) -> None:
        super().__init__(*args, centres=centres, counter=True, **kwargs)
        del self.fields["health_notice_number"]
        for name in ("declarant_role", "declarant_name", "declarant_phone"):
            self.fields[name].required = False
        role = self.fields["declarant_role"]
        assert isinstance(role, forms.ChoiceField)  # noqa: S101
        role.choices = [("", "—"), *DeclarantRole.choices]

    def judgment(self) -> Judgment:
        data = self.cleaned_data
        return Judgment(
            court=data["court"], date=data["judgment_date"], number=data["judgment_number"]
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class MentionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of mention"), choices=MentionKind.choices)
    text = forms.CharField(label=_("Text of the mention"), widget=forms.Textarea(attrs={"rows": 3}))
    legal_reference = forms.CharField(label=_("Legal reference"), max_length=200)
    authority_reference = forms.CharField(
        label=_("Decision or act it comes from"), max_length=200, required=False
    )
    effective_on = forms.DateField(
        label=_("Date of the fact"), widget=forms.DateInput(attrs={"type": "date"})
    )
    cancels = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ActSearchForm(forms.Form):
    centre = CentreChoiceField(queryset=RegistryCentre.objects.none(), label=_("Centre"))
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1900, max_value=2100)
    number = forms.IntegerField(label=_("Act number"), required=False, min_value=1)
    name = forms.CharField(label=_("Name"), max_length=100, required=False)

    def __init__(self, *args: Any, centres: list[RegistryCentre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["centre"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = RegistryCentre.objects.filter(pk__in=[c.pk for c in centres])
        if centres:
            field.initial = centres[0].pk
