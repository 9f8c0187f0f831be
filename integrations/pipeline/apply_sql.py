"""The set-based SQL that applies staged register rows to the live tables (one transaction).

Every statement writes only rows whose content differs (IS DISTINCT FROM), so re-applying the
same data writes nothing. "Gone" never deletes: dated rows are ended yesterday, persons get
``removed_at``; documentation that refers to them is kept.
"""


def quarantined(person_sid: str) -> str:
    """SQL: whether the person is in quarantine. Read in this run ('quarantined' mark), or in an
    earlier one and not admitted since: an incremental run does not receive an unchanged
    protected person again, but the references to them in what changed are still held back."""
    # Composed at import from the column names below (constants), never from input.
    return f"""(EXISTS (SELECT 1 FROM s_mark m WHERE m.kind = 'quarantined'
                   AND m.source_id = {person_sid})
            OR EXISTS (SELECT 1 FROM integrations_quarantinedperson q
                       WHERE q.source_id = {person_sid} AND q.admitted_at IS NULL))"""  # noqa: S608


# Staged children whose references do not resolve: (table, description, SQL returning
# (parent_sid, missing_sid, held) and deleting the rows). "held" is true when the missing
# person is in quarantine (protected identity), or the missing duty is held back for that
# reason (HeldDuty): held back, not an error.
DANGLING = [
    (
        "s_org",
        "organisation",
        "parent organisation",
        """
        DELETE FROM s_org s WHERE s.parent_sid IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM s_org p WHERE p.source_id = s.parent_sid)
          AND NOT EXISTS (SELECT 1 FROM register_organisation p WHERE p.source_id = s.parent_sid)
        RETURNING s.source_id, s.parent_sid, false""",
    ),
    (
        "s_enrolment",
        "person",
        "school unit",
        """
        DELETE FROM s_enrolment s WHERE NOT EXISTS (
            SELECT 1 FROM register_organisation o WHERE o.source_id = s.unit_sid)
        RETURNING s.person_sid, s.unit_sid, false""",
    ),
    (
        "s_responsible",
        "person",
        "responsible person",
        f"""
        DELETE FROM s_responsible s WHERE NOT EXISTS (
            SELECT 1 FROM register_person g WHERE g.source_id = s.guardian_sid
              AND g.removed_at IS NULL)
        RETURNING s.pupil_sid, s.guardian_sid, {quarantined("s.guardian_sid")}""",  # noqa: S608
    ),
    (
        "s_group",
        "group",
        "organisation",
        """
        DELETE FROM s_group s WHERE NOT EXISTS (
            SELECT 1 FROM register_organisation o WHERE o.source_id = s.org_sid)
        RETURNING s.source_id, s.org_sid, false""",
    ),
    (
        "s_membership",
        "group",
        "member",
        f"""
        DELETE FROM s_membership s WHERE NOT EXISTS (
            SELECT 1 FROM register_person p WHERE p.source_id = s.person_sid
              AND p.removed_at IS NULL)
        RETURNING s.group_sid, s.person_sid, {quarantined("s.person_sid")}""",  # noqa: S608
    ),
    (
        "s_duty",
        "duty",
        "person or organisation",
        # A duty of a person in quarantine is held back, and noted ('held:duty'), so that the
        # activities it teaches hold back that part too instead of reporting an unknown duty.
        f"""
        WITH dropped AS (
            DELETE FROM s_duty s WHERE NOT EXISTS (
                SELECT 1 FROM register_person p WHERE p.source_id = s.person_sid
                  AND p.removed_at IS NULL)
              OR NOT EXISTS (
                SELECT 1 FROM register_organisation o WHERE o.source_id = s.duty_at_sid)
            RETURNING s.source_id, s.person_sid, {quarantined("s.person_sid")} AS held
        ), noted AS (
            INSERT INTO s_mark (kind, source_id)
            SELECT 'held:duty', source_id FROM dropped WHERE held
        ), kept AS (
            INSERT INTO integrations_heldduty (source_id, person_source_id)
            SELECT source_id, person_sid FROM dropped WHERE held
            ON CONFLICT (source_id) DO UPDATE SET person_source_id = EXCLUDED.person_source_id
        )
        SELECT source_id, person_sid, held FROM dropped""",  # noqa: S608
    ),
    (
        "s_assignment",
        "duty",
        "group",
        """
        DELETE FROM s_assignment s WHERE NOT EXISTS (
            SELECT 1 FROM register_group g WHERE g.source_id = s.group_sid)
        RETURNING s.duty_sid, s.group_sid, false""",
    ),
    (
        "s_activity",
        "activity",
        "organisation",
        """
        DELETE FROM s_activity s WHERE NOT EXISTS (
            SELECT 1 FROM register_organisation o WHERE o.source_id = s.org_sid)
        RETURNING s.source_id, s.org_sid, false""",
    ),
    (
        "s_activity_group",
        "activity",
        "group",
        """
        DELETE FROM s_activity_group s WHERE NOT EXISTS (
            SELECT 1 FROM register_group g WHERE g.source_id = s.group_sid)
        RETURNING s.activity_sid, s.group_sid, false""",
    ),
    (
        "s_activity_teacher",
        "activity",
        "teacher's duty",
        """
        DELETE FROM s_activity_teacher s WHERE NOT EXISTS (
            SELECT 1 FROM register_duty d WHERE d.source_id = s.duty_sid)
        RETURNING s.activity_sid, s.duty_sid,
            EXISTS (SELECT 1 FROM s_mark m WHERE m.kind = 'held:duty'
                    AND m.source_id = s.duty_sid)
            OR EXISTS (SELECT 1 FROM integrations_heldduty h
                       JOIN integrations_quarantinedperson q
                         ON q.source_id = h.person_source_id AND q.admitted_at IS NULL
                       WHERE h.source_id = s.duty_sid)""",
    ),
]

UPSERT_ORGANISATIONS = """
INSERT INTO register_organisation AS o (
    source_id, source_modified, content_hash, imported_at, display_name, organisation_type,
    organisation_code, school_unit_code, school_types, municipality_code, parent_id, lineage,
    start_date, end_date)
SELECT source_id, modified, content_hash, now(), display_name, organisation_type,
    coalesce(organisation_code, ''), coalesce(school_unit_code, ''), coalesce(school_types, '{}'),
    coalesce(municipality_code, ''), NULL, '{}', start_date, end_date
FROM s_org
ON CONFLICT (source_id) DO UPDATE SET
    source_modified = EXCLUDED.source_modified, content_hash = EXCLUDED.content_hash,
    imported_at = now(), display_name = EXCLUDED.display_name,
    organisation_type = EXCLUDED.organisation_type,
    organisation_code = EXCLUDED.organisation_code, school_unit_code = EXCLUDED.school_unit_code,
    school_types = EXCLUDED.school_types, municipality_code = EXCLUDED.municipality_code,
    start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date
"""

LINK_PARENT_ORGANISATIONS = """
UPDATE register_organisation o SET parent_id = p.id
FROM s_org s LEFT JOIN register_organisation p ON p.source_id = s.parent_sid
WHERE o.source_id = s.source_id AND o.parent_id IS DISTINCT FROM p.id
"""

REFRESH_LINEAGE = """
WITH RECURSIVE tree AS (
    SELECT id, ARRAY[id] AS lineage FROM register_organisation WHERE parent_id IS NULL
    UNION ALL
    SELECT o.id, t.lineage || o.id FROM register_organisation o
    JOIN tree t ON o.parent_id = t.id WHERE NOT o.id = ANY(t.lineage)
)
UPDATE register_organisation o SET lineage = t.lineage
FROM tree t WHERE o.id = t.id AND o.lineage IS DISTINCT FROM t.lineage
"""

UPSERT_PERSONS = """
INSERT INTO register_person AS p (
    source_id, source_modified, content_hash, imported_at, given_name, middle_name, family_name,
    civic_no, civic_no_kind, birth_date, security_marking, status, removed_at, user_id)
SELECT source_id, modified, content_hash, now(), given_name, coalesce(middle_name, ''),
    family_name, coalesce(civic_no, ''), coalesce(civic_no_kind, ''), birth_date,
    security_marking, status, NULL, NULL
FROM s_person
ON CONFLICT (source_id) DO UPDATE SET
    source_modified = EXCLUDED.source_modified, content_hash = EXCLUDED.content_hash,
    imported_at = now(), given_name = EXCLUDED.given_name, middle_name = EXCLUDED.middle_name,
    family_name = EXCLUDED.family_name, civic_no = EXCLUDED.civic_no,
    civic_no_kind = EXCLUDED.civic_no_kind, birth_date = EXCLUDED.birth_date,
    security_marking = EXCLUDED.security_marking, status = EXCLUDED.status, removed_at = NULL
"""

REPLACE_EMAILS = [
    """DELETE FROM register_email e USING register_person p, s_person s
       WHERE e.person_id = p.id AND p.source_id = s.source_id AND NOT EXISTS (
           SELECT 1 FROM s_email se WHERE se.person_sid = s.source_id
             AND se.value = e.value AND se.type = e.type)""",
    """INSERT INTO register_email (person_id, value, type)
       SELECT DISTINCT p.id, se.value, se.type FROM s_email se
       JOIN register_person p ON p.source_id = se.person_sid
       ON CONFLICT (person_id, value, type) DO NOTHING""",
]

# Dated children keyed naturally: (parent, other, kind, start_date). Update what changed, insert
# what is new, end what the register no longer sends.
ENROLMENTS = [
    """UPDATE register_enrolment e SET school_year = s.school_year, end_date = s.end_date,
           cancelled = s.cancelled
       FROM s_enrolment s JOIN register_person p ON p.source_id = s.person_sid
       JOIN register_organisation u ON u.source_id = s.unit_sid
       WHERE e.person_id = p.id AND e.school_unit_id = u.id AND e.school_type = s.school_type
         AND e.start_date = s.start_date
         AND (e.school_year, e.end_date, e.cancelled)
             IS DISTINCT FROM (s.school_year, s.end_date, s.cancelled)""",
    """INSERT INTO register_enrolment (person_id, school_unit_id, school_type, school_year,
           start_date, end_date, cancelled)
       SELECT DISTINCT ON (p.id, u.id, s.school_type, s.start_date) p.id, u.id, s.school_type,
           s.school_year, s.start_date, s.end_date, s.cancelled
       FROM s_enrolment s JOIN register_person p ON p.source_id = s.person_sid
       JOIN register_organisation u ON u.source_id = s.unit_sid
       WHERE NOT EXISTS (SELECT 1 FROM register_enrolment e WHERE e.person_id = p.id
           AND e.school_unit_id = u.id AND e.school_type = s.school_type
           AND e.start_date = s.start_date)""",
    """UPDATE register_enrolment e SET end_date = %(yesterday)s
       FROM register_person p JOIN s_person sp ON sp.source_id = p.source_id
       WHERE e.person_id = p.id AND (e.end_date IS NULL OR e.end_date > %(yesterday)s)
         AND e.start_date <= %(yesterday)s AND NOT EXISTS (
           SELECT 1 FROM s_enrolment s JOIN register_organisation u ON u.source_id = s.unit_sid
           WHERE s.person_sid = p.source_id AND u.id = e.school_unit_id
             AND s.school_type = e.school_type AND s.start_date = e.start_date)""",
]

RESPONSIBLES = [
    """DELETE FROM register_responsible r USING register_person p, s_person sp
       WHERE r.pupil_id = p.id AND p.source_id = sp.source_id AND NOT EXISTS (
           SELECT 1 FROM s_responsible s JOIN register_person g ON g.source_id = s.guardian_sid
           WHERE s.pupil_sid = p.source_id AND g.id = r.guardian_id
             AND s.relation_type = r.relation_type)""",
    """INSERT INTO register_responsible (pupil_id, guardian_id, relation_type)
       SELECT DISTINCT p.id, g.id, s.relation_type FROM s_responsible s
       JOIN register_person p ON p.source_id = s.pupil_sid
       JOIN register_person g ON g.source_id = s.guardian_sid
       ON CONFLICT (pupil_id, guardian_id, relation_type) DO NOTHING""",
]

UPSERT_GROUPS = """
INSERT INTO register_group AS g (
    source_id, source_modified, content_hash, imported_at, display_name, group_type, school_type,
    organisation_id, start_date, end_date)
SELECT s.source_id, s.modified, s.content_hash, now(), s.display_name, s.group_type,
    coalesce(s.school_type, ''), o.id, s.start_date, s.end_date
FROM s_group s JOIN register_organisation o ON o.source_id = s.org_sid
ON CONFLICT (source_id) DO UPDATE SET
    source_modified = EXCLUDED.source_modified, content_hash = EXCLUDED.content_hash,
    imported_at = now(), display_name = EXCLUDED.display_name, group_type = EXCLUDED.group_type,
    school_type = EXCLUDED.school_type, organisation_id = EXCLUDED.organisation_id,
    start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date
"""

MEMBERSHIPS = [
    """UPDATE register_groupmembership m SET end_date = s.end_date
       FROM s_membership s JOIN register_group g ON g.source_id = s.group_sid
       JOIN register_person p ON p.source_id = s.person_sid
       WHERE m.group_id = g.id AND m.person_id = p.id AND m.start_date = s.start_date
         AND m.end_date IS DISTINCT FROM s.end_date""",
    """INSERT INTO register_groupmembership (group_id, person_id, start_date, end_date)
       SELECT DISTINCT ON (g.id, p.id, s.start_date) g.id, p.id, s.start_date, s.end_date
       FROM s_membership s JOIN register_group g ON g.source_id = s.group_sid
       JOIN register_person p ON p.source_id = s.person_sid
       WHERE NOT EXISTS (SELECT 1 FROM register_groupmembership m WHERE m.group_id = g.id
           AND m.person_id = p.id AND m.start_date = s.start_date)""",
    """UPDATE register_groupmembership m SET end_date = %(yesterday)s
       FROM register_group g JOIN s_group sg ON sg.source_id = g.source_id
       WHERE m.group_id = g.id AND (m.end_date IS NULL OR m.end_date > %(yesterday)s)
         AND m.start_date <= %(yesterday)s AND NOT EXISTS (
           SELECT 1 FROM s_membership s JOIN register_person p ON p.source_id = s.person_sid
           WHERE s.group_sid = g.source_id AND p.id = m.person_id
             AND s.start_date = m.start_date)""",
]

UPSERT_DUTIES = """
INSERT INTO register_duty AS d (
    source_id, source_modified, content_hash, imported_at, person_id, duty_at_id, duty_role,
    signature, start_date, end_date)
SELECT s.source_id, s.modified, s.content_hash, now(), p.id, o.id, s.duty_role,
    coalesce(s.signature, ''), s.start_date, s.end_date
FROM s_duty s JOIN register_person p ON p.source_id = s.person_sid
JOIN register_organisation o ON o.source_id = s.duty_at_sid
ON CONFLICT (source_id) DO UPDATE SET
    source_modified = EXCLUDED.source_modified, content_hash = EXCLUDED.content_hash,
    imported_at = now(), person_id = EXCLUDED.person_id, duty_at_id = EXCLUDED.duty_at_id,
    duty_role = EXCLUDED.duty_role, signature = EXCLUDED.signature,
    start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date
"""

ASSIGNMENTS = [
    """UPDATE register_assignmentrole a SET end_date = s.end_date
       FROM s_assignment s JOIN register_duty d ON d.source_id = s.duty_sid
       JOIN register_group g ON g.source_id = s.group_sid
       WHERE a.duty_id = d.id AND a.group_id = g.id AND a.role_type = s.role_type
         AND a.start_date = s.start_date AND a.end_date IS DISTINCT FROM s.end_date""",
    """INSERT INTO register_assignmentrole (duty_id, group_id, role_type, start_date, end_date)
       SELECT DISTINCT ON (d.id, g.id, s.role_type, s.start_date) d.id, g.id, s.role_type,
           s.start_date, s.end_date
       FROM s_assignment s JOIN register_duty d ON d.source_id = s.duty_sid
       JOIN register_group g ON g.source_id = s.group_sid
       WHERE NOT EXISTS (SELECT 1 FROM register_assignmentrole a WHERE a.duty_id = d.id
           AND a.group_id = g.id AND a.role_type = s.role_type AND a.start_date = s.start_date)""",
    """UPDATE register_assignmentrole a SET end_date = %(yesterday)s
       FROM register_duty d JOIN s_duty sd ON sd.source_id = d.source_id
       WHERE a.duty_id = d.id AND (a.end_date IS NULL OR a.end_date > %(yesterday)s)
         AND a.start_date <= %(yesterday)s AND NOT EXISTS (
           SELECT 1 FROM s_assignment s JOIN register_group g ON g.source_id = s.group_sid
           WHERE s.duty_sid = d.source_id AND g.id = a.group_id AND s.role_type = a.role_type
             AND s.start_date = a.start_date)""",
]

UPSERT_ACTIVITIES = """
INSERT INTO register_activity AS a (
    source_id, source_modified, content_hash, imported_at, display_name, activity_type,
    organisation_id, subject_code, start_date, end_date)
SELECT s.source_id, s.modified, s.content_hash, now(), s.display_name,
    coalesce(s.activity_type, ''), o.id, coalesce(s.subject_code, ''), s.start_date, s.end_date
FROM s_activity s JOIN register_organisation o ON o.source_id = s.org_sid
ON CONFLICT (source_id) DO UPDATE SET
    source_modified = EXCLUDED.source_modified, content_hash = EXCLUDED.content_hash,
    imported_at = now(), display_name = EXCLUDED.display_name,
    activity_type = EXCLUDED.activity_type, organisation_id = EXCLUDED.organisation_id,
    subject_code = EXCLUDED.subject_code, start_date = EXCLUDED.start_date,
    end_date = EXCLUDED.end_date
"""

ACTIVITY_GROUPS = [
    """DELETE FROM register_activity_groups ag USING register_activity a, s_activity sa
       WHERE ag.activity_id = a.id AND a.source_id = sa.source_id AND NOT EXISTS (
           SELECT 1 FROM s_activity_group s JOIN register_group g ON g.source_id = s.group_sid
           WHERE s.activity_sid = a.source_id AND g.id = ag.group_id)""",
    """INSERT INTO register_activity_groups (activity_id, group_id)
       SELECT DISTINCT a.id, g.id FROM s_activity_group s
       JOIN register_activity a ON a.source_id = s.activity_sid
       JOIN register_group g ON g.source_id = s.group_sid
       ON CONFLICT DO NOTHING""",
]
ACTIVITY_TEACHERS = [
    """UPDATE register_activityteacher t SET end_date = s.end_date
       FROM s_activity_teacher s JOIN register_activity a ON a.source_id = s.activity_sid
       JOIN register_duty d ON d.source_id = s.duty_sid
       WHERE t.activity_id = a.id AND t.duty_id = d.id AND t.start_date = s.start_date
         AND t.end_date IS DISTINCT FROM s.end_date""",
    """INSERT INTO register_activityteacher (activity_id, duty_id, start_date, end_date)
       SELECT DISTINCT ON (a.id, d.id, s.start_date) a.id, d.id, s.start_date, s.end_date
       FROM s_activity_teacher s JOIN register_activity a ON a.source_id = s.activity_sid
       JOIN register_duty d ON d.source_id = s.duty_sid
       WHERE NOT EXISTS (SELECT 1 FROM register_activityteacher t WHERE t.activity_id = a.id
           AND t.duty_id = d.id AND t.start_date = s.start_date)""",
    """UPDATE register_activityteacher t SET end_date = %(yesterday)s
       FROM register_activity a JOIN s_activity sa ON sa.source_id = a.source_id
       WHERE t.activity_id = a.id AND (t.end_date IS NULL OR t.end_date > %(yesterday)s)
         AND t.start_date <= %(yesterday)s AND NOT EXISTS (
           SELECT 1 FROM s_activity_teacher s JOIN register_duty d ON d.source_id = s.duty_sid
           WHERE s.activity_sid = a.source_id AND d.id = t.duty_id
             AND s.start_date = t.start_date)""",
]

# Gone: persons leave (removed_at), dated things end yesterday; the digest is cleared so that a
# return is applied even when the content is the same as before.
GONE = [
    """UPDATE register_person p SET removed_at = now(), content_hash = ''
       FROM s_mark m WHERE m.source_id = p.source_id
         AND m.kind IN ('gone:person', 'quarantined') AND p.removed_at IS NULL""",
    """UPDATE register_groupmembership x SET end_date = %(yesterday)s
       FROM register_person p JOIN s_mark m ON m.source_id = p.source_id
         AND m.kind IN ('gone:person', 'quarantined')
       WHERE x.person_id = p.id AND (x.end_date IS NULL OR x.end_date > %(yesterday)s)
         AND x.start_date <= %(yesterday)s""",
    """UPDATE register_enrolment x SET end_date = %(yesterday)s
       FROM register_person p JOIN s_mark m ON m.source_id = p.source_id
         AND m.kind IN ('gone:person', 'quarantined')
       WHERE x.person_id = p.id AND (x.end_date IS NULL OR x.end_date > %(yesterday)s)
         AND x.start_date <= %(yesterday)s""",
    """UPDATE register_duty x SET end_date = %(yesterday)s, content_hash = ''
       FROM s_mark m WHERE m.source_id = x.source_id AND m.kind = 'gone:duty'
         AND (x.end_date IS NULL OR x.end_date > %(yesterday)s)""",
    """UPDATE register_duty x SET end_date = %(yesterday)s, content_hash = ''
       FROM register_person p JOIN s_mark m ON m.source_id = p.source_id
         AND m.kind IN ('gone:person', 'quarantined')
       WHERE x.person_id = p.id AND (x.end_date IS NULL OR x.end_date > %(yesterday)s)
         AND x.start_date <= %(yesterday)s""",
    """UPDATE register_group x SET end_date = %(yesterday)s, content_hash = ''
       FROM s_mark m WHERE m.source_id = x.source_id AND m.kind = 'gone:group'
         AND (x.end_date IS NULL OR x.end_date > %(yesterday)s)""",
    """UPDATE register_activity x SET end_date = %(yesterday)s, content_hash = ''
       FROM s_mark m WHERE m.source_id = x.source_id AND m.kind = 'gone:activity'
         AND (x.end_date IS NULL OR x.end_date > %(yesterday)s)""",
    """UPDATE register_organisation x SET end_date = %(yesterday)s, content_hash = ''
       FROM s_mark m WHERE m.source_id = x.source_id AND m.kind = 'gone:organisation'
         AND (x.end_date IS NULL OR x.end_date > %(yesterday)s)""",
]

# Parents whose children were dropped (dangling or held back) are re-read next time.
CLEAR_DIGEST = {
    "organisation": (
        "UPDATE register_organisation SET content_hash = '' WHERE source_id = ANY(%(ids)s)"
    ),
    "person": "UPDATE register_person SET content_hash = '' WHERE source_id = ANY(%(ids)s)",
    "group": "UPDATE register_group SET content_hash = '' WHERE source_id = ANY(%(ids)s)",
    "duty": "UPDATE register_duty SET content_hash = '' WHERE source_id = ANY(%(ids)s)",
    "activity": "UPDATE register_activity SET content_hash = '' WHERE source_id = ANY(%(ids)s)",
}
