from django.db import migrations

FORWARD = """
CREATE FUNCTION talks_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'published versions are immutable (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER talks_version_immutable BEFORE UPDATE OR DELETE ON talks_documentversion
    FOR EACH ROW EXECUTE FUNCTION talks_version_immutable();
"""
REVERSE = """
DROP TRIGGER IF EXISTS talks_version_immutable ON talks_documentversion;
DROP FUNCTION IF EXISTS talks_version_immutable();
"""


class Migration(migrations.Migration):
    """A published talk or IUP is a public record: its versions are never changed or removed."""

    dependencies = [("talks", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
