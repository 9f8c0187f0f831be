"""Plans: draft → published → versions, archive never delete, templates, curriculum binding,
the text guard, and who may write."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from access.documents import DocumentAccessDenied
from access.policy import Actor
from documentation.plans.guard import GuardFindings
from documentation.plans.models import (
    PedagogicalPlan,
    PlanHistory,
    PlanTemplate,
    PlanVersion,
    TemplateScope,
)
from documentation.plans.services.plans import (
    PlanDeletionRefused,
    plan_archive,
    plan_create,
    plan_create_from_template,
    plan_delete,
    plan_publish,
    plan_update,
)
from documentation.plans.services.templates import template_create
from documentation.textguard.models import Acknowledgement
from tests.access.world import World
from tests.conftest import TENANT_A
from tests.documentation.plans.support import (
    CC_1,
    CC_2,
    FLAGGED,
    KR_E,
    OLD_CC_GONE,
    OLD_CC_KEPT,
    OLD_VERSION,
    PERIOD,
    SUBJECT,
    VERSION,
    plan_make,
    rows,
)

ActorOf = Callable[[str], Actor]


def _create(actor: Actor, world: World, **fields: object) -> PedagogicalPlan:
    values: dict[str, object] = {
        "group_id": world.groups["5A"].pk,
        "title": "Bråk",
        "subject_code": SUBJECT,
        "period_start": PERIOD[0],
        "period_end": PERIOD[1],
        "description_html": "<p onclick='x()'>Vi räknar <script>alert(1)</script>bråk</p>",
        "central_content_keys": [CC_1, CC_1, " " + CC_2],
        "knowledge_requirement_keys": [KR_E],
    }
    values.update(fields)
    return plan_create(actor=actor, **values)  # type: ignore[arg-type]


def test_a_teacher_creates_a_draft_bound_to_todays_subject_version(
    world: World, actor: ActorOf
) -> None:
    with schema_context(TENANT_A.slug):
        # When teacher_5a writes a plan for 5A
        plan = _create(actor("teacher_5a"), world)
        # Then it is a draft, sanitised, bound to version 3, references cleaned
        plan.refresh_from_db()
        assert plan.published_at is None
        assert plan.current_version == 0
        assert plan.description_html == "<p>Vi räknar bråk</p>"
        assert plan.curriculum_version == VERSION
        assert plan.central_content_keys == [CC_1, CC_2]
        assert plan.knowledge_requirement_keys == [KR_E]
        assert plan.author == world.users["teacher_5a"]
        # and the creation is in the history, with who and when; no version yet
        (history,) = PlanHistory.objects.filter(plan=plan)
        assert (history.action, history.by_id) == ("created", world.users["teacher_5a"].pk)
        assert history.changes["title"] == "Bråk"
        assert not PlanVersion.objects.filter(plan=plan).exists()


def test_an_activity_plan_takes_the_activitys_subject(world: World, actor: ActorOf) -> None:
    with schema_context(TENANT_A.slug):
        activity = world.groups["Ma8B"].activities.get()
        activity.subject_code = SUBJECT
        activity.save()
        plan = _create(
            actor("teacher_ma8b"), world, group_id=None, activity_id=activity.pk, subject_code=""
        )
        assert (plan.activity_id, plan.group_id, plan.subject_code) == (activity.pk, None, SUBJECT)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"central_content_keys": [f"{SUBJECT}:{VERSION}:cc.4-6.nope"]}, "central_content_keys"),
        ({"central_content_keys": [OLD_CC_KEPT]}, "central_content_keys"),
        ({"knowledge_requirement_keys": ["not a reference"]}, "knowledge_requirement_keys"),
        ({"subject_code": "GRGRXYZ01"}, "subject_code"),
        ({"period_end": PERIOD[0].replace(year=2025)}, "period_end"),
        ({"title": "  "}, "title"),
    ],
)
def test_bad_content_is_refused_and_nothing_written(
    world: World, actor: ActorOf, fields: dict[str, object], field: str
) -> None:
    before = rows()
    with schema_context(TENANT_A.slug), pytest.raises(ValidationError) as refused:
        _create(actor("teacher_5a"), world, **fields)
    assert field in refused.value.message_dict
    assert rows() == before


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("teacher_ma8b", "5A"),  # teaches another group
        ("teacher_ended", "5A"),  # no longer teaches 5A
        ("school_admin_norra", "5A"),  # administrative relations never write documentation
        ("mother_p5a_1", "5A"),
        ("pupil_p5a_1", "5A"),
    ],
)
def test_without_a_staff_relation_to_the_group_nothing_is_written(
    world: World, actor: ActorOf, name: str, target: str
) -> None:
    before = rows()
    with schema_context(TENANT_A.slug), pytest.raises(DocumentAccessDenied):
        _create(actor(name), world, group_id=world.groups[target].pk)
    assert rows() == before


def test_a_missing_group_answers_like_someone_elses(world: World, actor: ActorOf) -> None:
    with schema_context(TENANT_A.slug), pytest.raises(DocumentAccessDenied):
        _create(actor("teacher_5a"), world, group_id=999_999_999)


def test_editing_a_draft_keeps_history_but_makes_no_version(world: World, actor: ActorOf) -> None:
    with schema_context(TENANT_A.slug):
        plan = _create(actor("teacher_5a"), world)
        # When a colleague with a relation to 5A (the special needs teacher) edits the draft
        plan_update(
            actor=actor("specped_5a"),
            plan_id=plan.pk,
            changes={"teaching_forms": "Stationer", "title": "Bråk"},
        )
        # Then only the changed field is recorded, with who; still no version
        history = list(PlanHistory.objects.filter(plan=plan).order_by("pk"))
        assert [(h.action, h.changes, h.by_id) for h in history[1:]] == [
            ("updated", {"teaching_forms": "Stationer"}, world.users["specped_5a"].pk)
        ]
        assert not PlanVersion.objects.filter(plan=plan).exists()
        # and an edit that changes nothing writes nothing
        plan_update(actor=actor("teacher_5a"), plan_id=plan.pk, changes={"title": "Bråk"})
        assert PlanHistory.objects.filter(plan=plan).count() == 2


def test_publishing_makes_version_one_and_later_edits_make_versions(
    world: World, actor: ActorOf
) -> None:
    with schema_context(TENANT_A.slug):
        teacher = actor("teacher_5a")
        plan = _create(teacher, world)
        # When it is published
        plan = plan_publish(actor=teacher, plan_id=plan.pk)
        published_at = plan.published_at
        assert published_at is not None
        assert plan.current_version == 1
        # and edited twice afterwards
        plan_update(actor=teacher, plan_id=plan.pk, changes={"title": "Bråk, del 2"})
        plan_update(actor=teacher, plan_id=plan.pk, changes={"central_content_keys": [CC_2]})
        # Then there are three versions, each a snapshot of the plan at the time
        versions = list(PlanVersion.objects.filter(plan=plan).order_by("version"))
        snapshots = [
            (v.version, v.snapshot["title"], v.snapshot["central_content_keys"]) for v in versions
        ]
        assert snapshots == [
            (1, "Bråk", [CC_1, CC_2]),
            (2, "Bråk, del 2", [CC_1, CC_2]),
            (3, "Bråk, del 2", [CC_2]),
        ]  # fmt: skip
        plan.refresh_from_db()
        assert (plan.current_version, plan.published_at) == (3, published_at)
        assert list(PlanHistory.objects.filter(plan=plan).values_list("action", "version")) == [
            ("created", None),
            ("published", 1),
            ("updated", 2),
            ("updated", 3),
        ]
        # and publishing again is refused
        with pytest.raises(ValidationError, match="already published"):
            plan_publish(actor=teacher, plan_id=plan.pk)


def _sql_refused(sql: str, params: list[object], match: str = "refused|stays") -> None:
    with (
        pytest.raises(IntegrityError, match=match),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def test_the_database_keeps_published_versions_and_history_immutable(
    world: World, actor: ActorOf
) -> None:
    with schema_context(TENANT_A.slug):
        plan = _create(actor("teacher_5a"), world)
        plan_publish(actor=actor("teacher_5a"), plan_id=plan.pk)
        version = PlanVersion.objects.get(plan=plan)
        # ORM and raw SQL alike
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            PlanVersion.objects.filter(pk=version.pk).update(snapshot={"title": "forged"})
        with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
            PlanVersion.objects.filter(pk=version.pk).delete()
        _sql_refused("UPDATE plans_planversion SET version = 9 WHERE id = %s", [version.pk])
        _sql_refused("DELETE FROM plans_planhistory WHERE plan_id = %s", [plan.pk])
        _sql_refused("UPDATE plans_planhistory SET action = 'x' WHERE plan_id = %s", [plan.pk])
        # (FK checks are deferred to the commit: run them now, or TRUNCATE would wait for them)
        _sql_refused("SET CONSTRAINTS ALL IMMEDIATE; TRUNCATE plans_planversion", [])
        # a published plan stays published, at the time it was
        _sql_refused(
            "UPDATE plans_pedagogicalplan SET published_at = NULL WHERE id = %s", [plan.pk]
        )
        _sql_refused(
            "UPDATE plans_pedagogicalplan SET published_at = now() - interval '1 day' "
            "WHERE id = %s",
            [plan.pk],
        )
        version.refresh_from_db()
        assert version.snapshot["title"] == "Bråk"


def test_plans_are_archived_never_deleted(world: World, actor: ActorOf) -> None:
    with schema_context(TENANT_A.slug):
        teacher = actor("teacher_5a")
        plan = _create(teacher, world)
        plan_publish(actor=teacher, plan_id=plan.pk)
        # Deleting is refused by the service and by the database
        with pytest.raises(PlanDeletionRefused):
            plan_delete(actor=teacher, plan_id=plan.pk)
        _sql_refused("DELETE FROM plans_pedagogicalplan WHERE id = %s", [plan.pk], "never deleted")
        # Archiving keeps it, read-only
        archived = plan_archive(actor=teacher, plan_id=plan.pk)
        assert archived.archived_at is not None
        assert PlanHistory.objects.filter(plan=plan, action="archived").count() == 1
        for write in (
            lambda: plan_update(actor=teacher, plan_id=plan.pk, changes={"title": "x"}),
            lambda: plan_publish(actor=teacher, plan_id=plan.pk),
            lambda: plan_archive(actor=teacher, plan_id=plan.pk),
        ):
            with pytest.raises(ValidationError, match="archived"):
                write()
        assert PedagogicalPlan.objects.filter(pk=plan.pk).exists()


def test_a_reader_who_may_not_write_gets_no_write(world: World, actor: ActorOf) -> None:
    with schema_context(TENANT_A.slug):
        plan = plan_make(world, published=True)
    before = rows()
    with schema_context(TENANT_A.slug):
        # the mother reads the published plan, but writes nothing; teacher_ma8b does not even read
        for name, error in (
            ("mother_p5a_1", DocumentAccessDenied),
            ("pupil_p5a_1", DocumentAccessDenied),
            ("teacher_ma8b", PedagogicalPlan.DoesNotExist),
        ):
            with pytest.raises(error):
                plan_update(actor=actor(name), plan_id=plan.pk, changes={"title": "x"})
            with pytest.raises(error):
                plan_archive(actor=actor(name), plan_id=plan.pk)
    assert rows() == before


def test_text_guard_findings_need_an_acknowledgement(world: World, actor: ActorOf) -> None:
    before = rows()
    with schema_context(TENANT_A.slug):
        # Without an acknowledgement: refused, nothing written
        with pytest.raises(GuardFindings) as refused:
            _create(actor("teacher_5a"), world, teaching_forms=FLAGGED)
        (finding,) = refused.value.findings
        assert (finding["field"], finding["text"], finding["category"]) == (
            "teaching_forms",
            "lat",
            "value_judgement",
        )
    assert rows() == before
    with schema_context(TENANT_A.slug):
        # With it: saved, and the acknowledgement recorded for the plan
        plan = _create(actor("teacher_5a"), world, teaching_forms=FLAGGED, acknowledge=True)
        assert plan.teaching_forms == FLAGGED
        assert Acknowledgement.objects.filter(document_ref=f"plans.plan:{plan.pk}").exists()
        # Publishing checks the texts again
        with pytest.raises(GuardFindings):
            plan_publish(actor=actor("teacher_5a"), plan_id=plan.pk)
        plan_publish(actor=actor("teacher_5a"), plan_id=plan.pk, acknowledge=True)


# --- Templates -----------------------------------------------------------------------------------


def test_school_templates_are_shared_within_the_school(world: World, actor: ActorOf) -> None:
    with schema_context(TENANT_A.slug):
        norra = world.groups["5A"].organisation.parent
        template = template_create(
            actor=actor("teacher_5a"),
            scope=TemplateScope.ORGANISATION,
            organisation_id=norra.pk,
            title="Bråk, mall",
            subject_code=SUBJECT,
            description_html="<p>Mall<script>x</script></p>",
            central_content_keys=[CC_1],
        )
        assert template.description_html == "<p>Mall</p>"
        assert template.curriculum_version == VERSION
        from documentation.plans.selectors import templates_visible

        def sees(name: str) -> bool:
            return templates_visible(actor(name)).filter(pk=template.pk).exists()

        # Norra's staff see it; Södra's teacher, pupils and guardians do not
        assert sees("teacher_ma8b")
        assert sees("principal_norra")
        assert sees("mentor_8b")
        assert not sees("teacher_idle")
        assert not sees("mother_p5a_1")
        assert not sees("pupil_p5a_1")
        assert sees("municipality_admin")


def test_municipality_templates_are_for_principals_and_administrators_to_share(
    world: World, actor: ActorOf
) -> None:
    with schema_context(TENANT_A.slug):
        fields = {
            "scope": TemplateScope.MUNICIPALITY,
            "title": "Kommunmall",
            "subject_code": SUBJECT,
        }
        from django.core.exceptions import PermissionDenied

        with pytest.raises(PermissionDenied):
            template_create(actor=actor("teacher_5a"), **fields)  # type: ignore[arg-type]
        with pytest.raises(PermissionDenied):
            template_create(actor=actor("mother_p5a_1"), **fields)  # type: ignore[arg-type]
        template = template_create(actor=actor("principal_norra"), **fields)  # type: ignore[arg-type]
        from documentation.plans.selectors import templates_visible

        assert templates_visible(actor("teacher_idle")).filter(pk=template.pk).exists()
        # and a school template only for a school one works at
        with pytest.raises(ValidationError):
            template_create(
                actor=actor("teacher_idle"),
                scope=TemplateScope.ORGANISATION,
                organisation_id=world.groups["5A"].organisation_id,
                title="x",
                subject_code=SUBJECT,
            )


def test_a_plan_from_a_template_copies_it_and_moves_references_to_todays_version(
    world: World, actor: ActorOf
) -> None:
    with schema_context(TENANT_A.slug):
        # Given a template written against the older version
        template = PlanTemplate.objects.create(
            scope=TemplateScope.MUNICIPALITY,
            title="Taluppfattning",
            subject_code=SUBJECT,
            curriculum_version=OLD_VERSION,
            description_html="<p>Mall</p>",
            teaching_forms="Genomgång",
            assessment_forms="Diagnos",
            central_content_keys=[OLD_CC_KEPT, OLD_CC_GONE],
            created_by=world.users["principal_norra"],
        )
        # When a teacher makes a plan of it for 5A, with their own title
        plan, left_out = plan_create_from_template(
            actor=actor("teacher_5a"),
            template_id=template.pk,
            group_id=world.groups["5A"].pk,
            period_start=PERIOD[0],
            period_end=PERIOD[1],
            overrides={"title": "Taluppfattning 5A"},
        )
        # Then the content is copied, bound to today's version; the reference whose key is in
        # today's version moved along, the other is reported
        assert (plan.title, plan.teaching_forms, plan.assessment_forms) == (
            "Taluppfattning 5A",
            "Genomgång",
            "Diagnos",
        )
        assert (plan.template_id, plan.curriculum_version) == (template.pk, VERSION)
        assert plan.central_content_keys == [CC_1]
        assert left_out == [OLD_CC_GONE]
        assert plan.published_at is None


def test_a_template_one_cannot_see_is_missing(world: World, actor: ActorOf) -> None:
    with schema_context(TENANT_A.slug):
        template = PlanTemplate.objects.create(
            scope=TemplateScope.ORGANISATION,
            organisation=world.groups["3C"].organisation,
            title="Södras mall",
            subject_code=SUBJECT,
            created_by=world.users["teacher_idle"],
        )
        with pytest.raises(PlanTemplate.DoesNotExist):
            plan_create_from_template(
                actor=actor("teacher_5a"),
                template_id=template.pk,
                group_id=world.groups["5A"].pk,
                period_start=PERIOD[0],
                period_end=PERIOD[1],
            )


def test_an_activitys_plan_is_read_through_the_activitys_groups(
    world: World, actor: ActorOf
) -> None:
    from documentation.plans.selectors import plans_readable

    with schema_context(TENANT_A.slug):
        activity = world.groups["Ma8B"].activities.get()
        teacher = actor("teacher_ma8b")
        plan = _create(teacher, world, group_id=None, activity_id=activity.pk)

        def reads(name: str) -> bool:
            return plans_readable(actor(name)).filter(pk=plan.pk).exists()

        # A draft: its teacher and the principal; not the pupils, not the mentor of 8B
        assert [reads(n) for n in ("teacher_ma8b", "principal_norra")] == [True, True]
        assert [reads(n) for n in ("pupil_p8b_protected", "mentor_8b", "teacher_5a")] == [
            False,
            False,
            False,
        ]
        # Published: the group's members and their guardians too
        plan_publish(actor=teacher, plan_id=plan.pk)
        assert [reads(n) for n in ("pupil_p8b_protected", "parent_p8b_protected")] == [True, True]
        assert [reads(n) for n in ("mentor_8b", "mother_p5a_1", "foster_p8b_2")] == [
            False,
            False,
            False,
        ]
        # and only staff of the activity's groups write it
        with pytest.raises(DocumentAccessDenied):
            _create(actor("mentor_8b"), world, group_id=None, activity_id=activity.pk)
