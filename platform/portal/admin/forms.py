"""Forms of the administration pages: they parse input only (services decide and write)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.identity import registered
from accounts.models import SignInMethodName
from documentation.textguard.models import Category
from integrations.models import ImportSource
from municipal.models import MunicipalSettings
from portal.admin.services import IDLE_MINUTES_RANGE, SCHOOL_YEAR_RANGE
from register.models.choices import AssignmentRoleType, RelationType, SchoolType

FILE_SOURCE_CHOICES = [
    (ImportSource.SS12000_FILES.value, ImportSource.SS12000_FILES.label),
    (ImportSource.CSV.value, ImportSource.CSV.label),
]
UPLOAD_ACCEPT = ".zip,.json,.csv,.tsv,.txt"
# Mentors always see their mentor groups' pupils (access.policy): not a choice.
ALWAYS_WITH_ACCESS = AssignmentRoleType.MENTOR.value


class AdminForm(forms.Form):
    """Labels without Django's trailing colon (some labels are sentences)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One .zip archive or an export's files (each checked by the upload service)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": UPLOAD_ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ImportUploadForm(AdminForm):
    source = forms.ChoiceField(
        label=_("Kind of export"), choices=FILE_SOURCE_CHOICES, initial=ImportSource.SS12000_FILES
    )
    file = MultipleFileField(
        label=_("File"),
        help_text=_("One .zip archive, or the export's files (e.g. persons.json, elever.csv)."),
    )
    dry_run = forms.BooleanField(
        label=_("Dry run: show what would change, change nothing"), required=False, initial=True
    )


class ApiSyncForm(AdminForm):
    dry_run = forms.BooleanField(
        label=_("Dry run: show what would change, change nothing"), required=False
    )
    incremental = forms.BooleanField(label=_("Only the changes since the last run"), required=False)


class QuarantineAdmitForm(AdminForm):
    confirm = forms.BooleanField(
        label=_("I have checked that this person may be admitted"),
        error_messages={"required": _("Confirm that the person may be admitted.")},
    )


class AccountSearchForm(AdminForm):
    q = forms.CharField(label=_("Search by name or user name"), required=False, max_length=100)


class PupilSearchForm(AdminForm):
    q = forms.CharField(label=_("Pupil's name"), required=False, max_length=100)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class AccessLogFilterForm(AdminForm):
    pupil = forms.IntegerField(
        label=_("Pupil (id)"),
        required=False,
        min_value=1,
        help_text=_("Search for the pupil by name above to fill this in."),
    )
    user = forms.CharField(label=_("User (user name)"), required=False, max_length=150)
    actor = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    since = forms.DateField(label=_("From (date)"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To (date)"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The last day is before the first."))
        return data


class MunicipalSettingsForm(AdminForm):
    controller_name = forms.CharField(
        label=_("Data controller"),
        required=False,
        max_length=200,
        help_text=_("The education board that is the controller of pupil data."),
    )
    controller_contact = forms.CharField(
        label=_("Controller's contact details"), required=False, max_length=300
    )
    data_protection_officer = forms.CharField(
        label=_("Data protection officer's contact details"), required=False, max_length=300
    )
    accessibility_contact = forms.CharField(
        label=_("Where to report accessibility problems"), required=False, max_length=300
    )
    session_idle_minutes = forms.IntegerField(
        label=_("Sign out after this many minutes without activity"),
        min_value=IDLE_MINUTES_RANGE[0],
        max_value=IDLE_MINUTES_RANGE[1],
    )
    pupil_login_from_school_year = forms.TypedChoiceField(
        label=_("Pupils sign in themselves from school year"),
        coerce=int,
        choices=[(0, _("Preschool class"))]
        + [(year, str(year)) for year in range(1, SCHOOL_YEAR_RANGE[1] + 1)],
        help_text=_("Upper secondary and adult education pupils always sign in themselves."),
    )
    school_forms = forms.MultipleChoiceField(
        label=_("School forms that use Lärspår"),
        choices=SchoolType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Pupils get accounts through enrolments in these school forms, and their guardians "
            "through them. Takes effect at the next register import."
        ),
    )
    guardian_relation_types = forms.MultipleChoiceField(
        label=_("Adults who see a child's published documentation"),
        choices=RelationType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The relation types from the register that count as guardians here."),
    )
    assignment_roles_with_access = forms.MultipleChoiceField(
        label=_("Assignment roles that give access to a group's pupils"),
        choices=[c for c in AssignmentRoleType.choices if c[0] != ALWAYS_WITH_ACCESS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Mentors always see the pupils of their mentor groups."),
    )
    missing_security_marking_protected = forms.BooleanField(
        label=_("Treat persons without a security marking as protected"),
        required=False,
        help_text=_(
            "Turn this on if your pupil register leaves out the security marking (protected "
            "identity). Everyone who comes without one then waits in the quarantine until an "
            "administrator admits them."
        ),
    )

    @classmethod
    def for_settings(cls, settings: MunicipalSettings, data: Any = None) -> MunicipalSettingsForm:
        initial = {name: getattr(settings, name) for name in cls.base_fields}
        form = cls(data, initial=initial)
        form.current_roles = list(settings.assignment_roles_with_access)
        return form

    current_roles: Sequence[str] = ()

    def changes(self) -> dict[str, Any]:
        """The cleaned values for the service (the mentor role is kept as it was)."""
        values = dict(self.cleaned_data)
        kept = [ALWAYS_WITH_ACCESS] if ALWAYS_WITH_ACCESS in self.current_roles else []
        values["assignment_roles_with_access"] = kept + list(values["assignment_roles_with_access"])
        return values


def _method_choices() -> list[tuple[str, Any]]:
    return [(value, label) for value, label in SignInMethodName.choices if registered(value)]


class SignInPolicyForm(AdminForm):
    staff_method = forms.ChoiceField(label=_("Staff sign in with"), choices=_method_choices)
    guardian_method = forms.ChoiceField(label=_("Guardians sign in with"), choices=_method_choices)
    pupil_method = forms.ChoiceField(label=_("Pupils sign in with"), choices=_method_choices)


class LexiconAddForm(AdminForm):
    lemma = forms.CharField(label=_("Word or phrase"), max_length=100)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("As in the shipped list")), *Category.choices],
        help_text=_("Required for words that are not in the shipped list."),
    )
    other_forms = forms.CharField(
        label=_("Other forms (separated by commas)"),
        required=False,
        max_length=2000,
        help_text=_("A trailing * matches every word that begins with the letters before it."),
    )
    suggestion = forms.CharField(
        label=_("Suggestion to the writer"), required=False, max_length=300
    )

    def form_list(self) -> list[str]:
        raw = str(self.cleaned_data.get("other_forms") or "")
        return [part.strip() for part in raw.split(",") if part.strip()]
