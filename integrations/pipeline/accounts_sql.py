"""Accounts follow the register, set-based: one pass over the register's persons creates,
updates, deactivates and reactivates accounts. Used by the import for every person at once and
by register.services.accounts for a single person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.db import connection
from municipal.models import MunicipalSettings

# School types whose pupils always sign in themselves, whatever their school year.
SELF_SERVICE_SCHOOL_TYPES = ["GY", "GYS", "VUX"]

# Set-based: each role is one pass over its table (hash joins), not a lookup per person. For one
# person (person_id) the planner pushes the id into each subquery, so that stays a few index
# probes. (It also needs no index on the children: the bulk load drops them until the end.)
_ELIGIBILITY = """
DROP TABLE IF EXISTS pg_temp.s_eligible;
CREATE TEMP TABLE s_eligible AS
SELECT p.id AS person_id, p.user_id, p.source_id, p.given_name, p.family_name,
       live AND staff.person_id IS NOT NULL AS staff,
       live AND pupil.person_id IS NOT NULL AS pupil,
       live AND guardian.person_id IS NOT NULL AS guardian
  FROM (SELECT *, removed_at IS NULL AND status = 'Aktiv' AS live FROM register_person
         WHERE %(person_id)s::bigint IS NULL OR id = %(person_id)s::bigint) p
  LEFT JOIN (
         SELECT DISTINCT d.person_id FROM register_duty d WHERE d.start_date <= %(today)s
            AND (d.end_date IS NULL OR d.end_date >= %(today)s)) staff
    ON staff.person_id = p.id
  LEFT JOIN (
         SELECT DISTINCT e.person_id FROM register_enrolment e WHERE NOT e.cancelled
            AND e.start_date <= %(today)s AND (e.end_date IS NULL OR e.end_date >= %(today)s)
            AND e.school_type = ANY(%(school_forms)s)
            AND (e.school_type = ANY(%(self_service)s)
                 OR coalesce(e.school_year, 0) >= %(from_year)s)) pupil
    ON pupil.person_id = p.id
  LEFT JOIN (
         SELECT DISTINCT r.guardian_id AS person_id FROM register_responsible r
           JOIN register_person c ON c.id = r.pupil_id AND c.removed_at IS NULL
           JOIN register_enrolment e ON e.person_id = r.pupil_id AND NOT e.cancelled
            AND e.start_date <= %(today)s AND (e.end_date IS NULL OR e.end_date >= %(today)s)
            AND e.school_type = ANY(%(school_forms)s)
          WHERE r.relation_type = ANY(%(relation_types)s)) guardian
    ON guardian.person_id = p.id;
ALTER TABLE s_eligible ADD COLUMN username text;
UPDATE s_eligible s SET username = coalesce(
    CASE WHEN s.staff THEN (SELECT lower(e.value) FROM register_email e
        WHERE e.person_id = s.person_id AND e.type IN ('Skola personal', 'Arbete övrigt')
        ORDER BY e.type = 'Skola personal' DESC, e.value LIMIT 1) END,
    CASE WHEN s.pupil THEN (SELECT lower(e.value) FROM register_email e
        WHERE e.person_id = s.person_id AND e.type = 'Skola elev' ORDER BY e.value LIMIT 1) END,
    CASE WHEN s.guardian THEN (SELECT lower(e.value) FROM register_email e
        WHERE e.person_id = s.person_id AND e.type = 'Privat' ORDER BY e.value LIMIT 1) END,
    (SELECT lower(e.value) FROM register_email e WHERE e.person_id = s.person_id
        ORDER BY e.value LIMIT 1),
    s.source_id::text)
 WHERE s.user_id IS NULL AND (s.staff OR s.pupil OR s.guardian);
ANALYZE s_eligible;
"""

# New accounts: the preferred user name, or the register id when that name is taken (two
# people sharing an e-mail address, or an account that exists already). Only accounts created
# here are linked: an existing account is never taken over by a register person. The password
# is unusable until an invitation sets it.
# (Set-based: a correlated count per row over the unindexed temporary table made this quadratic,
# 28 s for 11,000 persons.)
_CHOOSE = """
UPDATE s_eligible s SET username = s.source_id::text
  FROM (SELECT username FROM s_eligible WHERE username IS NOT NULL
         GROUP BY username HAVING count(*) > 1
        UNION
        SELECT e.username FROM s_eligible e JOIN accounts_user u ON u.username = e.username) taken
 WHERE s.username = taken.username
"""
_CREATE_AND_LINK = """
WITH created AS (
  INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,
      is_staff, is_active, date_joined, is_municipality_admin, is_school_staff,
      deactivated_by_register_at)
  SELECT '!' || md5(random()::text), false, s.username, s.given_name, s.family_name,
         CASE WHEN position('@' IN s.username) > 0 THEN s.username ELSE '' END,
         false, true, now(), false, s.staff, NULL
    FROM s_eligible s WHERE s.user_id IS NULL AND s.username IS NOT NULL
  RETURNING id, username)
UPDATE register_person p SET user_id = c.id
  FROM created c JOIN s_eligible s ON s.username = c.username
 WHERE p.id = s.person_id
"""

_UPDATE = """
UPDATE accounts_user u SET first_name = s.given_name, last_name = s.family_name,
       is_school_staff = s.staff
  FROM s_eligible s
 WHERE u.id = s.user_id
   AND (u.first_name, u.last_name, u.is_school_staff)
       IS DISTINCT FROM (s.given_name, s.family_name, s.staff)
"""

# Only the register's own deactivations are undone by the register; an administrator's are not.
_DEACTIVATE = """
UPDATE accounts_user u SET is_active = false, deactivated_by_register_at = now()
  FROM s_eligible s
 WHERE u.id = s.user_id AND u.is_active AND NOT (s.staff OR s.pupil OR s.guardian)
"""
_REACTIVATE = """
UPDATE accounts_user u SET is_active = true, deactivated_by_register_at = NULL
  FROM s_eligible s
 WHERE u.id = s.user_id AND NOT u.is_active AND u.deactivated_by_register_at IS NOT NULL
   AND (s.staff OR s.pupil OR s.guardian)
"""


@dataclass(frozen=True)
class AccountChanges:
    created: int
    updated: int
    deactivated: int
    reactivated: int


def accounts_sync(
    *, settings: MunicipalSettings, today: dt.date, person_id: int | None = None
) -> AccountChanges:
    """Brings accounts in line with the register (all persons, or one), in a transaction."""
    params = {
        "today": today,
        "self_service": SELF_SERVICE_SCHOOL_TYPES,
        "from_year": settings.pupil_login_from_school_year,
        "school_forms": list(settings.school_forms),
        "relation_types": list(settings.guardian_relation_types),
        "person_id": person_id,
    }
    with connection.cursor() as cursor:
        for statement in _ELIGIBILITY.split(";\n"):
            if statement.strip():
                cursor.execute(statement, params)
        cursor.execute(_CHOOSE)
        cursor.execute(_CREATE_AND_LINK)
        created = cursor.rowcount
        cursor.execute(_UPDATE)
        updated = cursor.rowcount
        cursor.execute(_DEACTIVATE)
        deactivated = cursor.rowcount
        cursor.execute(_REACTIVATE)
        reactivated = cursor.rowcount
        cursor.execute("DROP TABLE IF EXISTS pg_temp.s_eligible")
    return AccountChanges(created, updated, deactivated, reactivated)
