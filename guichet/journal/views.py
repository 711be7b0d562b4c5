from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.core.paginator import Paginator
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from guichet.common.access import agency_admin_required
from guichet.common.errors import ApplicationError
from guichet.journal import checkpoints, exports
from guichet.journal.services import create_checkpoint, verify_journal

# Checkpoints shown on the page (each one's seal is checked as it is shown).
LATEST_CHECKPOINTS = 5


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
    try:
        latest = checkpoints.load_all(latest=LATEST_CHECKPOINTS)[::-1]
    except ImproperlyConfigured as error:  # the agency's certificate is missing or unreadable
        latest, checkpoints_error = [], str(error)
    else:
        checkpoints_error = ""
    return render(
        request,
        "journal/index.html",
        {
            "page": page,
            "filters": request.GET,
            "query": query.urlencode(),
            "checkpoints": latest,
            "checkpoints_error": checkpoints_error,
        },
    )


@agency_admin_required
def journal_export(request, fmt):
    if fmt not in exports.FORMATS:
        raise Http404
    response = StreamingHttpResponse(
        exports.chunks(fmt, exports.rows(_filtered(request))), content_type=exports.FORMATS[fmt]
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="journal-{stamp}.{fmt}"'
    return response


@agency_admin_required
@require_POST
def journal_verify(request):
    """The chain, and the table against every sealed checkpoint (R-AUD-1)."""
    result = verify_journal()
    for error in result.errors:
        messages.error(request, error)
    for warning in result.warnings:
        messages.warning(request, warning)
    if result.is_intact:
        messages.success(request, f"La chaîne du journal est intacte : {result.details()}.")
    return redirect("journal:index")


@agency_admin_required
@require_POST
def journal_checkpoint(request):
    try:
        checkpoint = create_checkpoint(by=request.user.email)
    except (ApplicationError, ImproperlyConfigured) as error:
        messages.error(request, str(error))
        return redirect("journal:index")
    if checkpoint is None:
        messages.info(request, "Le journal est vide : il n'y a encore rien à attester.")
    else:
        messages.success(
            request,
            f"Point de contrôle scellé le {checkpoint.when} : {checkpoint.entry_count} entrées, "
            f"jusqu'à l'entrée n° {checkpoint.last_entry_id}.",
        )
    return redirect("journal:index")


@agency_admin_required
def journal_checkpoints_export(request, fmt):
    if fmt not in checkpoints.FORMATS:
        raise Http404
    response = StreamingHttpResponse(checkpoints.chunks(fmt), content_type=checkpoints.FORMATS[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = (
        f'attachment; filename="journal-points-de-controle-{stamp}.{fmt}"'
    )
    return response
