"""The agency's dashboard (issue 12 §3): one page of figures, and the CSV of each table."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from guichet.dashboard import selectors, tables
from guichet.deadlines import describe, french_date


def agency_only(view):
    """R-ACT-1: agency roles only; an anonymous visitor signs in first, anyone else finds
    nothing here (404, as for another organisation's objects)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_agency:
            raise Http404("Page réservée à l'agence.")
        return view(request, *args, **kwargs)

    return wrapper


@agency_only
def dashboard_page(request):
    today = timezone.localdate()
    return render(
        request,
        "dashboard/page.html",
        {
            "tables": tables.page_tables(today),
            "risk_kinds": list(selectors.RISKS),
            "today": french_date(today),
            "since": french_date(selectors.window_start(today)),
            "list_limit": tables.LIST_LIMIT,
            "long_stop_days": selectors.LONG_STOP_DAYS,
            "periods": decision_periods(),
            "soon_days": selectors.SOON_DAYS,
        },
    )


def decision_periods() -> list[tuple[str, str]]:
    """Each public version's legal decision period in words (R-CLK-2: version data, which an
    arrêté may shorten), for the compliance table's legend; one query."""
    from guichet.referentials.models import ReferentialVersion

    versions = ReferentialVersion.objects.public().select_related("referential")
    return [
        (version.label, describe(version.process_settings.clock_policy))
        for version in versions.order_by("referential__code", "number")
    ]


@agency_only
def export_csv(request, table: str):
    build = tables.EXPORTS.get(table)
    if build is None:
        raise Http404("Ce tableau n'existe pas : choisissez un lien « CSV » du tableau de bord.")
    today = timezone.localdate()
    response = StreamingHttpResponse(
        tables.csv_lines(build(today)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="tableau-de-bord-{table}-{today.isoformat()}.csv"'
    )
    return response
