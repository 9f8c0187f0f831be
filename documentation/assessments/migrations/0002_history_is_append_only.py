from django.db import migrations

# Written for django-tenants like access 0002: no schema names, so the template copy reproduces
# the function and triggers in every municipality unchanged.
FORWARD = """
CREATE FUNCTION assessments_history_refuse() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'assessment history is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$fn$;
CREATE TRIGGER assessments_history_append_only
    BEFORE UPDATE OR DELETE ON assessments_summativeassessmenthistory
    FOR EACH ROW EXECUTE FUNCTION assessments_history_refuse();
CREATE TRIGGER assessments_history_no_truncate
    BEFORE TRUNCATE ON assessments_summativeassessmenthistory
    FOR EACH STATEMENT EXECUTE FUNCTION assessments_history_refuse();
"""
REVERSE = """
DROP TRIGGER IF EXISTS assessments_history_no_truncate ON assessments_summativeassessmenthistory;
DROP TRIGGER IF EXISTS assessments_history_append_only ON assessments_summativeassessmenthistory;
DROP FUNCTION IF EXISTS assessments_history_refuse();
"""


class Migration(migrations.Migration):
    """Every change of a summative assessment is kept: the history is never updated or removed."""

    dependencies = [("assessments", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
