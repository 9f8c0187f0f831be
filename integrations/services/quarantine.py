"""Protected identities: held out of the register until a municipality administrator admits
them one by one (each admission is audited)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from core.db import connection
from integrations.models import QuarantinedPerson

_FORGET_DIGESTS = [
    "UPDATE register_group SET content_hash = ''",
    "UPDATE register_person SET content_hash = ''",
    "UPDATE register_duty SET content_hash = ''",
    # An activity's link to the person's held-back duty hides in the activity's digest.
    "UPDATE register_activity SET content_hash = ''",
]


@transaction.atomic
def quarantined_person_admit(*, person: QuarantinedPerson, admitted_by: User) -> QuarantinedPerson:
    """Admits the person: the next import brings them in, with the memberships and guardian
    relations that were held back. Everything is read again, because those references hide in
    other entities' unchanged digests."""
    if person.admitted_at is None:
        person.admitted_at = timezone.now()
        person.admitted_by = admitted_by
        person.save(update_fields=["admitted_at", "admitted_by"])
        with connection.cursor() as cursor:
            for statement in _FORGET_DIGESTS:
                cursor.execute(statement)
        from access.readlog.services import access_log_record

        # The admission is a decision about a protected person: it goes to the audit trail.
        access_log_record(
            actor=admitted_by,
            actor_role="municipality_admin",
            pupils={},
            resource="quarantine.admit",
            object_ref=f"quarantine:{person.pk}",
        )
    return person
