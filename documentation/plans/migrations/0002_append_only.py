"""The plans' records, in the database (an ORM update(), save(), delete() and raw SQL all fail
the same way, SQLSTATE 23001 restrict_violation):

- plan versions, plan history and formative-entry history are append-only: UPDATE, DELETE and
  TRUNCATE are refused;
- a plan is never deleted (finished plans are archived), and once published it stays published
  at the moment it was published (published_at can be neither cleared nor moved).

The functions name no schema and read no table, so clone_schema copies them from the template
schema to a new municipality unchanged (like access's read log, migration 0002).
"""

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION plans_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$fn$;

CREATE FUNCTION plans_plan_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'pedagogical plan % is never deleted: archive it', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF OLD.published_at IS NOT NULL AND NEW.published_at IS DISTINCT FROM OLD.published_at THEN
        RAISE EXCEPTION 'pedagogical plan % was published at %: that stays', OLD.id,
            OLD.published_at
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF NEW.current_version < OLD.current_version THEN
        RAISE EXCEPTION 'pedagogical plan %: versions only grow', OLD.id
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END
$fn$;

CREATE TRIGGER plans_version_append_only BEFORE UPDATE OR DELETE ON plans_planversion
    FOR EACH ROW EXECUTE FUNCTION plans_refuse_change();
CREATE TRIGGER plans_version_no_truncate BEFORE TRUNCATE ON plans_planversion
    FOR EACH STATEMENT EXECUTE FUNCTION plans_refuse_change();
CREATE TRIGGER plans_history_append_only BEFORE UPDATE OR DELETE ON plans_planhistory
    FOR EACH ROW EXECUTE FUNCTION plans_refuse_change();
CREATE TRIGGER plans_history_no_truncate BEFORE TRUNCATE ON plans_planhistory
    FOR EACH STATEMENT EXECUTE FUNCTION plans_refuse_change();
CREATE TRIGGER plans_entry_history_append_only BEFORE UPDATE OR DELETE
    ON plans_formativeentryhistory
    FOR EACH ROW EXECUTE FUNCTION plans_refuse_change();
CREATE TRIGGER plans_entry_history_no_truncate BEFORE TRUNCATE ON plans_formativeentryhistory
    FOR EACH STATEMENT EXECUTE FUNCTION plans_refuse_change();
CREATE TRIGGER plans_plan_guard BEFORE UPDATE OR DELETE ON plans_pedagogicalplan
    FOR EACH ROW EXECUTE FUNCTION plans_plan_guard();
CREATE TRIGGER plans_plan_no_truncate BEFORE TRUNCATE ON plans_pedagogicalplan
    FOR EACH STATEMENT EXECUTE FUNCTION plans_refuse_change();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS plans_plan_no_truncate ON plans_pedagogicalplan;
DROP TRIGGER IF EXISTS plans_plan_guard ON plans_pedagogicalplan;
DROP TRIGGER IF EXISTS plans_entry_history_no_truncate ON plans_formativeentryhistory;
DROP TRIGGER IF EXISTS plans_entry_history_append_only ON plans_formativeentryhistory;
DROP TRIGGER IF EXISTS plans_history_no_truncate ON plans_planhistory;
DROP TRIGGER IF EXISTS plans_history_append_only ON plans_planhistory;
DROP TRIGGER IF EXISTS plans_version_no_truncate ON plans_planversion;
DROP TRIGGER IF EXISTS plans_version_append_only ON plans_planversion;
DROP FUNCTION IF EXISTS plans_plan_guard();
DROP FUNCTION IF EXISTS plans_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("plans", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
