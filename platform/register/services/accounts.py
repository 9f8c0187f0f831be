"""Accounts follow the register: created, updated and deactivated here, never typed in by hand.

The rules live in one place, the set-based SQL of integrations.pipeline.accounts_sql, which the
import runs for every person at once; this service runs it for one person.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from accounts.models import User
from integrations.pipeline.accounts_sql import accounts_sync
from municipal.models import MunicipalSettings
from municipal.selectors import municipal_settings_get
from register.models import Person
from register.models.base import today


@transaction.atomic
def person_account_sync(
    *, person: Person, settings: MunicipalSettings | None = None, on: dt.date | None = None
) -> User | None:
    """Creates, updates or deactivates the account of ``person`` to match the register.

    Staff (a current duty), pupils from the municipality's school year (always in upper
    secondary and adult education) and responsible adults of a counted relation type for a
    current pupil get accounts. An account deactivated by an administrator stays deactivated;
    one deactivated because the person left the register is reactivated when they are back.
    """
    accounts_sync(
        settings=settings or municipal_settings_get(), today=on or today(), person_id=person.pk
    )
    person.refresh_from_db(fields=["user"])
    return person.user
