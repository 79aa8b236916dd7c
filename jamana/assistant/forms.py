from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from jamana.assistant.actions import MAX_ANSWER, MAX_QUESTION


class HandOverForm(forms.Form):
    question = forms.CharField(
        label=_("Your question"), max_length=MAX_QUESTION, widget=forms.Textarea(attrs={"rows": 3})
    )
    procedure = forms.ChoiceField(label=_("It is about"), required=False)
    phone = forms.CharField(
        label=_("Phone number for the answer"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Answer (sent by SMS)"),
        max_length=MAX_ANSWER,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_ANSWER}),
    )


class TransferForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Send to"))
