"""Every action the audit trail records: one enumeration, one tense.

Values are `<thing>.<verb>` with the verb in the imperative, as the service that performs the
action is named (`note_sign` records "note.sign", `comment_acknowledge` records
"supervision.comment_acknowledge"). The imperative was already the form of almost every value
(so stored rows keep their strings); the few past-tense ones were renamed by migration
audit 0004. An attempt the clinic refused keeps its verb and says so: "<verb>_refused" or
"<verb>_failed". Pages show the label, never the value.

`audit_record` refuses any action not listed here, so a new event is declared here first.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # Sign-in and accounts
    AUTH_LOGIN = "auth.login", _("Signed in")
    AUTH_LOGIN_FAILED = "auth.login_failed", _("Sign-in refused")
    AUTH_LOGOUT = "auth.logout", _("Signed out")
    AUTH_LOCKOUT = "auth.lockout", _("Locked out after repeated sign-in attempts")
    ACCOUNT_CREATE = "account.create", _("Staff account created")
    ACCOUNT_UPDATE = "account.update", _("Staff account changed")
    ACCOUNT_DEACTIVATE = "account.deactivate", _("Staff account deactivated")
    ACCOUNT_REACTIVATE = "account.reactivate", _("Staff account reactivated")
    ACCOUNT_UNLOCK = "account.unlock", _("Sign-in lockout lifted")
    ACCOUNT_SET_PASSWORD_LINK = "account.set_password_link", _("Set-password link sent")
    ACCOUNT_PASSWORD_SET = "account.password_set", _("Password set")
    ACCOUNT_EMAIL_REMINDERS = "account.email_reminders", _("Email reminders switched")
    TWO_FACTOR_ENROL = "two_factor.enrol", _("Two-factor authenticator enrolled")
    TWO_FACTOR_VERIFY = "two_factor.verify", _("Two-factor code accepted")
    TWO_FACTOR_VERIFY_FAILED = "two_factor.verify_failed", _("Two-factor code refused")
    TWO_FACTOR_RECOVERY_CODES = "two_factor.recovery_codes", _("Recovery codes replaced")
    TWO_FACTOR_RECOVERY_CODES_REFUSED = (
        "two_factor.recovery_codes_refused",
        _("New recovery codes refused"),
    )
    TWO_FACTOR_RESET = "two_factor.reset", _("Two-factor reset")
    SUPERVISION_ASSIGN = "supervision.assign", _("Supervisor assigned")
    CLINIC_SETTINGS = "clinic.settings", _("Clinic settings changed")
    BACKUP_CREATE = "backup.create", _("Database backup made")
    BACKUP_RESTORE = "backup.restore", _("Database restored from a backup")

    # Emergency access
    COVER_ARRANGE = "cover.arrange", _("Cover arranged")
    COVER_END = "cover.end", _("Cover ended")
    EMERGENCY_GRANT = "emergency.grant", _("Emergency access granted")
    EMERGENCY_GRANT_REFUSED = "emergency.grant_refused", _("Emergency access refused")
    EMERGENCY_VIEW = "emergency.view", _("Page opened under emergency access")
    EMERGENCY_END = "emergency.end", _("Emergency access ended")

    # Client record
    CLIENT_CREATE = "client.create", _("Client record created")
    CLIENT_UPDATE = "client.update", _("Client details changed")
    CLIENT_STATUS = "client.status", _("Client status changed")
    CLIENT_ASSIGN = "client.assign", _("Client reassigned")
    CLIENT_REMINDERS = "client.reminders", _("Client reminder choices changed")
    CLIENT_IDENTITY_SHARE = "client.identity_share", _("Client's legal identity added")
    CLIENT_MERGE = "client.merge", _("Client records merged")
    CLIENT_KEEP_APART = "client.keep_apart", _("Possible duplicate kept apart")
    INTAKE_SAVE = "intake.save", _("Intake saved")
    INTAKE_COMPLETE = "intake.complete", _("Intake completed")
    SUBSTANCE_SAVE = "substance.save", _("Substance history saved")
    REFERRAL_SAVE = "referral.save", _("Referral saved")
    MEDICAL_EVALUATION_RECORD = "medical_evaluation.record", _("Medical evaluation recorded")
    CONSENT_CREATE = "consent.create", _("Consent recorded")
    CONSENT_REVOKE = "consent.revoke", _("Consent revoked")
    CHECKIN_RECORD = "checkin.record", _("Check-in recorded")
    CLIENT_RATING_RECORD = "client_rating.record", _("Session rated by the client")
    RISK_FOLLOW_UP = "risk.follow_up", _("Risk follow-up recorded")
    RISK_FLAG_RAISE = "risk.raise", _("Risk flag opened")
    RISK_FLAG_ESCALATE = "risk.escalate", _("Risk flag raised to acute")
    RISK_FLAG_RESOLVE = "risk.resolve", _("Risk flag resolved")
    DISCLOSURE_ATTENDANCE_REPORT = (
        "disclosure.attendance_report",
        _("Attendance report disclosed"),
    )

    # Record pages opened ("client.view.<page>")
    CLIENT_VIEW_OVERVIEW = "client.view.overview", _("Viewed record: overview")
    CLIENT_VIEW_INTAKE = "client.view.intake", _("Viewed record: intake")
    CLIENT_VIEW_MEDICAL = "client.view.medical", _("Viewed record: medical evaluation")
    CLIENT_VIEW_ASSESSMENTS = "client.view.assessments", _("Viewed record: assessments")
    CLIENT_VIEW_RISK = "client.view.risk", _("Viewed record: risk flags")
    CLIENT_VIEW_RISK_FLAG = "client.view.risk_flag", _("Viewed record: a risk flag")
    CLIENT_VIEW_PLAN = "client.view.plan", _("Viewed record: plan")
    CLIENT_VIEW_PLAN_VERSION = "client.view.plan_version", _("Viewed record: earlier plan")
    CLIENT_VIEW_PLAN_HISTORY = "client.view.plan_history", _("Viewed record: plan history")
    CLIENT_VIEW_PLAN_COMPARE = "client.view.plan_compare", _("Viewed record: plan comparison")
    CLIENT_VIEW_PLAN_REVIEW = "client.view.plan_review", _("Viewed record: plan review")
    CLIENT_VIEW_GOAL = "client.view.goal", _("Viewed record: goal")
    CLIENT_VIEW_SAFETY = "client.view.safety", _("Viewed record: safety")
    CLIENT_VIEW_SAFETY_HISTORY = (
        "client.view.safety_history",
        _("Viewed record: safety plan history"),
    )
    CLIENT_VIEW_SAFETY_VERSION = (
        "client.view.safety_version",
        _("Viewed record: earlier safety plan"),
    )
    CLIENT_VIEW_OVERDOSE_HISTORY = (
        "client.view.overdose_history",
        _("Viewed record: overdose prevention plan history"),
    )
    CLIENT_VIEW_OVERDOSE_VERSION = (
        "client.view.overdose_version",
        _("Viewed record: earlier overdose prevention plan"),
    )
    CLIENT_VIEW_SESSIONS = "client.view.sessions", _("Viewed record: sessions")
    CLIENT_VIEW_NOTE = "client.view.note", _("Viewed record: session note")
    CLIENT_VIEW_CONTACTS = "client.view.contacts", _("Viewed record: contacts outside sessions")
    CLIENT_VIEW_CONTACT = "client.view.contact", _("Viewed record: contact outside a session")
    CLIENT_VIEW_SUMMARIES = "client.view.summaries", _("Viewed record: summaries")
    CLIENT_VIEW_CONSENTS = "client.view.consents", _("Viewed record: consents")
    CLIENT_VIEW_DISCLOSURES = "client.view.disclosures", _("Viewed record: disclosures")
    CLIENT_VIEW_CLIENT_COPY = (
        "client.view.client_copy",
        _("Viewed record: the client's own copy of their plan"),
    )
    CLIENT_VIEW_RECORDS = "client.view.records", _("Viewed record: record copies and exports")
    CLIENT_VIEW_TIMELINE = "client.view.timeline", _("Viewed record: timeline")
    CLIENT_VIEW_SUPPLIES = "client.view.supplies", _("Viewed record: supplies")
    CLIENT_VIEW_GROUPS = "client.view.groups", _("Viewed record: group meetings")
    CLIENT_VIEW_TECHNIQUES = "client.view.techniques", _("Viewed record: techniques")
    CLIENT_VIEW_TECHNIQUE = "client.view.technique", _("Viewed record: a technique record")
    CLIENT_VIEW_REFERRALS = "client.view.referrals", _("Viewed record: referrals")
    CLIENT_VIEW_BILLING = "client.view.billing", _("Viewed record: diagnoses and billing")
    CLIENT_VIEW_ACCESS = "client.view.access", _("Viewed record: who accessed it")
    CLIENT_VIEW_IDENTITY = "client.view.identity", _("Viewed record: identity and duplicates")
    CLIENT_VIEW_HARM_ASSESSMENT = (
        "client.view.harm_assessment",
        _("Viewed record: harm assessment"),
    )
    CLIENT_VIEW_HARM_COMPARE = (
        "client.view.harm_compare",
        _("Viewed record: harm assessment comparison"),
    )
    CLIENT_VIEW_MEASURE_ANSWERS = "client.view.measure.answers", _("Viewed record: measure answers")
    CLIENT_VIEW_MEASURE_PHQ9 = "client.view.measure.PHQ9", _("Viewed record: PHQ-9 results")
    CLIENT_VIEW_MEASURE_GAD7 = "client.view.measure.GAD7", _("Viewed record: GAD-7 results")
    CLIENT_VIEW_MEASURE_AUDIT = "client.view.measure.AUDIT", _("Viewed record: AUDIT results")
    CLIENT_VIEW_MEASURE_AUDITC = "client.view.measure.AUDITC", _("Viewed record: AUDIT-C results")
    CLIENT_VIEW_MEASURE_DAST10 = "client.view.measure.DAST10", _("Viewed record: DAST-10 results")
    CLIENT_VIEW_MEASURE_WHO5 = "client.view.measure.WHO5", _("Viewed record: WHO-5 results")

    # Assessments and plan
    MEASURE_ADMINISTER = "measure.administer", _("Measure administered")
    # Links a client answers on their own (selfreport)
    SELF_REPORT_LINK_SEND = "self_report.link_send", _("Link sent to the client")
    SELF_REPORT_LINK_REVOKE = "self_report.link_revoke", _("Link to the client withdrawn")
    SELF_REPORT_LINK_OPEN = "self_report.link_open", _("Link opened by the client")
    SELF_REPORT_LINK_SUBMIT = "self_report.link_submit", _("Answers sent by the client")
    SELF_REPORT_SCHEDULE_CREATE = "self_report.schedule_create", _("Links to the client scheduled")
    SELF_REPORT_SCHEDULE_STOP = "self_report.schedule_stop", _("Scheduled links stopped")
    SELF_REPORT_PRACTICE_RECORD = (
        "self_report.practice_record",
        _("Relaxation practice reported by the client"),
    )
    SELF_REPORT_DIARY_RECORD = "self_report.diary_record", _("Use diary sent by the client")
    SELF_REPORT_PLAN_SHARE = "self_report.plan_share", _("Plan shared with the client to read")
    SELF_REPORT_PLAN_SHARE_REVOKE = (
        "self_report.plan_share_revoke",
        _("Plan shared with the client withdrawn"),
    )
    SELF_REPORT_PLAN_OPEN = "self_report.plan_open", _("Shared plan opened by the client")
    HARM_ASSESS = "harm.assess", _("Harm assessment recorded")
    GOAL_CREATE = "goal.create", _("Goal added")
    GOAL_REVIEW = "goal.review", _("Goal reviewed")
    PLAN_VERSION = "plan.version", _("Plan version saved")
    PLAN_REVIEW = "plan.review", _("Plan reviewed")
    SAFETY_PLAN_VERSION = "safety_plan.version", _("Safety plan version saved")
    SAFETY_PLAN_PRINT = "safety_plan.print", _("Safety plan printed for the client")
    OVERDOSE_PLAN_VERSION = "overdose_plan.version", _("Overdose prevention plan version saved")
    OVERDOSE_PLAN_PRINT = (
        "overdose_plan.print",
        _("Overdose prevention plan printed for the client"),
    )
    TOLERANCE_RECORD = "tolerance.record", _("Period of lower tolerance recorded")

    # Scheduling: a clinician's hours, time off and phone feed; the clinic's rooms
    WORKING_HOURS_ADD = "working_hours.add", _("Working hours added")
    WORKING_HOURS_REMOVE = "working_hours.remove", _("Working hours removed")
    TIME_OFF_ADD = "time_off.add", _("Time off added")
    TIME_OFF_REMOVE = "time_off.remove", _("Time off removed")
    ROOM_CREATE = "room.create", _("Room added")
    ROOM_SET_ACTIVE = "room.set_active", _("Room taken out of use or back into use")
    CALENDAR_FEED_CREATE = "calendar_feed.create", _("Calendar feed address made")
    CALENDAR_FEED_REVOKE = "calendar_feed.revoke", _("Calendar feed address withdrawn")

    # Sessions and notes
    APPOINTMENT_BOOK = "appointment.book", _("Appointment booked")
    APPOINTMENT_RESCHEDULE = "appointment.reschedule", _("Appointment rescheduled")
    APPOINTMENT_ATTENDANCE = "appointment.attendance", _("Attendance recorded")
    NOTE_CREATE = "note.create", _("Session note started")
    NOTE_SAVE = "note.save", _("Session note saved")
    NOTE_SIGN = "note.sign", _("Session note signed")
    NOTE_SIGN_REFUSED = "note.sign_refused", _("Session note signature refused")
    NOTE_COSIGN_REFUSED = "note.cosign_refused", _("Session note co-signature refused")
    NOTE_COSIGN = "note.cosign", _("Session note co-signed")
    NOTE_RETURN = "note.return", _("Session note returned for changes")
    NOTE_ADDENDUM = "note.addendum", _("Addendum added to a session note")
    NOTE_VERIFY_FAILED = "note.verify_failed", _("Session note failed its integrity check")
    TECHNIQUE_ADD = "technique.add", _("Technique recorded with a session note")
    TECHNIQUE_SAVE = "technique.save", _("Technique record of a session note changed")
    TECHNIQUE_REMOVE = "technique.remove", _("Technique record removed from a draft note")
    CONTACT_CREATE = "contact.create", _("Contact outside a session recorded (draft)")
    CONTACT_SAVE = "contact.save", _("Contact outside a session saved")
    CONTACT_SIGN = "contact.sign", _("Contact outside a session signed")
    CONTACT_SIGN_REFUSED = "contact.sign_refused", _("Contact signature refused")
    CONTACT_COSIGN = "contact.cosign", _("Contact outside a session co-signed")
    CONTACT_COSIGN_REFUSED = "contact.cosign_refused", _("Contact co-signature refused")
    CONTACT_RETURN = "contact.return", _("Contact outside a session returned for changes")
    CONTACT_ADDENDUM = "contact.addendum", _("Addendum added to a contact outside a session")
    CONTACT_VERIFY_FAILED = "contact.verify_failed", _("Contact failed its integrity check")
    RATING_ALERT_ACKNOWLEDGE = "rating_alert.acknowledge", _("Session rating alert marked seen")

    # Harm reduction supplies and linkage
    SUPPLY_RECORD = "supply.record", _("Supplies recorded")
    SUPPLY_VOID = "supply.void", _("Supply record voided")
    SUPPLY_CORRECT = "supply.correct", _("Supply record corrected")
    SUPPLY_REPORT = "supply.report", _("Supplies report for funders viewed")
    REFERRAL_CREATE = "referral.create", _("Referral offered")
    REFERRAL_STATUS = "referral.status", _("Referral status changed")
    REFERRAL_FOLLOW_UP = "referral.follow_up", _("Referral follow-up date changed")
    DISCLOSURE_REFERRAL = "disclosure.referral", _("Information shared with a referral")
    DISCLOSURE_PROGRESS_SUMMARY = (
        "disclosure.progress_summary",
        _("Progress summary disclosed under a consent"),
    )
    DIAGNOSIS_ADD = "diagnosis.add", _("Diagnosis added to the problem list")
    DIAGNOSIS_CHANGE = "diagnosis.change", _("Diagnosis changed")
    ENCOUNTER_CODE = "encounter.code", _("Encounter coded for billing")
    FEE_SET = "fee.set", _("Fee schedule changed")
    SERVICE_CODE_ADD = "service_code.add", _("Clinic service code added")
    DISCLOSURE_SUPERBILL = "disclosure.superbill", _("Superbill disclosed under a consent")
    DISCLOSURE_BILLING_CSV = (
        "disclosure.billing_csv",
        _("Encounters for billing software disclosed under a consent"),
    )

    # Group sessions
    GROUP_CREATE = "group.create", _("Group created")
    GROUP_EDIT = "group.edit", _("Group changed")
    GROUP_END = "group.end", _("Group ended")
    GROUP_MEMBER_ADD = "group.member_add", _("Member added to a group")
    GROUP_MEMBER_ADD_REFUSED = "group.member_add_refused", _("Member not added to a group")
    GROUP_MEMBER_LEAVE = "group.member_leave", _("Member left a group")
    GROUP_ATTENDANCE = "group.attendance", _("Group attendance recorded")
    GROUP_MEETING_VIEW = "group.meeting_view", _("Group meeting and its note viewed")
    GROUP_NOTE_CREATE = "group_note.create", _("Group note started")
    GROUP_NOTE_SAVE = "group_note.save", _("Group note saved")
    GROUP_NOTE_SIGN = "group_note.sign", _("Group note signed")
    GROUP_NOTE_SIGN_REFUSED = "group_note.sign_refused", _("Group note signing refused")
    GROUP_NOTE_COSIGN = "group_note.cosign", _("Group note co-signed")
    GROUP_NOTE_COSIGN_REFUSED = "group_note.cosign_refused", _("Group note co-signing refused")
    GROUP_NOTE_RETURN = "group_note.return", _("Group note returned for revision")

    # Supervision
    SUPERVISION_MEETING_RECORD = "supervision.meeting_record", _("Supervision meeting recorded")
    SUPERVISION_COMMENT_ADD = "supervision.comment_add", _("Chart comment left")
    SUPERVISION_FIDELITY_REVIEW = (
        "supervision.fidelity_review",
        _("Fidelity review recorded"),
    )
    SUPERVISION_COMMENT_ACKNOWLEDGE = (
        "supervision.comment_acknowledge",
        _("Chart comment acknowledged"),
    )

    # Summaries
    SUMMARY_REQUEST = "summary.request", _("Summary requested")
    SUMMARY_REQUEST_CASELOAD = "summary.request_caseload", _("Caseload summary requested")
    SUMMARY_RETRY = "summary.retry", _("Summary retried")
    SUMMARY_VIEW = "summary.view", _("Summary viewed")
    SUMMARY_VIEW_CASELOAD = "summary.view_caseload", _("Caseload summary viewed")
    SUMMARY_DOWNLOAD = "summary.download", _("Summary downloaded")
    CLIENT_COPY_PRINT = "client_copy.print", _("Client's own copy of their plan given")

    # Records (the client's own copy of the whole record, FHIR export)
    DISCLOSURE_FHIR_RECORD = (
        "disclosure.fhir_record",
        _("Health record (FHIR) disclosed under a consent"),
    )
    RECORD_REQUEST = "record.request", _("Client's request for a copy of their record recorded")
    RECORD_EXTEND = "record.extend", _("Deadline for the client's copy extended")
    RECORD_RELEASE = "record.release", _("Client's own copy of their record released")

    # Oversight
    AUDIT_EXPORT = "audit.export", _("Audit trail exported")
    OVERSIGHT_ACCESS_REPORT = "oversight.access_report", _("Record access report viewed")


def action_label(value: str) -> str:
    """The words a page shows for a stored action."""
    try:
        return str(AuditAction(value).label)
    except ValueError:
        # Only a row written outside audit_record could hold another value; say so in words.
        return str(_("Unrecognised action"))
