"""Demo register data, loaded through the real import pipeline: a synthetic municipality is
written as an SS 12000 file bundle and imported like any municipality's register export. Then a
few of the imported people get the demo password through the real invitation path."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

from django.conf import settings

from access.documents import staff_pupils
from access.policy import actor_for
from accounts.models import InvitationRole, User
from accounts.services.invitations import invitation_accept, invitation_create
from core.db import connection
from deploy.demo_seed import DemoLogin, MunicipalitySpec
from integrations.models import ImportRun, ImportStatus
from integrations.services.runs import import_run_create, import_run_execute
from integrations.synthetic.generator import generate_municipality
from integrations.synthetic.ss12000_json import write_file_bundle
from register.models import Activity, ActivityTeacher, AssignmentRole, Duty, Person, Responsible

DEMO_PUPILS = int(os.environ.get("DEMO_PUPILS", "300"))


def register_import_seeder(spec: MunicipalitySpec, password: str) -> list[DemoLogin]:
    """Imports the demo register once (later runs find it in place), then returns a teacher, a
    mentor, a principal, a pupil and that pupil's guardian, all able to sign in."""
    if not ImportRun.objects.filter(status=ImportStatus.SUCCEEDED, dry_run=False).exists():
        _import_demo_register(spec)
    return _demo_people(spec, password)


def _import_demo_register(spec: MunicipalitySpec) -> None:
    folder = Path(settings.MEDIA_ROOT) / connection.schema_name / "imports" / "demo-register"
    municipality = generate_municipality(
        pupils=DEMO_PUPILS, seed=zlib.crc32(spec.slug.encode()), municipality_code=spec.code,
        name=spec.name,
    )  # fmt: skip
    write_file_bundle(municipality, folder)
    run = import_run_create(
        source="ss12000-files", source_path=str(folder), trigger="command", enqueue=False
    )
    import_run_execute(run_id=run.pk)
    run.refresh_from_db()
    if run.status != ImportStatus.SUCCEEDED:
        raise RuntimeError(f"the demo register import failed: {run.failure}")


def _demo_people(spec: MunicipalitySpec, password: str) -> list[DemoLogin]:
    teacher, pupil, guardian = _teacher_with_a_family()
    mentor = _account_of(
        Person.objects.filter(
            duties__in=AssignmentRole.objects.filter(role_type="Mentor").values("duty"),
            user__is_active=True,
        ).order_by("family_name", "given_name", "pk")
    )
    principal = _account_of(
        Person.objects.filter(
            pk__in=Duty.objects.filter(duty_role="Rektor").values("person"), user__is_active=True
        ).order_by("family_name", "given_name", "pk")
    )
    logins = [
        _with_password(teacher, "Teacher (lärare)", spec, password),
        _with_password(mentor, "Mentor", spec, password),
        _with_password(principal, "Principal (rektor)", spec, password),
        _with_password(pupil, "Pupil (elev)", spec, password),
        _with_password(guardian, "Guardian (vårdnadshavare)", spec, password),
    ]
    return [login for login in logins if login is not None]


def _teacher_with_a_family() -> tuple[User | None, User | None, User | None]:
    """A teacher who documents a pupil with an account whose guardian has one too, so the demo
    shows the same documents from all three sides."""
    teaching_now = ActivityTeacher.objects.current().filter(activity__in=Activity.objects.current())
    teachers = Person.objects.filter(
        pk__in=teaching_now.values("duty__person"), user__is_active=True
    ).order_by("family_name", "given_name", "pk")
    for teacher in teachers[:50]:
        if teacher.user is None:
            continue
        # Pupils the teacher documents (a teacher may also hold an administrative duty).
        taught = Person.objects.filter(
            pk__in=staff_pupils(actor_for(teacher.user)), user__is_active=True
        ).order_by("family_name", "given_name", "pk")
        for pupil in taught[:40]:
            guardian = (
                Person.objects.filter(
                    pk__in=Responsible.objects.filter(
                        pupil=pupil, relation_type="Vårdnadshavare"
                    ).values("guardian"),
                    user__is_active=True,
                )
                .order_by("pk")
                .first()
            )
            if guardian is not None:
                return teacher.user, pupil.user, guardian.user
    return None, None, None


def _account_of(people: object) -> User | None:
    person = people.first()  # type: ignore[attr-defined]
    return person.user if person is not None else None


def _with_password(
    user: User | None, role: str, spec: MunicipalitySpec, password: str
) -> DemoLogin | None:
    if user is None:
        return None
    if user.has_usable_password():
        known = password if user.check_password(password) else None
        return DemoLogin(role, spec.domain, user.username, known, created=False)
    issued = invitation_create(
        email=user.email or f"{user.username}@demo.invalid",
        role=InvitationRole.ACCOUNT_HOLDER,
        user=user,
        send_email=False,
    )
    invitation_accept(token=issued.token, password=password)
    return DemoLogin(role, spec.domain, user.username, password, created=True)
