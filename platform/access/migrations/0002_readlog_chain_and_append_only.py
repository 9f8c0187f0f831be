"""The read log's rules, in the database: append-only, numbered and hash-chained per schema.

Written for django-tenants: every function finds its tables through TG_TABLE_SCHEMA (never the
search_path, never a schema name), so `clone_schema` copies them from the template schema to a
new municipality unchanged, and a chain never reads another municipality's rows. See
docs/read-log.md for the design; tests/access/test_readlog.py for the proofs.

access_log_digest(...): the entry hash, sha256 over
    prev_hash || '\n' || 'larspar-access-log-v1' || '\n' || F(id) F(at) F(actor_id) ...
where F(v) = <UTF-8 octet length of v> ':' v ';' (NULL as ''), `at` is microseconds since the
Unix epoch, pupil ids are joined with ',', relations are F(key) F(value) pairs sorted by the key's
UTF-8 bytes, and the IP is text(inet): address/prefix length ("192.0.2.1/32"). Unambiguous, and
independent of the session's time zone.

access_log_chain(): BEFORE INSERT. Refuses anything but READ COMMITTED (it must see the latest
committed entry), takes pg_advisory_xact_lock(hashtext('larspar.access_log'),
hashtext(<schema>)) (held until commit), numbers the entry (previous id + 1, or the last purge's
through_id + 1, or 1) and sets prev_hash and entry_hash. Whatever the application sent for id,
prev_hash or entry_hash is overwritten.

access_log_guard(): BEFORE UPDATE OR DELETE on entries. UPDATE is always refused. DELETE passes
only when the transaction-local setting larspar.retention_purge is 'on' (only
access_log_purge_expired sets it) AND the entry is older than the municipality's retention
(municipal_municipalsettings.access_log_retention_months, never less than 24 months).

access_log_refuse(): refuses UPDATE and DELETE on purge checkpoints and TRUNCATE on both tables.
"""

from django.db import migrations

FORWARD = r"""
ALTER TABLE access_accesslogentry ALTER COLUMN id DROP IDENTITY IF EXISTS;

CREATE FUNCTION access_log_digest(
    p_prev_hash text, p_id bigint, p_occurred_at timestamptz, p_actor_id bigint,
    p_actor_display text, p_actor_role text, p_pupil_ids bigint[], p_relations jsonb,
    p_resource text, p_object_ref text, p_request_id text, p_ip inet, p_user_agent text
) RETURNS text LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
    SELECT encode(sha256(convert_to(
        coalesce(p_prev_hash, '') || E'\n' || 'larspar-access-log-v1' || E'\n' || (
            SELECT string_agg(
                octet_length(convert_to(coalesce(f, ''), 'UTF8'))::text || ':' || coalesce(f, '')
                || ';', ''
                ORDER BY n
            )
            FROM unnest(ARRAY[
                p_id::text,
                ((extract(epoch FROM p_occurred_at) * 1000000)::bigint)::text,
                p_actor_id::text,
                p_actor_display::text,
                p_actor_role::text,
                array_to_string(p_pupil_ids, ','),
                (
                    SELECT string_agg(
                        octet_length(convert_to(k, 'UTF8'))::text || ':' || k || ';'
                        || octet_length(convert_to(coalesce(v, ''), 'UTF8'))::text || ':'
                        || coalesce(v, '') || ';',
                        '' ORDER BY convert_to(k, 'UTF8')
                    )
                    FROM jsonb_each_text(p_relations) AS r(k, v)
                ),
                p_resource::text,
                p_object_ref::text,
                p_request_id::text,
                p_ip::text,
                p_user_agent::text
            ]) WITH ORDINALITY AS t(f, n)
        ),
        'UTF8'
    )), 'hex')
$fn$;

CREATE FUNCTION access_log_chain() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    last_id bigint;
    last_hash text;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'access log entries are written in READ COMMITTED transactions only'
            USING ERRCODE = 'invalid_transaction_state',
                  HINT = 'The chain must see the latest committed entry.';
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('larspar.access_log'), hashtext(TG_TABLE_SCHEMA));
    EXECUTE format(
        'SELECT id, entry_hash FROM %I.access_accesslogentry ORDER BY id DESC LIMIT 1',
        TG_TABLE_SCHEMA
    ) INTO last_id, last_hash;
    IF last_id IS NULL THEN
        EXECUTE format(
            'SELECT through_id, through_hash FROM %I.access_accesslogpurge ORDER BY id DESC LIMIT 1',
            TG_TABLE_SCHEMA
        ) INTO last_id, last_hash;
    END IF;
    NEW.id := coalesce(last_id, 0) + 1;
    NEW.occurred_at := coalesce(NEW.occurred_at, now());
    NEW.pupil_ids := coalesce(NEW.pupil_ids, '{}');
    NEW.relations := coalesce(NEW.relations, '{}');
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    EXECUTE format(
        'SELECT %I.access_log_digest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)',
        TG_TABLE_SCHEMA
    ) INTO NEW.entry_hash
      USING NEW.prev_hash, NEW.id, NEW.occurred_at, NEW.actor_id, NEW.actor_display,
            NEW.actor_role, NEW.pupil_ids, NEW.relations, NEW.resource, NEW.object_ref,
            NEW.request_id, NEW.ip, NEW.user_agent;
    RETURN NEW;
END
$fn$;

CREATE FUNCTION access_log_guard() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    months integer;
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('larspar.retention_purge', true) = 'on' THEN
        EXECUTE format(
            'SELECT access_log_retention_months FROM %I.municipal_municipalsettings WHERE id = 1',
            TG_TABLE_SCHEMA
        ) INTO months;
        months := greatest(coalesce(months, 24), 24);
        IF OLD.occurred_at < now() - make_interval(months => months) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'access log entry % is within the retention of % months', OLD.id, months
            USING ERRCODE = 'restrict_violation';
    END IF;
    RAISE EXCEPTION 'the access log is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Expired entries are removed by access_log_purge_expired() only.';
END
$fn$;

CREATE FUNCTION access_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END
$fn$;

CREATE TRIGGER access_log_chain BEFORE INSERT ON access_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION access_log_chain();
CREATE TRIGGER access_log_guard BEFORE UPDATE OR DELETE ON access_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION access_log_guard();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_accesslogentry
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse();
CREATE TRIGGER access_log_purge_guard BEFORE UPDATE OR DELETE ON access_accesslogpurge
    FOR EACH ROW EXECUTE FUNCTION access_log_refuse();
CREATE TRIGGER access_log_purge_no_truncate BEFORE TRUNCATE ON access_accesslogpurge
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_refuse();
"""

BACKWARD = r"""
DROP TRIGGER access_log_purge_no_truncate ON access_accesslogpurge;
DROP TRIGGER access_log_purge_guard ON access_accesslogpurge;
DROP TRIGGER access_log_no_truncate ON access_accesslogentry;
DROP TRIGGER access_log_guard ON access_accesslogentry;
DROP TRIGGER access_log_chain ON access_accesslogentry;
DROP FUNCTION access_log_refuse();
DROP FUNCTION access_log_guard();
DROP FUNCTION access_log_chain();
DROP FUNCTION access_log_digest(
    text, bigint, timestamptz, bigint, text, text, bigint[], jsonb, text, text, text, inet, text
);
ALTER TABLE access_accesslogentry ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY;
SELECT setval(
    pg_get_serial_sequence('access_accesslogentry', 'id'),
    coalesce((SELECT max(id) FROM access_accesslogentry), 0) + 1,
    false
);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        # access_log_guard() reads the retention from municipal_municipalsettings.
        ("municipal", "0001_initial"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
