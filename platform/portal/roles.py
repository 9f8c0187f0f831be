"""What a signed-in person is in this municipality, for navigation and start pages only.
(Access to data is decided by access.policy and access.documents, never by these flags.)"""

from __future__ import annotations

from dataclasses import dataclass

from access.policy import Actor, family_children, my_person_ids
from register.models import Enrolment
from register.models.base import current_q


@dataclass(frozen=True)
class PortalRoles:
    staff: bool
    pupil: bool
    guardian: bool
    admin: bool


def roles_of(actor: Actor) -> PortalRoles:
    user = actor.user
    me = my_person_ids(actor)
    pupil = Enrolment.objects.filter(current_q(actor.on), person__in=me, cancelled=False).exists()
    return PortalRoles(
        staff=bool(user.is_school_staff),
        pupil=pupil,
        guardian=family_children(actor).exists(),
        admin=bool(user.is_municipality_admin),
    )
