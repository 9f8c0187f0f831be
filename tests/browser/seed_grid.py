"""The class grid's browser world: a class of 25 at a school of its own, its Swedish teacher
(with an authenticator app set up), a colleague who teaches the class too, and a published
matrix. A school apart keeps these 25 pupils off the other roles' pages and pictures.

Written in the browser municipality's schema by seed_browser_world (tests/browser/seed.py);
tests find everything again by the names below.
"""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from access.policy import actor_for
from accounts.models import User
from documentation.assessments.services.matrices import (
    MatrixInput,
    RowInput,
    matrix_create,
    matrix_publish,
)
from register.models import Organisation
from register.models.choices import DutyRole, OrganisationType
from tests.factories import (
    ActivityFactory,
    ActivityTeacherFactory,
    DutyFactory,
    EnrolmentFactory,
    GroupFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    UserFactory,
)

GRID_SCHOOL = "Västra skolan"
GRID_CLASS = "6B"
GRID_TEACHER = "teacher_6b"
GRID_COLLEAGUE = "colleague_6b"
GRID_MATRIX = "Svenska: läsa, skriva, tala"
GRID_LEVELS = ("E", "C", "A")
GRID_ROWS = ("Läsförståelse", "Skriva berättande texter", "Muntligt berätta", "Källkritik")
# 25 pupils: the class size the issue measures "one action per pupil" against.
GRID_PUPILS = (
    ("Astrid", "Ahlberg"), ("Björn", "Bergström"), ("Cecilia", "Carlsson"), ("David", "Dahl"),
    ("Ebba", "Ekström"), ("Filip", "Forsberg"), ("Greta", "Gunnarsson"), ("Hugo", "Hedlund"),
    ("Ida", "Isaksson"), ("Jonas", "Jakobsson"), ("Klara", "Kvist"), ("Leo", "Lundgren"),
    ("Moa", "Magnusson"), ("Nils", "Nordin"), ("Olivia", "Olofsson"), ("Pontus", "Pettersson"),
    ("Rut", "Rydberg"), ("Sixten", "Sjöberg"), ("Tilda", "Torstensson"), ("Ulf", "Ulander"),
    ("Vera", "Vikström"), ("Wilhelm", "Wallin"), ("Xenia", "Xavier"), ("Ylva", "Ytterberg"),
    ("Åke", "Åberg"),
)  # fmt: skip


def _staff(username: str, given: str, family: str, unit: Organisation) -> tuple[User, object]:
    user = UserFactory(username=username, first_name=given, last_name=family, is_school_staff=True)
    person = PersonFactory(given_name=given, family_name=family, user=user)
    return user, DutyFactory(person=person, duty_at=unit, duty_role=DutyRole.TEACHER)


def seed_grid_class() -> None:
    """Writes the class, its teachers and the matrix in the current (browser) schema."""
    organiser = Organisation.objects.get(organisation_type=OrganisationType.HUVUDMAN)
    unit = OrganisationFactory(display_name=GRID_SCHOOL, parent=organiser)
    group = GroupFactory(display_name=GRID_CLASS, organisation=unit)
    for given, family in GRID_PUPILS:
        pupil = PersonFactory(given_name=given, family_name=family)
        EnrolmentFactory(person=pupil, school_unit=unit, school_year=6)
        MembershipFactory(person=pupil, group=group)
    teacher, duty = _staff(GRID_TEACHER, "Maria", "Sundberg", unit)
    _colleague, colleague_duty = _staff(GRID_COLLEAGUE, "Oskar", "Lindahl", unit)
    swedish = ActivityFactory(organisation=unit, subject_code="GRGRSVE01", display_name="Sv 6B")
    swedish.groups.set([group])
    ActivityTeacherFactory(activity=swedish, duty=duty)
    ActivityTeacherFactory(activity=swedish, duty=colleague_duty)
    TOTPDevice.objects.create(user=teacher, name="Telefon", confirmed=True)
    actor = actor_for(teacher)
    matrix = matrix_create(
        actor=actor,
        data=MatrixInput(
            title=GRID_MATRIX,
            levels=GRID_LEVELS,
            rows=[RowInput(aspect) for aspect in GRID_ROWS],
            subject_code="GRGRSVE01",
        ),
    )
    matrix_publish(actor=actor, matrix=matrix)
