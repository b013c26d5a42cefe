"""Demo clients for `manage.py seed_demo` (DEMO_MODE only). Every person here is invented.

Written through the services, so the demo's audit trail looks like a real clinic's. Re-running
adds nothing: a demo client is recognised by its legal name.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from clients import services
from clients.models import Client, Intake, Referral, SubstanceUse, TherapistAssignment
from hrp.accounts.models import User

S = SubstanceUse.Substance
G = SubstanceUse.Goal
ST = SubstanceUse.Stage

# (legal name, preferred name, pronouns, reason for coming, goals, substances)
# substances: (substance, other name, amount, frequency, route, setting, goal, stage)
DEMO_CLIENTS: list[tuple[str, str, str, str, str, list[tuple]]] = [
    (
        "Jamie Alvarez",
        "Jamie",
        "they/them",
        "My partner says my drinking is getting scary. I black out sometimes on weekends.",
        "I want to still go out with friends but not lose whole nights.",
        [
            (
                S.ALCOHOL,
                "",
                "10-12 drinks",
                "Fri and Sat",
                "oral",
                "bars with friends",
                G.MODERATION,
                ST.CONTEMPLATION,
            )
        ],
    ),
    (
        "Marcus Bell",
        "Marcus",
        "he/him",
        "I got out three months ago and my tolerance is gone. I'm scared of using alone.",
        "Stay alive. Maybe get on methadone. Keep my job at the warehouse.",
        [
            (
                S.HEROIN_FENTANYL,
                "",
                "a few bags",
                "daily",
                "injecting",
                "alone at home",
                G.SAFER_USE,
                ST.PREPARATION,
            )
        ],
    ),
    (
        "Priya Raman",
        "Priya",
        "she/her",
        "Anxiety at work. I use Xanax I buy online to get through meetings.",
        "Feel less panicky without needing pills every day.",
        [
            (
                S.BENZODIAZEPINES,
                "",
                "1-2 mg",
                "most workdays",
                "oral",
                "work",
                G.MODERATION,
                ST.CONTEMPLATION,
            ),
            (
                S.ALCOHOL,
                "",
                "2-3 glasses of wine",
                "evenings",
                "oral",
                "home",
                G.UNDECIDED,
                ST.PRECONTEMPLATION,
            ),
        ],
    ),
    (
        "Daniel Kowalski",
        "Dan",
        "he/him",
        "Court told me to come. Honestly I don't think weed is a problem.",
        "Finish probation. Not have my kid see me high.",
        [
            (
                S.CANNABIS,
                "",
                "an eighth",
                "daily",
                "smoking",
                "home, car",
                G.SAFER_USE,
                ST.PRECONTEMPLATION,
            )
        ],
    ),
    (
        "Aaliyah Johnson",
        "Leah",
        "she/her",
        "I've been using meth to work double shifts and now I can't sleep at all.",
        "Sleep again. Keep the second job if I can.",
        [
            (
                S.METHAMPHETAMINE,
                "",
                "a point",
                "4-5 days a week",
                "smoking",
                "before shifts",
                G.MODERATION,
                ST.PREPARATION,
            )
        ],
    ),
    (
        "Tomás Herrera",
        "Tomás",
        "he/him",
        "My doctor cut my pain pills and I started buying them on the street.",
        "Get my pain handled without risking fentanyl.",
        [
            (
                S.OPIOIDS_PRESCRIBED,
                "",
                "30-60 mg oxycodone",
                "daily",
                "oral",
                "home",
                G.SAFER_USE,
                ST.CONTEMPLATION,
            )
        ],
    ),
    (
        "Sarah O'Neill",
        "Sarah",
        "she/her",
        "I want to stop drinking completely. I've tried on my own twice.",
        "A year without alcohol. Be there for my daughter.",
        [
            (
                S.ALCOHOL,
                "",
                "a bottle of wine",
                "daily",
                "oral",
                "home alone",
                G.ABSTINENCE,
                ST.ACTION,
            )
        ],
    ),
    (
        "Kenji Watanabe",
        "Ken",
        "he/him",
        "Coke at parties is turning into coke on Tuesdays.",
        "Keep it to special occasions. Stop the Tuesday thing.",
        [
            (
                S.STIMULANTS_COCAINE,
                "",
                "1 g",
                "2-3 nights a week",
                "snorting",
                "parties, then home",
                G.MODERATION,
                ST.CONTEMPLATION,
            ),
            (
                S.ALCOHOL,
                "",
                "6-8 drinks",
                "same nights",
                "oral",
                "parties",
                G.MODERATION,
                ST.CONTEMPLATION,
            ),
        ],
    ),
    (
        "Rosa Delgado",
        "Rosa",
        "she/her",
        "Gambling. I lost the rent money last month.",
        "Set a limit I can actually keep. Tell my sister the truth.",
        [(S.GAMBLING, "", "$200-400", "weekly", "", "casino, apps", G.MODERATION, ST.PREPARATION)],
    ),
    (
        "Eli Goldberg",
        "Eli",
        "he/they",
        "Psychedelics helped me once, now I'm not sure. Also drinking to sleep.",
        "Understand what I'm getting out of it. Sleep without a drink.",
        [
            (S.PSYCHEDELICS, "", "", "monthly", "oral", "festivals", G.UNDECIDED, ST.CONTEMPLATION),
            (S.ALCOHOL, "", "3-4 beers", "nightly", "oral", "home", G.MODERATION, ST.PREPARATION),
        ],
    ),
    (
        "Chloe Nguyen",
        "Chloe",
        "she/her",
        "Vaping nonstop and I'm 17 weeks pregnant.",
        "Cut down for the baby. I don't know about stopping.",
        [
            (
                S.TOBACCO_NICOTINE,
                "",
                "a pod a day",
                "constantly",
                "vaping",
                "everywhere",
                G.MODERATION,
                ST.PREPARATION,
            )
        ],
    ),
    (
        "Robert King",
        "Bobby",
        "he/him",
        "Employer's EAP sent me after I showed up hungover twice.",
        "Keep my job. Drink only on days off.",
        [
            (
                S.ALCOHOL,
                "",
                "8-10 beers",
                "most nights",
                "oral",
                "home, bar",
                G.MODERATION,
                ST.CONTEMPLATION,
            )
        ],
    ),
    (
        "Fatima Hassan",
        "Fatima",
        "she/her",
        "Heroin for six years. I want to be safer and figure out what's next.",
        "Never use alone. Get naloxone. Maybe try buprenorphine.",
        [
            (
                S.HEROIN_FENTANYL,
                "",
                "5-6 bags",
                "daily",
                "injecting",
                "with partner",
                G.SAFER_USE,
                ST.PREPARATION,
            ),
            (
                S.BENZODIAZEPINES,
                "",
                "",
                "sometimes",
                "oral",
                "with heroin",
                G.UNDECIDED,
                ST.PRECONTEMPLATION,
            ),
        ],
    ),
    (
        "Liam Murphy",
        "Liam",
        "he/him",
        "Molly every weekend. My mood crashes midweek.",
        "Fewer crashes. Test what I take.",
        [(S.MDMA, "", "1-2 pills", "weekends", "oral", "clubs", G.SAFER_USE, ST.CONTEMPLATION)],
    ),
    (
        "Grace Adeyemi",
        "Grace",
        "she/her",
        "I drink to calm down after my shifts at the hospital.",
        "Find other ways to come down after work.",
        [
            (
                S.ALCOHOL,
                "",
                "4-5 drinks",
                "after shifts",
                "oral",
                "home",
                G.MODERATION,
                ST.PREPARATION,
            )
        ],
    ),
    (
        "Noah Fischer",
        "Noah",
        "he/him",
        "Smoking crack on paydays. The rest of the month I'm broke.",
        "Keep enough money for food and rent.",
        [
            (
                S.STIMULANTS_COCAINE,
                "",
                "$100-150",
                "paydays",
                "smoking",
                "friend's place",
                G.MODERATION,
                ST.CONTEMPLATION,
            )
        ],
    ),
    (
        "Maya Patel",
        "Maya",
        "she/her",
        "Weed helps my anxiety but I'm high all day now.",
        "Only in the evening. Be sharper at school.",
        [
            (
                S.CANNABIS,
                "",
                "several joints",
                "all day",
                "smoking",
                "home, school",
                G.MODERATION,
                ST.ACTION,
            )
        ],
    ),
    (
        "Carlos Mendoza",
        "Carlos",
        "he/him",
        "Welfare office requires counselling. I use meth sometimes.",
        "Get the job training done. Keep my benefits.",
        [
            (
                S.METHAMPHETAMINE,
                "",
                "",
                "1-2 times a month",
                "smoking",
                "with friends",
                G.UNDECIDED,
                ST.PRECONTEMPLATION,
            )
        ],
    ),
    (
        "Hannah Schmidt",
        "Hannah",
        "she/her",
        "I quit drinking a year ago and I'm scared of slipping.",
        "Stay alcohol-free. Handle stress at my new job.",
        [(S.ALCOHOL, "", "none now", "", "", "", G.ABSTINENCE, ST.MAINTENANCE)],
    ),
    (
        "Andre Williams",
        "Dre",
        "he/him",
        "Fentanyl is in everything. I want to know how to not die.",
        "Carry naloxone, use test strips, keep my housing.",
        [
            (
                S.HEROIN_FENTANYL,
                "",
                "",
                "daily",
                "smoking",
                "shelter bathroom",
                G.SAFER_USE,
                ST.ACTION,
            )
        ],
    ),
    (
        "Olivia Brown",
        "Liv",
        "she/her",
        "Adderall from friends to study, then drinking to come down.",
        "Finish the semester without the up-down cycle.",
        [
            (
                S.OTHER,
                "Adderall (not prescribed)",
                "20-40 mg",
                "exam weeks",
                "oral",
                "library",
                G.MODERATION,
                ST.CONTEMPLATION,
            ),
            (
                S.ALCOHOL,
                "",
                "binge",
                "after exams",
                "oral",
                "parties",
                G.MODERATION,
                ST.CONTEMPLATION,
            ),
        ],
    ),
    (
        "Samuel Osei",
        "Sam",
        "he/him",
        "Grief. My brother died and I've been drinking since.",
        "Talk about him without needing to be drunk.",
        [
            (
                S.ALCOHOL,
                "",
                "half a bottle of whiskey",
                "daily",
                "oral",
                "home alone",
                G.UNDECIDED,
                ST.CONTEMPLATION,
            )
        ],
    ),
    (
        "Isabella Rossi",
        "Bella",
        "she/her",
        "Ketamine at raves turned into ketamine at home.",
        "Back to raves only. Look after my bladder.",
        [
            (
                S.OTHER,
                "Ketamine",
                "0.5 g",
                "3-4 days a week",
                "snorting",
                "home",
                G.MODERATION,
                ST.PREPARATION,
            )
        ],
    ),
    (
        "Ethan Clarke",
        "Ethan",
        "he/him",
        "I'm on methadone and still drinking. My doctor is worried.",
        "Drink less so the methadone works and I'm safer.",
        [
            (
                S.ALCOHOL,
                "",
                "6 cans",
                "daily",
                "oral",
                "park with friends",
                G.MODERATION,
                ST.PREPARATION,
            )
        ],
    ),
    (
        "Zoe Martin",
        "Zoe",
        "she/they",
        "Not sure why I'm here. My friends staged an intervention about pills.",
        "Figure out if I even want to change anything.",
        [
            (
                S.BENZODIAZEPINES,
                "",
                "",
                "weekends",
                "oral",
                "parties",
                G.UNDECIDED,
                ST.PRECONTEMPLATION,
            )
        ],
    ),
    (
        "Victor Petrov",
        "Victor",
        "he/him",
        "Online betting at night. I hide it from my wife.",
        "Stop betting on weeknights. Be honest at home.",
        [(S.GAMBLING, "", "$50-100", "nightly", "", "phone app", G.ABSTINENCE, ST.PREPARATION)],
    ),
    (
        "Amara Okoro",
        "Amara",
        "she/her",
        "Drinking makes my depression worse and I know it.",
        "Two dry days a week to start.",
        [
            (
                S.ALCOHOL,
                "",
                "4 glasses of wine",
                "most days",
                "oral",
                "home",
                G.MODERATION,
                ST.ACTION,
            )
        ],
    ),
    (
        "Lucas Silva",
        "Lucas",
        "he/him",
        "Injecting for ten years. My veins are shot and I keep getting abscesses.",
        "Safer injecting. Maybe switch to smoking.",
        [
            (
                S.HEROIN_FENTANYL,
                "",
                "",
                "3 times a day",
                "injecting",
                "alone",
                G.SAFER_USE,
                ST.ACTION,
            ),
            (
                S.STIMULANTS_COCAINE,
                "",
                "",
                "sometimes",
                "injecting",
                "with heroin",
                G.SAFER_USE,
                ST.CONTEMPLATION,
            ),
        ],
    ),
    (
        "Nora Lindqvist",
        "Nora",
        "she/her",
        "I started smoking again after a breakup.",
        "Quit again before summer.",
        [
            (
                S.TOBACCO_NICOTINE,
                "",
                "10 cigarettes",
                "daily",
                "smoking",
                "work breaks",
                G.ABSTINENCE,
                ST.PREPARATION,
            )
        ],
    ),
    (
        "Omar Farouk",
        "Omar",
        "he/him",
        "Cannabis and video games all weekend. I miss my friends.",
        "Use on one weekend day only. See friends more.",
        [
            (
                S.CANNABIS,
                "",
                "2-3 g",
                "weekends",
                "vaping",
                "bedroom",
                G.MODERATION,
                ST.CONTEMPLATION,
            )
        ],
    ),
]

# The demo clinic's calendar, counted back from the day it is seeded. Each client came for their
# intake about thirteen weeks ago (a few days apart), a week before their first weekly session.
# Every other demo module dates its records from the client's intake (`intake_at`), never from a
# date of its own, so each chart reads in order: intake, assessments, plan and goals, sessions.
WEEKS_SINCE_INTAKE = 13
# The two intakes still in progress were started this many days ago.
DAYS_SINCE_DRAFT_INTAKE = 2


# What the client brings, as they said it at intake.
DEMO_STRENGTHS: list[dict[str, str]] = [
    {
        "strengths": "I'm stubborn in a good way. I show up for my kids.",
        "supports": "My sister Ana; the Tuesday night running group; my GP.",
        "past_changes": "Quit smoking for two years after my son was born. Patches helped.",
    },
    {
        "strengths": "Good with my hands, I can fix anything. People trust me.",
        "supports": "My neighbour Lou. The library is a quiet place to go.",
        "past_changes": "Stopped drinking on weeknights last spring when I had a project.",
    },
    {
        "strengths": "I'm funny and I notice how other people feel.",
        "supports": "My partner; an online group for people in recovery; the syringe program.",
        "past_changes": "Cut down when I moved out of the old flat. Distance from the scene.",
    },
    {
        "strengths": "I keep going when things are hard. I love cooking.",
        "supports": "My grandmother. The church food bank. My case worker at the shelter.",
        "past_changes": "",
    },
]


def intake_day(index: int, today: datetime.date) -> datetime.date:
    """The day the client at `index` of DEMO_CLIENTS came for their intake."""
    return today - datetime.timedelta(weeks=WEEKS_SINCE_INTAKE) + datetime.timedelta(days=index % 5)


def intake_at(client: Client) -> datetime.datetime:
    """When the demo client's intake was completed (when it was started, for a draft): the
    moment every other demo record of theirs comes after."""
    return client.intake.completed_at or client.created_at


MANDATED = {
    "Daniel Kowalski": (
        Referral.MandateKind.CRIMINAL_JUSTICE,
        "County Probation Department",
        "Officer R. Lane",
    ),
    "Carlos Mendoza": (
        Referral.MandateKind.WELFARE_TO_WORK,
        "Workforce Services Office",
        "Case manager T. Ruiz",
    ),
}


@transaction.atomic
def seed_demo_clients(*, therapists: list[User]) -> int:
    """Create the demo clients spread across `therapists`; returns how many were created."""
    rng = random.Random(2026)  # demo data, not security
    today = timezone.localdate()
    existing = set(Client.objects.values_list("legal_name", flat=True))
    created = 0
    for index, (legal, preferred, pronouns, reason, goals, substances) in enumerate(DEMO_CLIENTS):
        if legal in existing:
            continue
        # The last two clients are intakes still in progress; the rest are complete.
        draft = index >= len(DEMO_CLIENTS) - 2
        came_on = (
            today - datetime.timedelta(days=DAYS_SINCE_DRAFT_INTAKE)
            if draft
            else intake_day(index, today)
        )
        therapist = therapists[index % len(therapists)]
        client = services.intake_start(
            actor=therapist,
            legal_name=legal,
            preferred_name=preferred,
            pronouns=pronouns,
            reason_for_coming=reason,
            client_goals=goals,
        )
        services.client_update(
            actor=therapist,
            client=client,
            values={
                "date_of_birth": today - datetime.timedelta(days=rng.randint(20 * 365, 60 * 365)),
                "phone": f"+1 555 01{rng.randint(0, 99):02d} {rng.randint(1000, 9999)}",
                "may_contact": rng.random() < 0.7,
                "safe_to_leave_message": rng.random() < 0.5,
            },
        )
        services.substances_save(
            actor=therapist,
            client=client,
            rows=[
                (
                    None,
                    {
                        "substance": sub,
                        "substance_other": other,
                        "amount": amount,
                        "frequency": freq,
                        "route": route,
                        "setting": setting,
                        "goal": goal,
                        "stage_of_change": stage,
                        "last_use": "" if stage == ST.MAINTENANCE else "this week",
                    },
                )
                for sub, other, amount, freq, route, setting, goal, stage in substances
            ],
        )
        services.intake_update(
            actor=therapist,
            client=client,
            values={
                "anxiety": rng.random() < 0.4,
                "depression": rng.random() < 0.35,
                "trauma_history": rng.random() < 0.3,
                # Strengths and resources in the client's words (issue 16); by position, not
                # by the random generator, so the rest of the demo stays as it was.
                **DEMO_STRENGTHS[index % len(DEMO_STRENGTHS)],
                # Recommended to everyone (the default); one client's own doctor had just
                # seen them.
                "medical_evaluation": (
                    Intake.MedicalDecision.NOT_NEEDED
                    if index == MEDICAL_NOT_NEEDED
                    else Intake.MedicalDecision.RECOMMENDED
                ),
                "medical_not_needed_reason": (
                    "Seen by their own doctor the week before; results shared with us."
                    if index == MEDICAL_NOT_NEEDED
                    else ""
                ),
                # Said at the start; one client has not yet heard that lapses are expected.
                "explained_goals": not draft,
                "explained_lapses": not draft and index != EXPLANATION_PENDING,
                "explained_attendance_only": not draft and legal in MANDATED,
            },
        )
        if legal in MANDATED:
            kind, agency, contact = MANDATED[legal]
            services.referral_update(
                actor=therapist,
                client=client,
                values={
                    "source": Referral.Source.MANDATED,
                    "mandate_kind": kind,
                    "agency": agency,
                    "agency_contact": contact,
                    "agency_contact_details": "agency@example.org",
                },
            )
            services.consent_create(
                actor=therapist,
                client=client,
                values={
                    "recipient": agency,
                    "purpose": "Confirm attendance for the mandate",
                    "scope": "attendance",
                    # Signed at the intake, as a mandated referral's consent is.
                    "signed_on": came_on,
                    "effective_on": came_on,
                    # The probation consent expires soon: the chart and caseload flag it.
                    "expires_on": today
                    + datetime.timedelta(days=20 if kind == "criminal_justice" else 300),
                },
            )
        if index in (1, 2):
            # A consent to the family doctor running out soon: the supervisor's dashboard and
            # the chart flag it.
            services.consent_create(
                actor=therapist,
                client=client,
                values={
                    "recipient": "Family doctor, Eastside Health Center",
                    "purpose": "Coordinate care",
                    "scope": "summary",
                    # Signed at the intake, for about four months.
                    "signed_on": came_on,
                    "effective_on": came_on,
                    "expires_on": today + datetime.timedelta(days=25),
                },
            )
        if not draft:
            services.intake_complete(actor=therapist, client=client)
            _seed_medical_evaluations(therapist, client, index, came_on)
        if index in (5, 11):
            services.client_set_status(actor=therapist, client=client, status=Client.Status.ON_HOLD)
        if index == 18:
            services.client_set_status(
                actor=therapist,
                client=client,
                status=Client.Status.DISCHARGED,
                discharged_on=today - datetime.timedelta(days=10),
                discharge_reason="Planned ending: goals reached for now.",
            )
        if index == 2:
            consent = services.consent_create(
                actor=therapist,
                client=client,
                values={
                    "recipient": "Dr. L. Moreau, primary care",
                    "purpose": "Coordinate care for anxiety medication",
                    "scope": "summary",
                    "signed_on": came_on + datetime.timedelta(days=14),
                    "effective_on": came_on + datetime.timedelta(days=14),
                    "expires_on": today + datetime.timedelta(days=275),
                },
            )
            services.consent_revoke(
                actor=therapist,
                client=client,
                consent=consent,
                revoked_on=today - datetime.timedelta(days=7),
                revoked_by="The client",
            )
        _date_the_intake(client, came_on, draft=draft)
        created += 1
    return created


# Medical evaluations in the demo (clients/medical.py): most clients had one a week or two
# after the intake; one had a repeat; one is still outstanding; one did not need one.
MEDICAL_OUTSTANDING = 3
MEDICAL_NOT_NEEDED = 7
MEDICAL_REPEAT = 0
EXPLANATION_PENDING = 4
MEDICAL_FINDINGS = [
    "Blood pressure and bloods normal. Advised a dental check.",
    "Weight down since last year; thiamine (vitamin B1) started.",
    "Hepatitis C antibody positive; referred for treatment, which the client accepted.",
    "Chest clear; a smoker's cough, talked about options.",
    "No concerns found. Tetanus booster given.",
]


def _seed_medical_evaluations(
    therapist: User, client: Client, index: int, came_on: datetime.date
) -> None:
    if index in (MEDICAL_OUTSTANDING, MEDICAL_NOT_NEEDED):
        return
    visits = [(7 + index % 10, MEDICAL_FINDINGS[index % len(MEDICAL_FINDINGS)])]
    if index == MEDICAL_REPEAT:
        visits = [
            (10, "Liver tests slightly raised; repeat in two months. Blood pressure fine."),
            (75, "Liver tests back in range. Hepatitis C test negative."),
        ]
    for days_after, findings in visits:
        services.medical_evaluation_record(
            actor=therapist,
            client=client,
            evaluated_on=came_on + datetime.timedelta(days=days_after),
            evaluated_by="Primary care, Eastside Health Center",
            findings=findings,
        )


def _date_the_intake(client: Client, came_on: datetime.date, *, draft: bool) -> None:
    """Move the record's own dates to the intake meeting on `came_on` (the services stamp
    "now"): started at 10:00, completed at 11:00, assigned and substances recorded as it
    started. The audit trail keeps the real moment of seeding."""
    tz = timezone.get_current_timezone()
    started = datetime.datetime.combine(came_on, datetime.time(10), tzinfo=tz)
    completed = None if draft else started + datetime.timedelta(hours=1)
    Client.objects.filter(pk=client.pk).update(created_at=started)
    Intake.objects.filter(client=client).update(completed_at=completed)
    TherapistAssignment.objects.filter(client=client).update(started_at=started)
    SubstanceUse.objects.filter(client=client).update(recorded_at=started)
    # Active since the intake was completed (on hold and discharged keep their own moment).
    Client.objects.filter(pk=client.pk, status=Client.Status.ACTIVE).update(
        status_changed_at=completed
    )


# Low-threshold care (issue 21): two clients known only by the name they chose. "Jay" later
# shares a legal name and date of birth (added to the same record, audited); "R." gives none,
# only initials and a description they agreed to.
PSEUDONYMOUS_CLIENTS: list[dict[str, Any]] = [
    {
        "preferred_name": "Jay",
        "pronouns": "they/them",
        "identity_description": "",
        "reason": "A friend said you don't ask for ID here. I want to stop overdosing.",
        "goals": "Not use alone. Maybe use less on weekends.",
        "shares": ("Jamie Okafor", 31),  # the legal name and age shared later
    },
    {
        "preferred_name": "R.",
        "pronouns": "",
        "identity_description": "Initials R.; green jacket; comes to the Tuesday drop-in",
        "reason": "Came with the outreach van. Wants someone to talk to.",
        "goals": "Keep my housing.",
        "shares": None,
    },
]


@transaction.atomic
def seed_pseudonymous_clients(*, therapists: list[User]) -> int:
    """Create the two pseudonymous demo clients (idempotent by chosen name among records with
    no legal name at creation); returns how many were created."""
    today = timezone.localdate()
    created = 0
    for index, spec in enumerate(PSEUDONYMOUS_CLIENTS):
        if Client.objects.filter(
            preferred_name=spec["preferred_name"], created_by__in=therapists
        ).exists():
            continue
        therapist = therapists[index % len(therapists)]
        client = services.intake_start(
            actor=therapist,
            legal_name="",
            preferred_name=spec["preferred_name"],
            identity_description=spec["identity_description"],
            pronouns=spec["pronouns"],
            reason_for_coming=spec["reason"],
            client_goals=spec["goals"],
        )
        services.intake_update(
            actor=therapist,
            client=client,
            values={"explained_goals": True, "explained_lapses": True},
        )
        services.intake_complete(actor=therapist, client=client)
        if spec["shares"]:
            legal, age = spec["shares"]
            services.client_update(
                actor=therapist,
                client=client,
                values={
                    "legal_name": legal,
                    "date_of_birth": today - datetime.timedelta(days=age * 365 + 40),
                },
            )
        created += 1
    return created
