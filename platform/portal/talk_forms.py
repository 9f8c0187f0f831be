"""Forms of the talk and IUP editors: they only parse and validate; the talks services write.

Free-text inputs are named after the text guard's field names (``notes``, ``answers.0.1``,
``goals``, ``subjects.GRGRSVE01``), so a finding from the services lands next to its input.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from documentation.talks.models import IUPSubjectAssessment, TalkAgreement, TalkTemplate
from documentation.talks.services.iups import IUPInput, SubjectInput
from documentation.talks.services.talks import TalkInput
from register.models import Person

TERM_PATTERN = r"^(HT|VT)\d{4}$|^\d{4}/\d{2}$"
SUBJECT_CODE_PATTERN = r"^[A-Za-z0-9]{2,30}$"
NEW_SUBJECT = "new_subject"


def describe_text_fields(form: forms.Form, names: Sequence[str]) -> None:
    """Each free-text input is described by its help text, its errors and its text guard
    findings (the findings slot is always on the page, so the reference always resolves)."""
    for name in names:
        field = form.fields[name]
        ids = [f"id_{name}_helptext"] if field.help_text else []
        ids += [f"id_{name}_error", f"findings-{dom_id(name)}"]
        field.widget.attrs["aria-describedby"] = " ".join(ids)


def text_area(rows: int = 4) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M")


@dataclass(frozen=True)
class Question:
    name: str  # the input's name: "answers.<section>.<question>"
    text: str


@dataclass(frozen=True)
class Section:
    title: str
    questions: tuple[Question, ...]


def template_sections(template: TalkTemplate | None) -> tuple[Section, ...]:
    if template is None:
        return ()
    return tuple(
        Section(
            title=str(section.get("title", "")),
            questions=tuple(
                Question(name=f"answers.{i}.{j}", text=str(question))
                for j, question in enumerate(section.get("questions", []))
            ),
        )
        for i, section in enumerate(template.sections)
    )


class GuardianChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.full_name)


class TalkForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Scheduled for"),
        required=False,
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )
    held_on = forms.DateField(
        label=_("Held on"), required=False, widget=DateInput(), input_formats=["%Y-%m-%d"]
    )
    pupil_participated = forms.BooleanField(label=_("The pupil took part"), required=False)
    guardians = GuardianChoice(
        label=_("Guardians who took part"),
        queryset=Person.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    notes = forms.CharField(label=_("Notes from the talk"), required=False, widget=text_area(6))
    acknowledge = forms.BooleanField(required=False)

    def __init__(
        self,
        *args: Any,
        sections: Sequence[Section] = (),
        guardians: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sections = tuple(sections)
        guardian_field = self.fields["guardians"]
        assert isinstance(guardian_field, GuardianChoice)
        guardian_field.queryset = guardians if guardians is not None else Person.objects.none()
        for section in self.sections:
            for question in section.questions:
                self.fields[question.name] = forms.CharField(
                    label=question.text, required=False, widget=text_area(3)
                )
        describe_text_fields(self, self.text_fields())

    def text_fields(self) -> list[str]:
        return [q.name for s in self.sections for q in s.questions] + ["notes"]

    def sections_with_fields(self) -> list[dict[str, Any]]:
        """The template's sections with their questions' bound fields, for the template."""
        return [
            {"title": s.title, "fields": [self[q.name] for q in s.questions]} for s in self.sections
        ]

    def talk_input(
        self,
        *,
        template_id: int | None,
        kept_answers: dict[str, str],
        kept_guardian_ids: Sequence[int] = (),
    ) -> TalkInput:
        """The service input; ``kept_*`` are what this form does not show (answers outside the
        template, guardians with protected identity) and must survive a save."""
        data = self.cleaned_data
        answers = dict(kept_answers)
        for section in self.sections:
            for question in section.questions:
                key = question.name.removeprefix("answers.")
                answers[key] = data.get(question.name, "")
        guardian_ids = {g.pk for g in data.get("guardians", [])} | set(kept_guardian_ids)
        return TalkInput(
            template_id=template_id,
            scheduled_at=data.get("scheduled_at"),
            held_on=data.get("held_on"),
            answers={k: v for k, v in answers.items() if v},
            notes=data.get("notes", ""),
            guardian_participant_ids=tuple(sorted(guardian_ids)),
            pupil_participated=bool(data.get("pupil_participated")),
        )


class AgreementForm(forms.Form):
    text = forms.CharField(label=_("Agreed action"), widget=text_area(2))
    responsible = forms.ChoiceField(
        label=_("Responsible"), choices=TalkAgreement.Responsible.choices
    )
    follow_up_on = forms.DateField(
        label=_("Follow up on"), required=False, widget=DateInput(), input_formats=["%Y-%m-%d"]
    )
    acknowledge = forms.BooleanField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        describe_text_fields(self, ["text"])

    def text_fields(self) -> list[str]:
        return ["text"]


class FollowUpForm(forms.Form):
    note = forms.CharField(label=_("Follow-up"), widget=text_area(2))
    acknowledge = forms.BooleanField(required=False)

    def text_fields(self) -> list[str]:
        return ["follow_up_note"]


# --- IUP -----------------------------------------------------------------------------------

LEVEL_CHOICES = [("", _("Not assessed")), *IUPSubjectAssessment.Level.choices]


@dataclass(frozen=True)
class SubjectRow:
    code: str
    name: str  # the syllabus's name, or "" when the code is not in the curriculum data
    curriculum_version: str = ""

    @property
    def level_field(self) -> str:
        return f"level.{self.code}"

    @property
    def text_field(self) -> str:
        return f"subjects.{self.code}"


class IUPForm(forms.Form):
    term = forms.RegexField(
        label=_("Term"),
        regex=TERM_PATTERN,
        max_length=10,
        help_text=_("For example HT2026, VT2027 or 2026/27."),
        error_messages={"invalid": _("Write the term as HT2026, VT2027 or 2026/27.")},
    )
    school_year = forms.IntegerField(
        label=_("School year"), required=False, min_value=0, max_value=20
    )
    goals = forms.CharField(label=_("Goals"), required=False, widget=text_area(4))
    measures = forms.CharField(label=_("Measures"), required=False, widget=text_area(4))
    acknowledge = forms.BooleanField(required=False)

    def __init__(
        self,
        *args: Any,
        subjects: Sequence[SubjectRow] = (),
        term_fixed: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.subjects = tuple(subjects)
        if term_fixed:  # the term is part of an IUP's identity (one per pupil and term)
            self.fields["term"].disabled = True
        for subject in self.subjects:
            title = subject.name or subject.code
            self.fields[subject.level_field] = forms.ChoiceField(
                label=format_lazy(_("Knowledge level in {subject}"), subject=title),
                choices=LEVEL_CHOICES,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[subject.text_field] = forms.CharField(
                label=format_lazy(_("Written assessment in {subject}"), subject=title),
                required=False,
                widget=text_area(3),
            )
        self.fields[f"{NEW_SUBJECT}.code"] = forms.RegexField(
            label=_("Subject code"),
            regex=SUBJECT_CODE_PATTERN,
            required=False,
            max_length=30,
            help_text=_("Skolverket's code, for example GRGRSVE01."),
            error_messages={"invalid": _("Use the subject's code: letters and digits only.")},
        )
        self.fields[f"{NEW_SUBJECT}.level"] = forms.ChoiceField(
            label=_("Knowledge level"),
            choices=LEVEL_CHOICES,
            required=False,
            widget=forms.RadioSelect,
        )
        self.fields[f"{NEW_SUBJECT}.text"] = forms.CharField(
            label=_("Written assessment"), required=False, widget=text_area(3)
        )
        describe_text_fields(self, self.text_fields())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get(f"{NEW_SUBJECT}.code") or "").upper()
        data[f"{NEW_SUBJECT}.code"] = code
        if code and code in {s.code for s in self.subjects}:
            self.add_error(f"{NEW_SUBJECT}.code", _("The subject is already in the list above."))
        return data

    def subject_fields(self) -> list[dict[str, Any]]:
        return [
            {"subject": s, "level": self[s.level_field], "text": self[s.text_field]}
            for s in self.subjects
        ]

    def new_subject_fields(self) -> dict[str, Any]:
        return {part: self[f"{NEW_SUBJECT}.{part}"] for part in ("code", "level", "text")}

    def new_subject_code(self) -> str:
        return str(self.cleaned_data.get(f"{NEW_SUBJECT}.code") or "")

    def text_fields(self) -> list[str]:
        return ["goals", "measures", *(s.text_field for s in self.subjects), "new_subject.text"]

    def iup_input(self, *, term: str, versions: dict[str, str]) -> IUPInput:
        """Subjects with a level or a text are kept; an emptied subject is removed. A subject
        added by its code joins the list (after an autosave the page still shows it in the
        "another subject" fields, and the list row it became is empty there: the added values
        win over an empty row)."""
        data = self.cleaned_data
        subjects = {
            s.code: SubjectInput(
                subject_code=s.code,
                level=data.get(s.level_field) or "",
                text=data.get(s.text_field) or "",
                curriculum_version=s.curriculum_version or versions.get(s.code, ""),
            )
            for s in self.subjects
        }
        code = self.new_subject_code()
        row = subjects.get(code)
        if code and (row is None or not (row.level or row.text)):
            subjects[code] = SubjectInput(
                subject_code=code,
                level=data.get(f"{NEW_SUBJECT}.level") or "",
                text=data.get(f"{NEW_SUBJECT}.text") or "",
                curriculum_version=row.curriculum_version if row else versions.get(code, ""),
            )
        return IUPInput(
            term=term,
            school_year=data.get("school_year"),
            goals=data.get("goals") or "",
            measures=data.get("measures") or "",
            subjects=tuple(
                s for s in subjects.values() if s.level or s.text or s.subject_code == code
            ),
        )


def dom_id(field: str) -> str:
    """An HTML id for a text guard field name ("answers.0.1" → "answers-0-1")."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", field)
