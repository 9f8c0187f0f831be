"""SS 12000:2020 code lists. Stored as text: a register that sends an unknown value is warned
about by the import, not refused, so these lists validate input, they do not constrain the DB."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationType(models.TextChoices):
    HUVUDMAN = "Huvudman", _("Organiser")
    VERKSAMHETSOMRADE = "Verksamhetsområde", _("Area of operation")
    FORVALTNING = "Förvaltning", _("Administration")
    REKTORSOMRADE = "Rektorsområde", _("Principal's area")
    SKOLA = "Skola", _("School")
    SKOLENHET = "Skolenhet", _("School unit")
    VARUMARKE = "Varumärke", _("Brand")
    BOLAG = "Bolag", _("Company")
    OVRIGT = "Övrigt", _("Other")


class SchoolType(models.TextChoices):
    FS = "FS", _("Preschool")
    FKLASS = "FKLASS", _("Preschool class")
    FTH = "FTH", _("After-school centre")
    OPPFTH = "OPPFTH", _("Open after-school activity")
    GR = "GR", _("Compulsory school")
    GRS = "GRS", _("Adapted compulsory school")
    TR = "TR", _("Training school")
    SP = "SP", _("Special school")
    SAM = "SAM", _("Sami school")
    GY = "GY", _("Upper secondary school")
    GYS = "GYS", _("Adapted upper secondary school")
    VUX = "VUX", _("Adult education")


class SecurityMarking(models.TextChoices):
    NONE = "Ingen", _("None")
    CONFIDENTIALITY = "Sekretessmarkering", _("Confidentiality marking")
    PROTECTED_REGISTRATION = "Skyddad folkbokföring", _("Protected population registration")
    # Not an SS 12000 value: the register sent no marking and the municipality treats that as
    # protected (MunicipalSettings.missing_security_marking_protected).
    MISSING = "Saknas", _("Missing (treated as protected)")


class PersonStatus(models.TextChoices):
    ACTIVE = "Aktiv", _("Active")
    EMIGRATED = "Utvandrad", _("Emigrated")
    DECEASED = "Avliden", _("Deceased")


class EmailType(models.TextChoices):
    PRIVATE = "Privat", _("Private")
    SCHOOL_PUPIL = "Skola elev", _("School (pupil)")
    SCHOOL_STAFF = "Skola personal", _("School (staff)")
    WORK_OTHER = "Arbete övrigt", _("Work (other)")


class CivicNumberKindChoice(models.TextChoices):
    PERSONNUMMER = "personnummer", _("Personal identity number")
    SAMORDNINGSNUMMER = "samordningsnummer", _("Co-ordination number")
    TF = "tf", _("Temporary number (TF)")


class GroupType(models.TextChoices):
    TEACHING = "Undervisning", _("Teaching group")
    CLASS = "Klass", _("Class")
    MENTOR = "Mentor", _("Mentor group")
    TEST = "Provgrupp", _("Test group")
    SCHEDULE = "Schema", _("Schedule group")
    DEPARTMENT = "Avdelning", _("Department")
    STAFF = "Personalgrupp", _("Staff group")
    OTHER = "Övrigt", _("Other")


class DutyRole(models.TextChoices):
    PRINCIPAL = "Rektor", _("Principal")
    TEACHER = "Lärare", _("Teacher")
    PRESCHOOL_TEACHER = "Förskollärare", _("Preschool teacher")
    CHILDMINDER = "Barnskötare", _("Childminder")
    LIBRARIAN = "Bibliotekarie", _("Librarian")
    TEACHING_ASSISTANT = "Lärarassistent", _("Teaching assistant")
    LEISURE_TEACHER = "Fritidspedagog", _("Leisure-time teacher")
    OTHER_STAFF = "Annan personal", _("Other staff")
    CAREERS_ADVISER = "Studie- och yrkesvägledare", _("Careers adviser")
    LEAD_TEACHER = "Förstelärare", _("Lead teacher")
    COUNSELLOR = "Kurator", _("Counsellor")
    SCHOOL_NURSE = "Skolsköterska", _("School nurse")
    SCHOOL_DOCTOR = "Skolläkare", _("School doctor")
    SCHOOL_PSYCHOLOGIST = "Skolpsykolog", _("School psychologist")
    SPECIAL_NEEDS_TEACHER = "Speciallärare/specialpedagog", _("Special needs teacher")
    SCHOOL_ADMINISTRATOR = "Skoladministratör", _("School administrator")
    OTHER_MANAGEMENT = "Övrig arbetsledning", _("Other management")
    OTHER_PEDAGOGICAL = "Övrig pedagogisk personal", _("Other pedagogical staff")
    PRESCHOOL_HEAD = "Förskolechef", _("Head of preschool")


class AssignmentRoleType(models.TextChoices):
    MENTOR = "Mentor", _("Mentor")
    PRESCHOOL_TEACHER = "Förskollärare", _("Preschool teacher")
    CHILDMINDER = "Barnskötare", _("Childminder")
    LEISURE_TEACHER = "Fritidspedagog", _("Leisure-time teacher")
    SPECIAL_NEEDS = "Specialpedagog", _("Special needs educator")
    PUPIL_HEALTH = "Elevhälsopersonal", _("Pupil health staff")
    PEDAGOGICAL_LEADER = "Pedagogisk ledare", _("Pedagogical leader")
    SCHEDULER = "Schemaläggare", _("Scheduler")
    TEACHING_ASSISTANT = "Lärarassistent", _("Teaching assistant")
    ADMINISTRATIVE = "Administrativ personal", _("Administrative staff")


class RelationType(models.TextChoices):
    GUARDIAN = "Vårdnadshavare", _("Guardian (custody)")
    OTHER_RESPONSIBLE = "Annan ansvarig", _("Other responsible adult")
    TRUSTEE = "God man", _("Trustee")
    DESIGNATED = "Utsedd behörig", _("Designated authorised person")


class ActivityType(models.TextChoices):
    TEACHING = "Undervisning", _("Teaching")
    PUPIL_ACTIVITY = "Elevaktivitet", _("Pupil activity")
    TEST = "Provaktivitet", _("Test")
    TEACHER_ACTIVITY = "Läraraktivitet", _("Teacher activity")
    OTHER = "Övrigt", _("Other")
