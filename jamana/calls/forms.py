from __future__ import annotations

from typing import Any

from django import forms
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from jamana.calls.models import Application, DiplomaLevel


class ApplicationForm(forms.Form):
    """What the applicant fills in; the call's own questions are added as fields q_<code>."""

    post = forms.ChoiceField(label=_("Post applied for"))
    exam_centre = forms.TypedChoiceField(label=_("Exam centre"), coerce=int, required=False)
    diploma_level = forms.ChoiceField(
        label=_("Highest diploma"),
        choices=[("", "—"), *DiplomaLevel.choices],
        required=False,
    )
    declared_not_civil_servant = forms.BooleanField(
        label=_("I declare on my honour that I am not a civil servant"), required=False
    )

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        call = application.call
        language = translation.get_language() or "fr"
        self.fields["post"].choices = [  # type: ignore[attr-defined]
            (p.code, getattr(p, f"title_{language}", "") or p.title_fr) for p in call.posts.all()
        ]
        self.fields["exam_centre"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((c.pk, c.name) for c in call.centres.all()),
        ]
        if not call.exclude_civil_servants:
            del self.fields["declared_not_civil_servant"]
        self.initial.update(
            post=application.post.code,
            exam_centre=application.exam_centre_id,
            diploma_level=application.diploma_level,
            declared_not_civil_servant=application.declared_not_civil_servant,
        )
        for question in call.questions:
            labels = question.get("label") or {}
            self.fields[f"q_{question['code']}"] = forms.CharField(
                label=labels.get(language) or labels.get("fr") or question["code"],
                required=False,
                max_length=int(question.get("max_length") or 2000),
                widget=forms.Textarea(attrs={"rows": 3}),
            )
            self.initial[f"q_{question['code']}"] = application.answers.get(question["code"], "")

    def answers(self) -> dict[str, str]:
        return {
            name[2:]: value for name, value in self.cleaned_data.items() if name.startswith("q_")
        }


class UploadForm(forms.Form):
    kind = forms.CharField(widget=forms.HiddenInput)
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"))


class SignForm(forms.Form):
    code = forms.CharField(label=_("Code received by SMS"), max_length=8)
