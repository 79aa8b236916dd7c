"""Forms of the jury's and the officer's review pages. They only collect text; ``review``
validates (marks are parsed there, decimal comma included, so that one set of rules applies
to the web and to any other channel)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from jamana.calls.review import COMMENT_MAX_LENGTH, REASON_MAX_LENGTH, BlindCriterion

DEFAULT_DECLARATION = _(
    "I declare on my honour that I will examine the applications entrusted to me impartially, "
    "that I will recuse myself from any application where I have a family, personal or "
    "professional tie with the applicant, and that I will keep the work of the jury "
    "confidential."
)


class DeclarationForm(forms.Form):
    declaration = forms.CharField(
        label=_("Declaration of no conflict of interest"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["declaration"].initial = DEFAULT_DECLARATION


class MarksForm(forms.Form):
    """One field per criterion (``c_<code>``), then a comment."""

    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, criteria: tuple[BlindCriterion, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        comment = self.fields.pop("comment")
        for criterion in criteria:
            self.fields[f"c_{criterion.code}"] = forms.CharField(
                # Built per request, in the reader's language.
                label=f"{criterion.label} (0–{criterion.max})",
                max_length=12,
                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 6}),
            )
        self.fields["comment"] = comment

    def marks(self) -> dict[str, str]:
        return {
            name[2:]: value for name, value in self.cleaned_data.items() if name.startswith("c_")
        }


class ConflictForm(forms.Form):
    reason = forms.CharField(
        label=_("Why you cannot review this application"),
        help_text=_(
            "Seen only by the president of the jury. The application goes to another reviewer."
        ),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class EligibilityForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("eligible", _("Eligible")), ("ineligible", _("Not eligible"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason (what you checked)"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ExamMarksForm(forms.Form):
    subject = forms.ChoiceField(label=_("Subject"))
    lines = forms.CharField(
        label=_("Marks, one candidate per line"),
        help_text=_(
            "The candidate number, a semicolon, then the mark, e.g. “17;12,5”. A tab or a comma "
            "also separates (a column pasted from a spreadsheet). Absent candidates: no line."
        ),
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, subjects: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].choices = subjects  # type: ignore[attr-defined]
