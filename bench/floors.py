"""Raw-SQL floors: for each benchmarked page, one hand-written query for the rows the page
shows, rendered as a bare table. What a page costs above its floor is what our ORM code,
access checks, templates and middleware add; a page whose time grows far past its floor reads
more than it shows.

A floor is a lower bound, not a copy of the page: it skips access rules (the signed-in user's
own rows are asked for directly) and formatting, and decrypts only what the page shows.
Mounted only by bench.settings, behind the same middleware as the pages (so sign-in, session,
two-factor and the query counter cost both the same).
"""

from __future__ import annotations

import datetime
from html import escape
from typing import Any

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from hrp.crypto import decrypt

CASELOAD = """
SELECT c.id, c.chart_number, c.preferred_name, c.legal_name, c.status,
  (SELECT max(a.starts_at) FROM therapy_sessions_appointment a
    WHERE a.client_id = c.id AND a.status = 'attended') AS last_session,
  (SELECT min(a.starts_at) FROM therapy_sessions_appointment a
    WHERE a.client_id = c.id AND a.status = 'scheduled' AND a.starts_at >= %(now)s) AS next_session,
  (SELECT m.score FROM assessments_administration m
    WHERE m.client_id = c.id AND m.measure_code = 'PHQ9'
    ORDER BY m.administered_at DESC LIMIT 1) AS phq9,
  (SELECT count(*) FROM goals_goal g WHERE g.client_id = c.id AND g.status = 'active') AS goals,
  (SELECT count(*) FROM therapy_sessions_ratingalert r
    WHERE r.client_id = c.id AND r.acknowledged_at IS NULL) AS alerts
FROM clients_client c
WHERE c.therapist_id = %(therapist)s AND c.status IN ('active', 'on_hold', 'intake')
ORDER BY c.preferred_name, c.legal_name, c.id
LIMIT 25
"""

SQL: dict[str, str] = {
    # The supervisor's dashboard: one row of counts per current supervisee.
    "dashboard": """
WITH t AS (
  SELECT u.id, u.full_name FROM accounts_supervision s
  JOIN accounts_user u ON u.id = s.supervisee_id
  WHERE s.supervisor_id = %(user)s AND s.ended_at IS NULL AND u.is_active
), c AS (
  SELECT id, therapist_id FROM clients_client
  WHERE therapist_id IN (SELECT id FROM t) AND status IN ('active', 'on_hold')
)
SELECT t.id, t.full_name,
  (SELECT count(*) FROM c WHERE c.therapist_id = t.id) AS caseload,
  (SELECT count(*) FROM therapy_sessions_appointment a
    WHERE a.therapist_id = t.id AND a.starts_at >= %(week)s AND a.starts_at < %(week_end)s
    AND a.status IN ('attended', 'scheduled')) AS sessions_week,
  (SELECT count(*) FROM therapy_sessions_appointment a
    LEFT JOIN therapy_sessions_sessionnote n ON n.appointment_id = a.id
    WHERE a.therapist_id = t.id AND a.status = 'attended' AND a.ends_at < %(late)s
    AND n.signed_at IS NULL) AS late_notes,
  (SELECT count(*) FROM therapy_sessions_sessionnote n
    WHERE n.author_id = t.id AND n.status = 'awaiting_cosign') AS cosign,
  (SELECT count(*) FROM therapy_sessions_ratingalert r JOIN c ON c.id = r.client_id
    WHERE c.therapist_id = t.id AND r.acknowledged_at IS NULL) AS alerts,
  (SELECT count(*) FROM c WHERE c.therapist_id = t.id AND NOT EXISTS (
    SELECT 1 FROM therapy_sessions_appointment a WHERE a.client_id = c.id
    AND a.status = 'attended' AND a.starts_at >= %(no_contact)s)) AS no_contact,
  (SELECT count(*) FROM goals_goal g JOIN c ON c.id = g.client_id
    WHERE c.therapist_id = t.id AND g.status = 'active' AND g.review_date < %(today)s)
    AS reviews_overdue,
  (SELECT count(*) FROM c WHERE c.therapist_id = t.id AND NOT EXISTS (
    SELECT 1 FROM assessments_administration m WHERE m.client_id = c.id
    AND m.measure_code = 'PHQ9' AND m.administered_at >= %(measure_due)s)) AS measures_overdue,
  (SELECT count(*) FROM clients_consent k JOIN c ON c.id = k.client_id
    WHERE c.therapist_id = t.id AND k.revoked_on IS NULL
    AND k.expires_on BETWEEN %(today)s AND %(consent_until)s) AS consents_expiring
FROM t ORDER BY t.full_name
""",
    "caseload": CASELOAD,
    "chart": """
SELECT c.id, c.chart_number, c.preferred_name, c.legal_name, c.pronouns, c.status,
  i.reason_for_coming, i.client_goals,
  (SELECT json_agg(s.substance ORDER BY s.id) FROM clients_substanceuse s
    WHERE s.client_id = c.id) AS substances,
  (SELECT json_agg(x) FROM (
    SELECT DISTINCT ON (m.measure_code) m.measure_code, m.score, m.band, m.administered_at
    FROM assessments_administration m WHERE m.client_id = c.id
    ORDER BY m.measure_code, m.administered_at DESC) x) AS latest_measures,
  (SELECT min(a.starts_at) FROM therapy_sessions_appointment a
    WHERE a.client_id = c.id AND a.status = 'scheduled' AND a.starts_at >= %(now)s) AS next_session
FROM clients_client c JOIN clients_intake i ON i.client_id = c.id
WHERE c.id = %(client)s
""",
    "plan": """
SELECT
  (SELECT row_to_json(v) FROM goals_planversion v JOIN goals_plan p ON p.id = v.plan_id
    WHERE p.client_id = %(client)s ORDER BY v.number DESC LIMIT 1) AS plan,
  (SELECT json_agg(g ORDER BY g.review_date) FROM goals_goal g
    WHERE g.client_id = %(client)s AND g.status = 'active') AS goals,
  (SELECT json_agg(k ORDER BY k.week_start) FROM goals_usecheckin k
    WHERE k.client_id = %(client)s AND k.week_start >= %(twelve_weeks)s) AS checkins
""",
    # The Sessions tab's first page: 20 appointments, those still to come first, and the
    # latest 20 session ratings.
    "sessions": """
SELECT a.id, a.starts_at, a.status, a.modality, n.id, n.status, n.signed_at,
  (SELECT json_agg(r) FROM (
    SELECT x.starts_at, rn.rating_heard + rn.rating_wanted + rn.rating_approach + rn.rating_overall
    FROM therapy_sessions_sessionnote rn
    JOIN therapy_sessions_appointment x ON x.id = rn.appointment_id
    WHERE rn.client_id = %(client)s AND rn.rating_overall IS NOT NULL
    ORDER BY x.starts_at DESC LIMIT 20) r) AS ratings
FROM therapy_sessions_appointment a
LEFT JOIN therapy_sessions_sessionnote n ON n.appointment_id = a.id
WHERE a.client_id = %(client)s
ORDER BY (a.status = 'scheduled' AND a.starts_at >= %(now)s) DESC,
  CASE WHEN a.status = 'scheduled' AND a.starts_at >= %(now)s THEN a.starts_at END,
  a.starts_at DESC, a.id DESC
LIMIT 21
""",
    "assessments": """
SELECT DISTINCT ON (m.measure_code) m.measure_code, m.score, m.band, m.administered_at,
  (SELECT json_agg(h.assessed_on ORDER BY h.assessed_on DESC)
    FROM assessments_harmassessment h WHERE h.client_id = m.client_id) AS harm
FROM assessments_administration m WHERE m.client_id = %(client)s
ORDER BY m.measure_code, m.administered_at DESC
""",
    "note": """
SELECT n.id, n.status, n.signed_at, n.agenda, n.data, n.assessment, n.plan, n.risk_actions,
  n.next_time, c.preferred_name, a.starts_at,
  (SELECT count(*) FROM therapy_sessions_noteaddendum d WHERE d.note_id = n.id) AS addenda
FROM therapy_sessions_sessionnote n
JOIN clients_client c ON c.id = n.client_id
JOIN therapy_sessions_appointment a ON a.id = n.appointment_id
WHERE n.id = %(note)s
""",
    "notes": """
SELECT a.id, a.starts_at, c.preferred_name, n.id, n.status
FROM therapy_sessions_appointment a
JOIN clients_client c ON c.id = a.client_id
LEFT JOIN therapy_sessions_sessionnote n ON n.appointment_id = a.id
WHERE a.therapist_id = %(user)s AND a.status = 'attended' AND a.ends_at < %(late)s
  AND (n.id IS NULL OR n.status IN ('draft', 'awaiting_cosign'))
ORDER BY a.starts_at DESC
""",
    "calendar": """
SELECT a.id, a.starts_at, a.ends_at, a.status, a.modality, c.preferred_name, c.chart_number
FROM therapy_sessions_appointment a JOIN clients_client c ON c.id = a.client_id
WHERE a.therapist_id = %(user)s AND a.starts_at >= %(week)s AND a.starts_at < %(week_end)s
ORDER BY a.starts_at
""",
    "measures_due": """
SELECT * FROM (
  SELECT DISTINCT ON (m.client_id, m.measure_code) m.client_id, c.preferred_name,
    m.measure_code, m.administered_at
  FROM assessments_administration m JOIN clients_client c ON c.id = m.client_id
  WHERE c.therapist_id = %(user)s AND c.status IN ('active', 'on_hold')
  ORDER BY m.client_id, m.measure_code, m.administered_at DESC
) latest WHERE administered_at < %(measure_due)s ORDER BY administered_at
""",
    "reviews_due": """
SELECT g.id, g.client_words, g.review_date, c.preferred_name
FROM goals_goal g JOIN clients_client c ON c.id = g.client_id
WHERE c.therapist_id = %(user)s AND c.status IN ('active', 'on_hold')
  AND g.status = 'active' AND g.review_date <= %(week_ahead)s
ORDER BY g.review_date
""",
    "cosign": """
SELECT n.id, n.signed_at, c.preferred_name, u.full_name
FROM therapy_sessions_sessionnote n
JOIN clients_client c ON c.id = n.client_id JOIN accounts_user u ON u.id = n.author_id
WHERE n.status = 'awaiting_cosign' AND n.author_id IN (
  SELECT supervisee_id FROM accounts_supervision
  WHERE supervisor_id = %(user)s AND ended_at IS NULL)
ORDER BY n.signed_at
""",
    "audit": """
SELECT e.id, e.at, e.category, e.action, e.object_type, e.object_id, e.chart_number,
  e.detail, u.full_name
FROM audit_auditevent e LEFT JOIN accounts_user u ON u.id = e.actor_id
ORDER BY e.at DESC, e.id DESC LIMIT 50
""",
    "meetings": """
SELECT m.id, m.met_on, u.full_name, (SELECT count(*) FROM supervision_supervisionmeeting_clients x
  WHERE x.supervisionmeeting_id = m.id) AS clients
FROM supervision_supervisionmeeting m JOIN accounts_user u ON u.id = m.supervisee_id
WHERE m.supervisor_id = %(user)s ORDER BY m.met_on DESC, m.id DESC LIMIT 25
""",
    "staff": """
SELECT u.id, u.full_name, u.email, u.is_therapist, u.is_supervisor, u.is_clinic_admin,
  u.is_active, u.last_login
FROM accounts_user u ORDER BY u.full_name
""",
}
# Columns shown decrypted (the page shows them; the floor must open them too).
ENCRYPTED = {"note": range(3, 9)}


def _params(request: HttpRequest) -> dict[str, Any]:
    now = timezone.now()
    today = timezone.localdate()
    week = today - datetime.timedelta(days=today.weekday())
    tz = timezone.get_current_timezone()

    def midnight(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(day, datetime.time(), tzinfo=tz)

    def number(name: str) -> int | None:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    return {
        "user": request.user.pk,
        "therapist": number("therapist") or request.user.pk,
        "client": number("client"),
        "note": number("note"),
        "now": now,
        "today": today,
        "week": midnight(week),
        "week_end": midnight(week + datetime.timedelta(weeks=1)),
        "late": now - datetime.timedelta(hours=24),
        "no_contact": now - datetime.timedelta(days=30),
        "measure_due": now - datetime.timedelta(weeks=4),
        "consent_until": today + datetime.timedelta(days=30),
        "week_ahead": today + datetime.timedelta(days=7),
        "twelve_weeks": today - datetime.timedelta(weeks=12),
    }


def floor(request: HttpRequest, name: str) -> HttpResponse:
    sql = SQL.get(name)
    if sql is None:
        raise Http404
    with connection.cursor() as cursor:
        cursor.execute(sql, _params(request))
        rows = cursor.fetchall()
    opened = ENCRYPTED.get(name, ())
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(decrypt(value) if i in opened and value else str(value))}</td>"
            for i, value in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return HttpResponse(f"<!doctype html><title>floor</title><table>{body}</table>")
