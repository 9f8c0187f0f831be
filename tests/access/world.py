"""A small generated municipality for the need-to-know matrix.

    Ale kommun (Huvudman)
    ├── Norra skolan (Skola; Edlevo style: the teaching group hangs here)
    │   ├── Norra F-6 (Skolenhet): class 5A
    │   └── Norra 7-9 (Skolenhet): class 8B, teaching group Ma8B
    └── Södra skolan (Skolenhet): class 3C

Every name below is the key used in the truth table of test_matrix.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from accounts.models import User
from register.models import Group, Person
from register.models.choices import (
    AssignmentRoleType,
    DutyRole,
    GroupType,
    OrganisationType,
    RelationType,
    SecurityMarking,
)
from tests.factories import (
    ActivityFactory,
    ActivityTeacherFactory,
    AssignmentRoleFactory,
    DutyFactory,
    EnrolmentFactory,
    GroupFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    ResponsibleFactory,
    UserFactory,
)

PUPILS = ("p5a_1", "p5a_2", "p8b_1", "p8b_2", "p8b_protected", "p3c_1", "p_left")
YESTERDAY = dt.date.today() - dt.timedelta(days=1)


@dataclass
class World:
    people: dict[str, Person] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)

    def pupil_ids(self, *names: str) -> set[int]:
        return {self.people[name].pk for name in names}


def build_world(prefix: str = "") -> World:
    """Creates the world in the current schema; user names carry ``prefix``."""
    world = World()
    huvudman = OrganisationFactory(
        display_name="Ale kommun", organisation_type=OrganisationType.HUVUDMAN
    )
    norra = OrganisationFactory(
        display_name="Norra skolan", organisation_type=OrganisationType.SKOLA, parent=huvudman
    )
    norra_f6 = OrganisationFactory(display_name="Norra F-6", parent=norra)
    norra_79 = OrganisationFactory(display_name="Norra 7-9", parent=norra)
    sodra = OrganisationFactory(display_name="Södra skolan", parent=huvudman)
    huvudman.refresh_from_db()

    groups = world.groups
    groups["5A"] = GroupFactory(display_name="5A", organisation=norra_f6)
    groups["8B"] = GroupFactory(display_name="8B", organisation=norra_79)
    groups["Ma8B"] = GroupFactory(
        display_name="Ma8B", organisation=norra, group_type=GroupType.TEACHING
    )
    groups["3C"] = GroupFactory(display_name="3C", organisation=sodra)

    def pupil(name: str, unit, *group_names: str, **person) -> Person:  # type: ignore[no-untyped-def]
        world.people[name] = PersonFactory(given_name=name, **person)
        EnrolmentFactory(person=world.people[name], school_unit=unit)
        for group_name in group_names:
            MembershipFactory(person=world.people[name], group=groups[group_name])
        return world.people[name]

    pupil("p5a_1", norra_f6, "5A")
    pupil("p5a_2", norra_f6, "5A")
    pupil("p8b_1", norra_79, "8B", "Ma8B")
    pupil("p8b_2", norra_79, "8B")
    pupil(
        "p8b_protected",
        norra_79,
        "8B",
        "Ma8B",
        security_marking=SecurityMarking.PROTECTED_REGISTRATION,
    )
    pupil("p3c_1", sodra, "3C")
    # Left the school: enrolment and membership ended yesterday.
    left = PersonFactory(given_name="p_left")
    world.people["p_left"] = left
    EnrolmentFactory(person=left, school_unit=norra_f6, end_date=YESTERDAY)
    MembershipFactory(person=left, group=groups["5A"], end_date=YESTERDAY)

    def account(name: str, person: Person | None = None, **flags: bool) -> User:
        user = UserFactory(username=f"{prefix}{name}", **flags)
        if person is None:
            person = PersonFactory(given_name=name)
        person.user = user
        person.save(update_fields=["user"])
        world.users[name] = user
        world.people.setdefault(name, person)
        return user

    def staff(name: str, role: str, at) -> object:  # type: ignore[no-untyped-def]
        account(name, is_school_staff=True)
        return DutyFactory(person=world.people[name], duty_at=at, duty_role=role)

    def teaches(duty, group_name: str, **dates: dt.date) -> None:  # type: ignore[no-untyped-def]
        activity = ActivityFactory(organisation=groups[group_name].organisation)
        activity.groups.set([groups[group_name]])
        ActivityTeacherFactory(activity=activity, duty=duty, **dates)

    teaches(staff("teacher_5a", DutyRole.TEACHER, norra_f6), "5A")
    teaches(staff("teacher_ma8b", DutyRole.TEACHER, norra_79), "Ma8B")
    teaches(staff("teacher_ended", DutyRole.TEACHER, norra_f6), "5A", end_date=YESTERDAY)
    staff("teacher_idle", DutyRole.TEACHER, sodra)
    mentor = staff("mentor_8b", DutyRole.TEACHER, norra_79)
    AssignmentRoleFactory(duty=mentor, group=groups["8B"], role_type=AssignmentRoleType.MENTOR)
    specped = staff("specped_5a", DutyRole.SPECIAL_NEEDS_TEACHER, norra_f6)
    AssignmentRoleFactory(
        duty=specped, group=groups["5A"], role_type=AssignmentRoleType.SPECIAL_NEEDS
    )
    scheduler = staff("scheduler_3c", DutyRole.OTHER_STAFF, sodra)
    AssignmentRoleFactory(
        duty=scheduler, group=groups["3C"], role_type=AssignmentRoleType.SCHEDULER
    )
    staff("principal_norra", DutyRole.PRINCIPAL, norra)
    staff("school_admin_norra", DutyRole.SCHOOL_ADMINISTRATOR, norra)
    account("municipality_admin", is_municipality_admin=True)

    account("pupil_p5a_1", world.people["p5a_1"])
    account("pupil_p8b_protected", world.people["p8b_protected"])

    def guardian(name: str, child: str, relation: str = RelationType.GUARDIAN) -> None:
        account(name)
        ResponsibleFactory(
            guardian=world.people[name], pupil=world.people[child], relation_type=relation
        )

    # Separated parents: each has custody and each sees the child.
    guardian("mother_p5a_1", "p5a_1")
    guardian("father_p5a_1", "p5a_1")
    guardian("foster_p8b_2", "p8b_2", RelationType.OTHER_RESPONSIBLE)
    guardian("parent_p8b_protected", "p8b_protected")
    guardian("parent_p_left", "p_left")
    return world
