from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

_PIN_WIDGET = {
    "autocomplete": "off",
    "inputmode": "numeric",
    "pattern": "[0-9]{4}",
    "maxlength": "4",
}


class PinForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    pin = forms.CharField(
        label=_("New USSD PIN (4 digits)"),
        max_length=4,
        widget=forms.PasswordInput(attrs=_PIN_WIDGET),
    )
    pin_again = forms.CharField(
        label=_("The same PIN again"),
        max_length=4,
        widget=forms.PasswordInput(attrs=_PIN_WIDGET),
    )


class SimulatorForm(forms.Form):
    """The development simulator: a phone number and what is typed on its keypad."""

    phone = forms.CharField(label=_("Phone number"), max_length=20)
    value = forms.CharField(label=_("Your answer"), max_length=100, required=False)
    session_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    text = forms.CharField(widget=forms.HiddenInput, required=False, max_length=500)
