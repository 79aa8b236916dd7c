"""Forms of the recruitment officer's pages. Questions, criteria and exam subjects are typed
one per line, columns separated by "|": no JavaScript, and a list can be pasted from a
spreadsheet or a previous call. The forms only parse; ``publishing`` validates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from jamana.calls.models import Call, CallKind, DiplomaLevel, DocumentKind, JuryRole
from jamana.calls.publishing import CALL_FIELDS, exam_centre_areas
from jamana.core.models import AdminArea
from jamana.identity.models import Organisation

YES = {"yes", "y", "oui", "o", "1", "true", "ɔwɔ"}
NO = {"no", "n", "non", "0", "false", "ayi", ""}

# (name, required) of each column, in order.
CRITERIA_COLUMNS = ("code", "fr", "bm", "en", "max", "weight")
SUBJECT_COLUMNS = ("code", "fr", "bm", "en", "max", "coefficient", "eliminatory")
QUESTION_COLUMNS = ("code", "fr", "bm", "en", "required", "max_length")
# Columns that may be left out at the end of a line (their default applies).
OPTIONAL_COLUMNS = {"weight", "coefficient", "eliminatory", "required", "max_length"}


def _whole_number(text: str, line: int) -> int:
    try:
        return int(text.replace("\u202f", "").replace(" ", ""))
    except ValueError:
        raise forms.ValidationError(
            _("Line %(line)s: “%(text)s” is not a whole number."),
            params={"line": line, "text": text},
        ) from None


def parse_rows(text: str, columns: tuple[str, ...]) -> list[dict[str, Any]]:
    """One item per non-empty line; the labels go into {"fr","bm","en"}, numbers are parsed,
    a missing optional column is left out so that its default applies."""
    items = []
    lines = [line for line in (text or "").splitlines() if line.strip()]
    for number, raw in enumerate(lines, start=1):
        cells = [cell.strip() for cell in raw.split("|")]
        required = [name for name in columns if name not in OPTIONAL_COLUMNS]
        if len(cells) < len(required) or len(cells) > len(columns):
            raise forms.ValidationError(
                _("Line %(line)s: give %(columns)s, separated by |."),
                params={"line": number, "columns": " | ".join(columns)},
            )
        item: dict[str, Any] = {"label": {}}
        for name, cell in zip(columns, cells, strict=False):
            if name in ("fr", "bm", "en"):
                item["label"][name] = cell
            elif name == "code":
                item["code"] = cell
            elif name == "required":
                if cell.lower() not in YES | NO:
                    raise forms.ValidationError(
                        _("Line %(line)s: answer required? Write yes or no."),
                        params={"line": number},
                    )
                item["required"] = cell.lower() in YES
            elif cell:
                item[name] = _whole_number(cell, number)
        items.append(item)
    return items


def format_rows(items: list[dict[str, Any]], columns: tuple[str, ...]) -> str:
    """The inverse of ``parse_rows``, to show a call's lists in its edit form."""
    lines = []
    for item in items:
        cells = []
        for name in columns:
            if name in ("fr", "bm", "en"):
                cells.append(item.get("label", {}).get(name, ""))
            elif name == "required":
                cells.append("yes" if item.get("required") else "no")
            else:
                value = item.get(name)
                cells.append("" if value is None else str(value))
        while cells and not cells[-1]:
            cells.pop()
        lines.append(" | ".join(cells))
    return "\n".join(lines)


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _rows_widget() -> forms.Textarea:
    return forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "rows"})


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class CallForm(forms.Form):
    organisation = OrganisationChoiceField(
        queryset=Organisation.objects.none(), label=_("Recruiting body")
    )
    code = forms.CharField(
        label=_("Code of the call"),
        max_length=32,
        help_text=_("Capital letters, digits and dashes, e.g. FP-2026-CAT-A. Notices cite it."),
    )
    kind = forms.ChoiceField(label=_("Kind of call"), choices=CallKind.choices)
    title_fr = forms.CharField(label=_("Title in French"), max_length=200)
    title_bm = forms.CharField(label=_("Title in Bambara"), max_length=200)
    title_en = forms.CharField(label=_("Title in English"), max_length=200)
    description_fr = forms.CharField(
        label=_("Description in French"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    description_bm = forms.CharField(
        label=_("Description in Bambara"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    description_en = forms.CharField(
        label=_("Description in English"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    opens_at = forms.DateTimeField(label=_("Applications open on"), widget=_datetime_widget())
    closes_at = forms.DateTimeField(
        label=_("Applications close on"),
        widget=_datetime_widget(),
        help_text=_("Bamako time. An application sent one second later is refused."),
    )
    fee_xof = forms.IntegerField(
        label=_("Application fee (CFA francs)"), min_value=0, initial=0, help_text=_("0: free.")
    )
    min_age = forms.IntegerField(label=_("Minimum age"), required=False, min_value=0)
    max_age = forms.IntegerField(label=_("Maximum age"), required=False, min_value=0)
    age_reference_date = forms.DateField(
        label=_("Ages counted on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Usually 31 December of the year of the competition."),
    )
    nationality_required = forms.BooleanField(
        label=_("Nationality of the country required"), required=False, initial=True
    )
    exclude_civil_servants = forms.BooleanField(
        label=_("Civil servants may not apply"), required=False
    )
    clean_record_required = forms.BooleanField(
        label=_("A criminal record without conviction is required"), required=False, initial=True
    )
    required_documents = forms.MultipleChoiceField(
        label=_("Documents required"),
        choices=DocumentKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The birth certificate, the criminal record extract and the certificate of "
            "nationality are fetched from the administrations that hold them: applicants do "
            "not upload them."
        ),
    )
    questions = forms.CharField(
        label=_("Questions asked to applicants"),
        required=False,
        widget=_rows_widget(),
        help_text=_(
            "One question per line: code | question in French | in Bambara | in English | "
            "answer required (yes or no) | longest answer in characters (500 if left out)."
        ),
    )
    criteria = forms.CharField(
        label=_("Criteria of the file review"),
        required=False,
        widget=_rows_widget(),
        help_text=_(
            "One criterion per line: code | label in French | in Bambara | in English | "
            "highest mark | weight (1 if left out). Needed before publishing."
        ),
    )
    exam_subjects = forms.CharField(
        label=_("Written exam subjects"),
        required=False,
        widget=_rows_widget(),
        help_text=_(
            "One subject per line: code | label in French | in Bambara | in English | "
            "highest mark | coefficient (1 if left out) | eliminatory mark (none if left out). "
            "Leave empty when there is no written exam."
        ),
    )
    review_coefficient = forms.IntegerField(
        label=_("Coefficient of the file review"),
        min_value=0,
        initial=1,
        help_text=_("Against the coefficients of the exam subjects; 0: the exam alone ranks."),
    )
    pass_mark = forms.DecimalField(
        label=_("Pass mark (on 100)"),
        required=False,
        min_value=0,
        max_value=100,
        decimal_places=2,
        help_text=_("Below it nobody is admitted or put on the waiting list. Empty: none."),
    )
    reviewers_per_application = forms.IntegerField(
        label=_("Reviewers per application"), min_value=2, initial=2
    )
    disagreement_threshold = forms.IntegerField(
        label=_("Gap that brings in a third reviewer (points on 100)"), min_value=1, initial=20
    )
    appeal_days = forms.IntegerField(
        label=_("Days to appeal after the results"), min_value=0, initial=15
    )

    def __init__(
        self,
        *args: Any,
        organisations: list[Organisation] | None = None,
        **kwargs: Any,
    ) -> None:
        """``organisations``: those the new call may belong to; None when editing a call."""
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101 (narrowing for mypy)
        if organisations is None:
            del self.fields["organisation"]
        else:
            field.queryset = Organisation.objects.filter(pk__in=[o.pk for o in organisations])
            if len(organisations) == 1:
                field.initial = organisations[0].pk
                field.widget = forms.HiddenInput()
        if not self.is_bound and not self.initial:
            year = timezone.localdate().year
            self.initial["age_reference_date"] = dt.date(year, 12, 31)
            self.initial["required_documents"] = [
                DocumentKind.BIRTH_ACT,
                DocumentKind.CRIMINAL_RECORD,
                DocumentKind.NATIONALITY,
            ]

    @classmethod
    def for_call(cls, call: Call, data: Any = None) -> CallForm:
        initial = {name: getattr(call, name) for name in CALL_FIELDS}
        initial["questions"] = format_rows(call.questions, QUESTION_COLUMNS)
        initial["criteria"] = format_rows(call.criteria, CRITERIA_COLUMNS)
        initial["exam_subjects"] = format_rows(call.exam_subjects, SUBJECT_COLUMNS)
        return cls(data, initial=initial)

    def clean_code(self) -> str:
        return str(self.cleaned_data["code"]).strip().upper()

    def clean_questions(self) -> list[dict[str, Any]]:
        return parse_rows(self.cleaned_data["questions"], QUESTION_COLUMNS)

    def clean_criteria(self) -> list[dict[str, Any]]:
        return parse_rows(self.cleaned_data["criteria"], CRITERIA_COLUMNS)

    def clean_exam_subjects(self) -> list[dict[str, Any]]:
        return parse_rows(self.cleaned_data["exam_subjects"], SUBJECT_COLUMNS)

    def call_fields(self) -> dict[str, Any]:
        """The keyword arguments for ``check_create_call`` / ``check_update_call``."""
        return {name: self.cleaned_data[name] for name in CALL_FIELDS}


class ClosingForm(forms.Form):
    closes_at = forms.DateTimeField(
        label=_("New closing time"),
        widget=_datetime_widget(),
        help_text=_("Bamako time. It cannot be a moment already past."),
    )


class PostForm(forms.Form):
    code = forms.CharField(
        label=_("Code of the post"), max_length=32, help_text=_("e.g. ADM or INF-SANTE.")
    )
    title_fr = forms.CharField(label=_("Title in French"), max_length=200)
    title_bm = forms.CharField(label=_("Title in Bambara"), max_length=200)
    title_en = forms.CharField(label=_("Title in English"), max_length=200)
    seats = forms.IntegerField(label=_("Seats"), min_value=1)
    min_diploma = forms.ChoiceField(
        label=_("Minimum diploma"),
        choices=[("", _("None")), *DiplomaLevel.choices],
        required=False,
    )


class AreaChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        # Cercles and departments are indented under their region, in code order.
        prefix = "— " if obj.parent_id else ""
        return f"{prefix}{obj.name}"


class CentreForm(forms.Form):
    area = AreaChoiceField(queryset=AdminArea.objects.none(), label=_("Region or cercle"))
    name = forms.CharField(
        label=_("Name of the centre"), max_length=200, help_text=_("e.g. Lycée Askia Mohamed.")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["area"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = exam_centre_areas(settings.JAMANA_COUNTRY)


class JuryForm(forms.Form):
    phone = forms.CharField(
        label=_("Phone number of the jury member's account"),
        max_length=20,
        help_text=_("The person must hold the jury role in your organisation."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=JuryRole.choices, initial=JuryRole.REVIEWER)


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the audit trail."),
    )
