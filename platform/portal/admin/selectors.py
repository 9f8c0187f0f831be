"""Reads for the administration pages that no other app answers: accounts with their roles, the
pupil search of the access-log review, and the overview's counts. Everything runs in the
connection's current schema (the municipality's)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from access.policy import Actor, pupils, visible_pupils
from accounts.models import User
from integrations.models import ImportRun, ImportStatus, QuarantinedPerson
from register.models import Person, Responsible
from register.models.choices import SecurityMarking

PUPIL_SEARCH_LIMIT = 20
MIN_SEARCH_LENGTH = 2


def account_list(*, search: str = "") -> QuerySet[User]:
    """Accounts of this municipality, by name, each annotated with what the register says they
    are: ``is_pupil`` (a current enrolment), ``is_guardian`` (responsible for someone) and
    ``is_protected`` (their person has protected identity: their name is not shown or
    searched)."""
    persons = Person.objects.filter(user_id=OuterRef("pk"), removed_at__isnull=True)
    accounts = User.objects.annotate(
        is_pupil=Exists(pupils().filter(user_id=OuterRef("pk"))),
        is_guardian=Exists(Responsible.objects.filter(guardian__user_id=OuterRef("pk"))),
        is_protected=Exists(persons.exclude(security_marking=SecurityMarking.NONE)),
    )
    search = " ".join(search.split())
    if search:
        words = Q()
        for word in search.split(" ")[:4]:
            words &= (
                Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
                | Q(username__icontains=word)
            )
        accounts = accounts.filter(words, is_protected=False)
    return accounts.order_by("last_name", "first_name", "username", "pk")


def account_get(*, user_id: int) -> User:
    """Raises User.DoesNotExist (HTTP 404) for ids of no account in this schema."""
    return User.objects.get(pk=user_id)


def account_by_username(*, username: str) -> User | None:
    return User.objects.filter(username__iexact=username.strip()).first()


def pupil_ids_of_accounts(*, user_ids: list[int]) -> list[int]:
    """The pupils (person ids) behind these accounts whose names a list may show (protected
    identities are never shown)."""
    return list(
        pupils()
        .filter(user_id__in=user_ids, security_marking=SecurityMarking.NONE)
        .values_list("pk", flat=True)
    )


def pupil_search(actor: Actor, *, query: str) -> list[Person]:
    """Pupils the administrator may see whose name matches every word of ``query`` (at most
    PUPIL_SEARCH_LIMIT, by name), each annotated with ``relation``."""
    words = " ".join(query.split()).split(" ") if query.strip() else []
    if not words or len(" ".join(words)) < MIN_SEARCH_LENGTH:
        return []
    condition = Q()
    for word in words[:4]:
        condition &= Q(given_name__icontains=word) | Q(family_name__icontains=word)
    found = visible_pupils(actor).filter(condition).order_by("family_name", "given_name", "pk")
    return list(found[:PUPIL_SEARCH_LIMIT])


@dataclass(frozen=True)
class AdminOverview:
    active_runs: int
    latest_status: str
    quarantine_waiting: int
    administrators: int


def admin_overview() -> AdminOverview:
    """Counts only (no names): what the overview page shows."""
    runs = ImportRun.objects.order_by("-created_at", "-id")
    latest = runs.values_list("status", flat=True).first()
    return AdminOverview(
        active_runs=runs.filter(status__in=(ImportStatus.QUEUED, ImportStatus.RUNNING)).count(),
        latest_status=str(ImportStatus(latest).label) if latest else "",
        quarantine_waiting=QuarantinedPerson.objects.filter(admitted_at__isnull=True).count(),
        administrators=User.objects.filter(is_municipality_admin=True, is_active=True).count(),
    )
