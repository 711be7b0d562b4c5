from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from guichet.common.access import agency_admin_required
from guichet.journal import exports
from guichet.journal.services import verify_chain


def _filtered(request):
    queryset = exports.entries(request.GET.get("application", "").strip() or None)
    action = request.GET.get("action", "").strip()
    if action:
        queryset = queryset.filter(action__startswith=action)
    actor = request.GET.get("actor", "").strip()
    if actor:
        queryset = queryset.filter(actor_email__iexact=actor)
    return queryset


@agency_admin_required
def journal_index(request):
    """The auditor's view (R-AUD-1): the newest entries first, filters and downloads."""
    page = Paginator(_filtered(request).order_by("-id"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "journal/index.html",
        {"page": page, "filters": request.GET, "query": query.urlencode()},
    )


@agency_admin_required
def journal_export(request, fmt):
    if fmt not in exports.FORMATS:
        raise Http404
    response = StreamingHttpResponse(
        exports.chunks(fmt, _filtered(request)), content_type=exports.FORMATS[fmt]
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="journal-{stamp}.{fmt}"'
    return response


@agency_admin_required
@require_POST
def journal_verify(request):
    broken = verify_chain()
    if broken is None:
        messages.success(request, "La chaîne du journal est intacte : aucune entrée modifiée.")
    else:
        messages.error(request, f"Chaîne rompue à l'entrée n° {broken.entry_id} : {broken.reason}.")
    return redirect("journal:index")
