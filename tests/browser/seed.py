"""Committed data for the browser tests: a municipality of their own, dropped afterwards.

The live server is another process, so nothing here may sit in a test transaction. Writing
into Ale or Borås would leave rows behind that the rest of the suite does not expect (and
talks and IUPs are append-only, so they could not be deleted again); a municipality of our
own is dropped whole, schema and all, when the browser tests are done.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_tenants.utils import schema_context

from access.policy import actor_for
from core.db import connection
from documentation.talks.services.iups import IUPInput, SubjectInput, iup_create, iup_publish
from documentation.talks.services.talks import (
    TalkInput,
    agreement_add,
    talk_create,
    talk_publish,
)
from tenants.models import Domain, Municipality, MunicipalityStatus
from tenants.services.onboarding import municipality_onboard
from tests.access.world import World, build_world
from tests.accounts.support import PASSWORD
from tests.browser.seed_grid import seed_grid_class
from tests.browser.seed_plans import drop_curriculum, seed_curriculum

# The browser tests' own municipality, and the one the vendor-console test onboards.
SLUG = "kungalv"
HOST = "kungalv.larspar.test"
NEW_MUNICIPALITY = {
    "name": "Stenungsunds kommun",
    "code": "1415",
    "slug": "stenungsund",
    "domain": "stenungsund.larspar.test",
    "admin_email": "rektor@stenungsund.example",
}
BROWSER_SCHEMAS = (SLUG, NEW_MUNICIPALITY["slug"])
OPERATOR_USERNAME = "browser-operator"

# Stable, readable names for the screenshots (the factories would pick random ones).
NAMES = {
    "p5a_1": ("Alva", "Lindqvist"),
    "p5a_2": ("Elias", "Berg"),
    "p8b_1": ("Wilma", "Holm"),
    "p8b_2": ("Noah", "Sandberg"),
    "p8b_protected": ("Ella", "Nyström"),
    "p3c_1": ("Liam", "Ek"),
    "p_left": ("Maja", "Lund"),
    "teacher_5a": ("Karin", "Johansson"),
    "teacher_ma8b": ("Per", "Andersson"),
    "teacher_ended": ("Eva", "Karlsson"),
    "teacher_idle": ("Lars", "Persson"),
    "mentor_8b": ("Anders", "Nilsson"),
    "specped_5a": ("Sofia", "Eriksson"),
    "scheduler_3c": ("Mats", "Larsson"),
    "principal_norra": ("Helena", "Olsson"),
    "school_admin_norra": ("Jonas", "Gustafsson"),
    "municipality_admin": ("Birgitta", "Svensson"),
    "mother_p5a_1": ("Sara", "Lindqvist"),
    "father_p5a_1": ("Johan", "Lindqvist"),
    "foster_p8b_2": ("Marie", "Sandberg"),
    "parent_p8b_protected": ("Okänd", "Vårdnadshavare"),
    "parent_p_left": ("Petra", "Lund"),
}
# Staff who sign in with an authenticator app that is already set up (key known to the tests).
DEVICE_HOLDERS = ("teacher_5a", "specped_5a", "municipality_admin")

PUBLISHED_TALK_NOTES = "Alva berättade om böckerna hon läser hemma."
AGREEMENT_TEXT = "Alva läser tjugo minuter varje dag."
DRAFT_TALK_NOTES = "Utkast: förbered frågor om matematik inför nästa samtal."
PUBLISHED_IUP_GOALS = "Läsa längre skönlitterära texter och återberätta dem."


@dataclass(frozen=True)
class BrowserWorld:
    """Ids and keys the tests need (the objects themselves belong to another process)."""

    pupils: dict[str, int]
    groups: dict[str, int]
    users: dict[str, int]
    device_keys: dict[str, str] = field(default_factory=dict)

    def full_name(self, name: str) -> str:
        given, family = NAMES[name]
        return f"{given} {family}"


def drop_municipalities(schemas: tuple[str, ...]) -> None:
    """Drops municipalities whole: schema, host names and row (idempotent)."""
    connection.set_schema_to_public()
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    Domain.objects.filter(tenant__schema_name__in=schemas).delete()
    Municipality.objects.filter(schema_name__in=schemas).delete()


def drop_browser_data() -> None:
    """Drops the browser tests' municipalities and the vendor operator (idempotent)."""
    drop_municipalities(BROWSER_SCHEMAS)
    drop_curriculum()  # the demo syllabi the plan editor offers (tests/browser/seed_plans.py)
    operator = get_user_model().objects.filter(username=OPERATOR_USERNAME).first()
    if operator is not None:
        for session in Session.objects.all():
            if session.get_decoded().get("_auth_user_id") == str(operator.pk):
                session.delete()
        _delete_public_user(operator.pk)


def _delete_public_user(user_id: int) -> None:
    """Deletes a public-schema account with whatever refers to it in the public schema.
    (The ORM's cascade would also look into tables that exist in municipalities' schemas only.)
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]"
            " WHERE c.contype = 'f' AND c.confrelid = 'public.accounts_user'::regclass"
            " AND c.conrelid <> 'public.accounts_user'::regclass"
        )
        for table, column in cursor.fetchall():
            cursor.execute(f'DELETE FROM {table} WHERE "{column}" = %s', [user_id])  # noqa: S608
        cursor.execute("DELETE FROM public.accounts_user WHERE id = %s", [user_id])


def _name_everyone(world: World) -> None:
    for name, (given, family) in NAMES.items():
        person = world.people[name]
        person.given_name, person.family_name = given, family
        person.save(update_fields=["given_name", "family_name"])
    for name, user in world.users.items():  # a pupil's account is named as the pupil
        person = world.people[name]
        person.refresh_from_db(fields=["given_name", "family_name"])
        user.first_name, user.last_name = person.given_name, person.family_name
        user.save(update_fields=["first_name", "last_name"])


def _documents(world: World) -> None:
    """Alva (5A) has a published talk and IUP, and a draft talk only staff see."""
    teacher = actor_for(world.users["teacher_5a"])
    alva = world.people["p5a_1"].pk
    talk = talk_create(
        actor=teacher,
        pupil_id=alva,
        data=TalkInput(held_on=dt.date(2026, 10, 14), notes=PUBLISHED_TALK_NOTES),
    )
    agreement_add(
        actor=teacher,
        talk=talk,
        text=AGREEMENT_TEXT,
        responsible="pupil",
        follow_up_on=dt.date(2026, 12, 10),
    )
    talk_publish(actor=teacher, talk=talk)
    talk_create(
        actor=teacher,
        pupil_id=alva,
        data=TalkInput(scheduled_at=None, held_on=dt.date(2027, 3, 2), notes=DRAFT_TALK_NOTES),
    )
    iup = iup_create(
        actor=teacher,
        pupil_id=alva,
        data=IUPInput(
            term="HT2026",
            school_year=5,
            goals=PUBLISHED_IUP_GOALS,
            measures="Högläsning i klassen två gånger i veckan.",
            subjects=(
                SubjectInput("GRGRSVE01", "acceptable", "Läser med flyt och förstår texterna."),
                SubjectInput("GRGRMAT01", "more_than_acceptable", "Löser problem med flera steg."),
            ),
        ),
    )
    iup_publish(actor=teacher, iup=iup)


def seed_browser_world() -> BrowserWorld:
    """Onboards the browser tests' municipality (active) with a generated school in it."""
    drop_browser_data()
    municipality_onboard(
        name="Kungälvs kommun",
        code="1482",
        slug=SLUG,
        domain=HOST,
        admin_email="admin@kungalv.example",
    )
    Municipality.objects.filter(schema_name=SLUG).update(status=MunicipalityStatus.ACTIVE)
    with schema_context(SLUG):
        world = build_world()
        _name_everyone(world)
        keys = {
            name: TOTPDevice.objects.create(
                user=world.users[name], name="Telefon", confirmed=True
            ).key
            for name in DEVICE_HOLDERS
        }
        _documents(world)
        seed_grid_class()  # the class grid's 25 pupils (tests/browser/seed_grid.py)
    with schema_context("public"):
        seed_curriculum()
        get_user_model().objects.create_user(
            username=OPERATOR_USERNAME,
            password=PASSWORD,
            email="operator@larspar.example",
            first_name="Olle",
            last_name="Operatör",
            is_staff=True,
        )
    return BrowserWorld(
        pupils={name: person.pk for name, person in world.people.items()},
        groups={name: group.pk for name, group in world.groups.items()},
        users={name: user.pk for name, user in world.users.items()},
        device_keys=keys,
    )
