"""A living school for the demo: the demo teacher's class gets a published plan, a matrix with
summative assessments for the whole class, lärlogg entries, a development talk with agreed
actions and a published IUP for the demo pupil. Everything is written through the same services
the API uses, as the demo teacher (so the access rules and the text guard apply)."""

from __future__ import annotations

import datetime as dt

from access.documents import staff_groups, staff_pupils
from access.policy import Actor, actor_for, group_members
from accounts.models import User
from deploy.demo_seed import DemoLogin, MunicipalitySpec
from documentation.assessments.models import AssessmentMatrix
from documentation.assessments.services.grid import CellInput, grid_save
from documentation.assessments.services.matrices import (
    MatrixInput,
    RowInput,
    matrix_create,
    matrix_publish,
)
from documentation.plans.models import PedagogicalPlan
from documentation.plans.services.formative import formative_entry_create
from documentation.plans.services.plans import plan_create, plan_publish
from documentation.talks.models import IUP, DevelopmentTalk
from documentation.talks.services.iups import IUPInput, SubjectInput, iup_create, iup_publish
from documentation.talks.services.talks import TalkInput, agreement_add, talk_create, talk_publish
from register.models import Group
from register.models.base import today

STEPS = ["", "enkla", "utvecklade", "välutvecklade"]


def documentation_seeder(logins: list[DemoLogin], spec: MunicipalitySpec) -> None:
    """Writes the demo documentation once (a teacher with plans already has it)."""
    teacher_login = next((x for x in logins if x.role.startswith("Teacher")), None)
    pupil_login = next((x for x in logins if x.role.startswith("Pupil")), None)
    if teacher_login is None or pupil_login is None:
        return
    teacher = User.objects.get(username=teacher_login.username)
    if PedagogicalPlan.objects.filter(author=teacher).exists():
        return
    actor = actor_for(teacher)
    pupil = User.objects.get(username=pupil_login.username).person
    group = _class_of(actor, pupil.pk)
    if group is None:
        return
    members = [p.pk for p in group_members(actor, group)]
    if not staff_pupils(actor).filter(pk=pupil.pk).exists():
        return
    on = today()
    plan = _plan(actor, group, on)
    _assessments(actor, group, members, on)
    formative_entry_create(
        actor=actor, date=on, group_id=group.pk, plan_id=plan.pk, visibility="pupil_guardians",
        text="Vi har arbetat med taluppfattning och problemlösning. Nästa vecka: bråk.",
    )  # fmt: skip
    formative_entry_create(
        actor=actor, date=on, pupil_ids=[pupil.pk], plan_id=plan.pk,
        visibility="pupil_guardians",
        text="Du förklarar dina lösningar tydligt. Träna vidare på att kontrollera svaren.",
    )  # fmt: skip
    _talk_and_iup(actor, pupil.pk, on)


def _class_of(actor: Actor, pupil_id: int) -> Group | None:
    """The demo pupil's group among the teacher's, else the teacher's first group with pupils."""
    groups = list(Group.objects.filter(pk__in=staff_groups(actor)).order_by("display_name", "pk"))
    for group in groups:
        if group.memberships.filter(person_id=pupil_id).exists():
            return group
    return next((g for g in groups if group_members(actor, g).exists()), None)


def _curriculum_refs(code: str, on: dt.date) -> tuple[list[str], list[str]]:
    """Two central content items and the knowledge requirements of the demo syllabus."""
    from curriculum.models import CentralContent, KnowledgeRequirement
    from documentation.plans.curriculum_refs import subject_version_on

    version = subject_version_on(code=code, on=on)
    if version is None:
        return [], []
    content = CentralContent.objects.filter(code=code, version=version).order_by("pk")[:2]
    requirements = KnowledgeRequirement.objects.filter(code=code, version=version).order_by("pk")
    return (
        [f"{code}:{version}:{item.key}" for item in content],
        [f"{code}:{version}:{item.key}" for item in requirements[:2]],
    )


def _plan(actor: Actor, group: Group, on: dt.date) -> PedagogicalPlan:
    central_content, requirements = _curriculum_refs("GRGRMAT01", on)
    plan = plan_create(
        subject_code="GRGRMAT01",
        central_content_keys=central_content,
        knowledge_requirement_keys=requirements,
        actor=actor,
        title="Taluppfattning och problemlösning",
        period_start=on - dt.timedelta(days=14),
        period_end=on + dt.timedelta(days=28),
        group_id=group.pk,
        description_html=(
            "<p>Vi arbetar med tal i olika former och strategier för problemlösning.</p>"
            "<ul><li>Bråk och decimaltal</li><li>Rimlighetsbedömning</li></ul>"
        ),
        teaching_forms="Genomgångar, arbete i par och gemensamma diskussioner.",
        assessment_forms="Muntliga redovisningar och en skriftlig uppgift.",
    )
    return plan_publish(actor=actor, plan_id=plan.pk)


def _assessments(actor: Actor, group: Group, members: list[int], on: dt.date) -> None:
    levels = ["Inte ännu", "E", "C", "A"]
    matrix = matrix_create(
        actor=actor,
        data=MatrixInput(
            title="Matematik: problemlösning",
            levels=levels,
            rows=[
                RowInput("Metoder och strategier", descriptions=STEPS),
                RowInput("Resonemang", descriptions=STEPS),
                RowInput("Begrepp", descriptions=["", "grundläggande", "goda", "mycket goda"]),
            ],
        ),
    )  # fmt: skip
    matrix = matrix_publish(actor=actor, matrix=matrix)
    rows = list(matrix.rows.order_by("position"))
    level_ids = [level.pk for level in matrix.levels.order_by("position")]
    cells = [
        CellInput(pupil_id=pupil_id, row_id=row.pk, level_id=level_ids[1 + (i + j) % 3])
        for i, pupil_id in enumerate(members)
        for j, row in enumerate(rows)
    ]
    grid_save(actor=actor, matrix=AssessmentMatrix.objects.get(pk=matrix.pk), cells=cells)


def _talk_and_iup(actor: Actor, pupil_id: int, on: dt.date) -> None:
    talk = talk_create(
        actor=actor,
        pupil_id=pupil_id,
        data=TalkInput(
            held_on=on - dt.timedelta(days=7),
            notes="Samtalet handlade om läsning och matematik. Eleven vill läsa fler böcker.",
            answers={"0.0": "Problemlösning i matematik har gått bra."},
        ),
    )
    agreement_add(
        actor=actor, talk=talk, text="Läsa 20 minuter varje dag.", responsible="pupil",
        follow_up_on=on + dt.timedelta(days=30),
    )  # fmt: skip
    talk_publish(actor=actor, talk=DevelopmentTalk.objects.get(pk=talk.pk))
    iup = iup_create(
        actor=actor,
        pupil_id=pupil_id,
        data=IUPInput(
            term=f"HT{on.year}",
            goals="Utveckla läsförståelsen och förklara lösningar i matematik.",
            measures="Högläsning hemma och i skolan; träna på att redovisa lösningar.",
            subjects=(
                SubjectInput("GRGRMAT01", "acceptable", "Löser problem med fungerande metoder."),
                SubjectInput("GRGRSVE01", "acceptable", "Läser med flyt och förstår texter."),
            ),
        ),
    )
    iup_publish(actor=actor, iup=IUP.objects.get(pk=iup.pk))
