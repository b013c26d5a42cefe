"""Query budgets of pages that tests in more than one file measure, each named once.

A budget is the exact number of queries a page issues however many rows it shows; the tests pin
it at one row and at many. A page measured in one file only keeps its budget beside those tests.
Every signed-in request starts with 3: session, user, authenticator ("+" below counts from there).
"""

# The therapist's caseload (clients:caseload): + count, page of clients, intakes in progress,
# 2 assessment prefetches (administrations, harm assessments), open goals, the upcoming
# appointment prefetch, the home notices' counts (one query; the rating-alert flag and the last
# contact, session or signed contact outside one, are columns of the page's query).
CASELOAD_QUERIES = 11

# A supervisee's caseload, seen by their supervisor (clients:supervisee_caseload): + supervisee
# check, count, page, 2 assessment prefetches, open goals, the upcoming appointment prefetch.
SUPERVISEE_CASELOAD_QUERIES = 10

# A client's sessions section (sessions:section): + client with header data, 3 flag prefetches
# (2 assessment, 1 goals), appointments with their therapist, the appointment each replaced and
# their note, the rating trend, access event.
SESSIONS_SECTION_QUERIES = 10

# The therapist's week calendar (scheduling:week): + the week's appointments with their clients
# and rooms, working hours, days off (the free slots), appointments stored with dates no view
# reaches (hrp/bounds.py), with their clients, the facilitator's group meetings.
CALENDAR_QUERIES = 8

# The supervisor's dashboard (home:home for a supervisor): session, user, authenticator; the
# supervisees with the numbers counted per supervisee (sessions this week, late notes, notes to
# co-sign, rating alerts, goal reviews, consents); one row per supervisee counting their clients
# in care (caseload, risk, no contact, measures). Was 13 when it read every client's records.
SUPERVISOR_DASHBOARD_QUERIES = 5
