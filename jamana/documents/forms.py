from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Document code or 2D seal"),
        max_length=4096,
        required=False,
        help_text=_(
            "The 9 characters printed under the title (e.g. 7K3-Q9P-X2M), or the text of the "
            "2D seal read by a scanner (it starts with JM1:)."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    document = forms.FileField(label=_("Or the PDF file"), required=False)

    def clean_document(self):
        upload = self.cleaned_data.get("document")
        if upload and upload.size > settings.MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _("The file is too large (at most %(mb)s MB)."),
                params={"mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024)},
            )
        return upload

    def clean(self) -> dict:
        data = super().clean() or {}
        if not data.get("code") and not data.get("document") and not self.errors:
            raise forms.ValidationError(_("Type the document code or choose its PDF file."))
        return data


class RevokeDocumentForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revocation"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
