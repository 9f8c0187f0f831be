"""Forms of the plan pages: they only parse and validate; the plans services write and check.

The description is stored as sanitised HTML (``documentation.plans.sanitise``); the editor shows
it as plain text (a blank line between paragraphs, "- " before a list item) and turns the text
back into HTML on save. Free-text inputs are named after the text guard's field names, except
``description`` (the service checks ``description_html``), so findings land next to their input.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from html.parser import HTMLParser
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from curriculum.selectors import subject_list
from portal.talk_forms import DateInput, describe_text_fields, text_area

TEXT_FIELDS = ("title", "description", "teaching_forms", "assessment_forms")
# The service's field name → the input that holds it (for text guard findings).
FINDING_FIELDS = {"description_html": "description"}
REF_FIELDS = ("central_content_keys", "knowledge_requirement_keys")
TEXT_MAX = 10_000
DESCRIPTION_MAX = 50_000
LIST_ITEM = "- "


# --- The description: plain text in the editor, sanitised HTML in the plan ----------------


def description_html(text: str) -> str:
    """Paragraphs (blank-line separated) as <p>, runs of "- " lines as one <ul>; escaped."""
    blocks = [b.strip("\n") for b in text.replace("\r\n", "\n").split("\n\n")]
    html: list[str] = []
    for block in (b for b in blocks if b.strip()):
        lines = [line.rstrip() for line in block.split("\n") if line.strip()]
        if all(line.lstrip().startswith(LIST_ITEM.strip()) for line in lines):
            items = (escape(line.lstrip()[1:].strip()) for line in lines)
            html.append("<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>")
        else:
            html.append("<p>" + "<br>".join(escape(line.strip()) for line in lines) + "</p>")
    return "".join(html)


class _TextOf(HTMLParser):
    """Stored HTML as the editor's plain text: blocks become paragraphs, list items "- ".
    (Emphasis and link targets are not shown: the editor keeps the stored HTML unless the
    teacher changes the text.)"""

    BLOCKS = frozenset({"p", "h2", "h3", "h4", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.current: list[str] = []

    def _flush(self) -> None:
        text = "".join(self.current).strip()
        if text:
            self.blocks.append(text)
        self.current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BLOCKS:
            self._flush()
        elif tag == "li":
            if self.current and "".join(self.current).strip():
                self.current.append("\n")
            self.current.append(LIST_ITEM)
        elif tag == "br":
            self.current.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.BLOCKS:
            self._flush()

    def handle_data(self, data: str) -> None:
        self.current.append(data)


def description_text(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    parser._flush()
    return "\n\n".join(parser.blocks)


# --- Choices -----------------------------------------------------------------------------


def subject_choices() -> list[tuple[str, str]]:
    """Every subject (and version) valid today, by name: Skolverket's reference data."""
    return [(s.code, f"{s.name} ({s.code})") for s in subject_list()]


def choices_set(form: forms.Form, name: str, choices: list[tuple[str, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    field.choices = choices


def term_end(on: dt.date) -> dt.date:
    """The last day of the term ``on`` falls in (autumn ends before Christmas)."""
    return dt.date(on.year, 12, 20) if on.month >= 7 else dt.date(on.year, 6, 15)


class PeriodForm(forms.Form):
    period_start = forms.DateField(label=_("From"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    period_end = forms.DateField(label=_("To"), widget=DateInput(), input_formats=["%Y-%m-%d"])
    acknowledge = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        return data


# --- A new plan --------------------------------------------------------------------------


class NewPlanForm(PeriodForm):
    """Where a plan starts: for the group or one of its activities, blank or from a template."""

    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    target = forms.ChoiceField(label=_("For"))
    subject_code = forms.ChoiceField(label=_("Subject"), required=False)
    template = forms.ChoiceField(label=_("Start from"), required=False)

    def __init__(
        self,
        *args: Any,
        targets: list[tuple[str, str]],
        templates: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        today = timezone.localdate()
        initial = {"period_start": today, "period_end": term_end(today)}
        kwargs["initial"] = {**initial, **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        choices_set(self, "target", targets)
        choices_set(self, "subject_code", [("", _("Choose a subject")), *subject_choices()])
        choices_set(self, "template", [("", _("A blank plan")), *templates])
        self.fields["title"].help_text = _("From a template, the template's title if left empty.")
        self.fields["subject_code"].help_text = _(
            "Skolverket's syllabus valid today. From a template, the template's subject if not "
            "chosen."
        )
        describe_text_fields(self, ["title"])

    def text_fields(self) -> list[str]:
        return ["title"]

    def texts(self) -> dict[str, str]:
        return {"title": str(self.cleaned_data.get("title") or "")}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("template"):
            if not data.get("title"):
                self.add_error("title", _("A plan needs a title."))
            for_activity = str(data.get("target", "")).startswith("activity:")
            if not data.get("subject_code") and not for_activity:  # it takes the activity's
                self.add_error("subject_code", _("A plan is for a subject."))
        return data

    def target_ids(self) -> dict[str, int | None]:
        kind, _sep, pk = str(self.cleaned_data["target"]).partition(":")
        return {
            "group_id": int(pk) if kind == "group" else None,
            "activity_id": int(pk) if kind == "activity" else None,
        }


# --- The editor --------------------------------------------------------------------------


class PlanForm(PeriodForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    subject_code = forms.ChoiceField(label=_("Subject"))
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=text_area(8),
        strip=False,
        help_text=_('A blank line starts a new paragraph; "- " at the start of a line a list.'),
    )
    teaching_forms = forms.CharField(
        label=_("How we work"), required=False, max_length=TEXT_MAX, widget=text_area(4)
    )
    assessment_forms = forms.CharField(
        label=_("How your knowledge is assessed"),
        required=False,
        max_length=TEXT_MAX,
        widget=text_area(4),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = subject_choices()
        current = str(self.initial.get("subject_code", ""))
        if current and current not in dict(choices):  # a syllabus no longer valid today
            choices.insert(0, (current, current))
        choices_set(self, "subject_code", choices)
        describe_text_fields(self, TEXT_FIELDS)

    def text_fields(self) -> list[str]:
        return list(TEXT_FIELDS)

    def texts(self) -> dict[str, str]:
        return {name: str(self.cleaned_data.get(name) or "") for name in TEXT_FIELDS}

    def references(self) -> dict[str, list[str]]:
        """The ticked curriculum items (checked by the service against the subject version)."""
        data: Any = self.data
        return {name: [str(ref) for ref in data.getlist(name)] for name in REF_FIELDS}
