from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jamana.identity.models import Sex


class SignInForm(forms.Form):
    identifier = forms.CharField(
        label=_("Phone number or NINA"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "text"}),
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Code received by SMS"),
        regex=r"^\s*\d{6}\s*$",
        max_length=8,
        error_messages={"invalid": _("The code has 6 digits.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )


class ResetRequestForm(forms.Form):
    identifier = forms.CharField(label=_("Phone number or NINA"), max_length=32)


class ResetForm(CodeForm):
    new_password = forms.CharField(
        label=_("New password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )


class SignUpForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    nina = forms.CharField(
        label=_("NINA (if you have one)"),
        max_length=20,
        required=False,
    )
    given_names = forms.CharField(label=_("Given names"), max_length=150, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=150, required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=Sex.choices)
    birth_date = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if not data.get("nina") and not (data.get("given_names") or data.get("family_name")):
            raise forms.ValidationError(_("Give your NINA, or at least one name."))
        return data


class PersonLookupForm(forms.Form):
    nina = forms.CharField(label=_("NINA"), max_length=20)
    purpose = forms.CharField(
        label=_("Why are you opening this record?"),
        max_length=200,
        help_text=_("The person will see this reason."),
    )
