"""URL configuration. Every URL requires sign-in (LoginRequiredMiddleware) except the short
allow-list marked with login_not_required: sign-in, password reset and set-password, /healthz,
and the pages a client opens from a link (selfreport).

The Django admin is deliberately not mounted: clinic admins manage accounts through the
clinic's own pages, and a second, generic editing surface over clinical tables would bypass
the services that audit and lock records.
"""

from django.urls import include, path

from hrp.core import views as core_views

urlpatterns = [
    path("", include("home.urls")),
    path("", include("hrp.core.urls")),
    path("account/", include("hrp.accounts.urls")),
    path("", include("emergency.urls")),
    # Include order does not matter: no two patterns match the same path (every chart section
    # has its own literal path; tests/clients/test_chart_sections.py resolves them in any order).
    path("", include("assessments.urls")),
    path("", include("risk.urls")),
    path("", include("goals.urls")),
    path("", include("safety.urls")),
    path("", include("sessions.urls")),
    path("", include("scheduling.urls")),
    path("", include("notifications.urls")),
    path("", include("summaries.urls")),
    path("", include("disclosures.urls")),
    path("", include("linkage.urls")),
    path("", include("groups.urls")),
    path("", include("billing.urls")),
    path("", include("supplies.urls")),
    path("", include("techniques.urls")),
    path("", include("supervision.urls")),
    path("", include("oversight.urls")),
    path("", include("covers.urls")),
    # Client links: the only pages outside sign-in besides the sign-in pages themselves.
    path("", include("selfreport.urls")),
    path("", include("records.urls")),
    path("clients/", include("clients.urls")),
    path("healthz", core_views.healthz, name="healthz"),
]

# Failure pages that say whether what was just sent was saved (hrp/core/errors.py).
handler500 = "hrp.core.errors.server_error"
