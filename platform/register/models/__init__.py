from register.models.groups import (
    Activity,
    ActivityTeacher,
    AssignmentRole,
    Duty,
    Group,
    GroupMembership,
)
from register.models.organisations import Organisation
from register.models.persons import Email, Enrolment, Person, Responsible

__all__ = [
    "Activity",
    "ActivityTeacher",
    "AssignmentRole",
    "Duty",
    "Email",
    "Enrolment",
    "Group",
    "GroupMembership",
    "Organisation",
    "Person",
    "Responsible",
]
