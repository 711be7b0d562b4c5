import secrets
import time
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from guichet.common.access import agency_admin_required
from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.referentials import selectors, services
from guichet.referentials.exports import csv_lines, xlsx_tempfile
from guichet.referentials.forms import (
    BrowseFilterForm,
    ConfirmImportForm,
    ImportForm,
    PathwayOpenForm,
    SimulatorForm,
    VersionStateForm,
)
from guichet.referentials.models import ExpectedProof, Pathway, ReferentialVersion, VersionState
from guichet.referentials.spreadsheet import SpreadsheetError

PAGE_SIZE = 20


def referential_list(request):
    return render(
        request,
        "referentials/list.html",
        {"referentials": selectors.referentials_with_versions(request.user)},
    )


def browse(request, code, version):
    version = selectors.get_version(code, version, request.user)
    form = BrowseFilterForm(request.GET or None, version=version)
    filters = form.cleaned_data if form.is_valid() else {}
    profile = filters.get("profile")
    requirements = selectors.requirements_queryset(
        version,
        profiles=[profile] if profile else None,
        nature=filters.get("nature") or None,
        section=filters.get("section") or None,
        search=filters.get("q") or None,
    )
    page = Paginator(requirements, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "referentials/browse.html",
        {
            "version": version,
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "specifications": version.specifications.all(),
        },
    )


def _download_name(version, suffix: str) -> str:
    return f"exigences-{version.referential.code}-V{version.number}{suffix}"


def _xlsx_response(version, profiles, name, pathology=None):
    return FileResponse(
        xlsx_tempfile(version, profiles, pathology),
        as_attachment=True,
        filename=name,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def _csv_response(version, profiles, name, pathology=None):
    response = StreamingHttpResponse(
        csv_lines(version, profiles, pathology), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export_version(request, code, version, fmt):
    version = selectors.get_version(code, version, request.user)
    if fmt == "xlsx":
        return _xlsx_response(version, None, _download_name(version, ".xlsx"))
    return _csv_response(version, None, _download_name(version, ".csv"))


def simulator_index(request):
    return render(
        request,
        "referentials/simulator_index.html",
        {"referentials": selectors.referentials_with_versions()},
    )


def _simulate(request, version):
    """The questionnaire's evaluation: mandatory profiles from the answers, plus the optional
    ones the visitor added, checked against every rule."""
    form = SimulatorForm(request.GET if "submitted" in request.GET else None, version=version)
    if not form.is_bound or not form.is_valid():
        return form, None, None
    answers = form.answers()
    derived = selectors.evaluate_profiles(version, answers=answers)
    selected = list(dict.fromkeys(derived.profiles + list(form.cleaned_data["extra"])))
    checked = selectors.evaluate_profiles(version, answers=answers, profiles=selected)
    return form, derived, checked


def simulator(request, code, version):
    version = selectors.get_version(code, version)
    form, derived, checked = _simulate(request, version)
    context = {"version": version, "form": form, "derived": derived, "checked": checked}
    if checked is not None:
        context["warnings"] = selectors.readable_warnings(checked.warnings, request.user)
        pathology = context["pathology"] = form.pathology()  # R-REF-7
        labels = {p.code: p for p in version.profiles.all()}
        context["chosen"] = [
            {
                "profile": labels[code],
                "reasons": derived.mandatory.get(code) or ["Profil optionnel ajouté."],
                "mandatory": code in derived.mandatory,
            }
            for code in checked.profiles
        ]
        extras = set(form.cleaned_data["extra"])
        context["optional"] = [
            {"profile": labels[code], "reasons": reasons, "checked": code in extras}
            for code, reasons in derived.optional.items()
        ]
        requirements = selectors.requirements_queryset(
            version, profiles=checked.profiles, pathology=pathology
        )
        context["page"] = Paginator(requirements, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context["query"] = query.urlencode()
    return render(request, "referentials/simulator.html", context)


def simulator_export(request, code, version, fmt):
    version = selectors.get_version(code, version)
    form, derived, checked = _simulate(request, version)
    if checked is None:
        return redirect(
            "referentials:simulator", code=version.referential.code, version=version.number
        )
    name = _download_name(version, f"-applicables.{fmt}")
    if fmt == "xlsx":
        return _xlsx_response(version, checked.profiles, name, form.pathology())
    return _csv_response(version, checked.profiles, name, form.pathology())


# --- agency administration -----------------------------------------------------------------


@agency_admin_required
def manage(request):
    versions = ReferentialVersion.objects.select_related("referential").order_by(
        "referential__code", "-imported_at"
    )
    pathways = Pathway.objects.select_related("referential").order_by(
        "referential__code", "position"
    )
    return render(
        request,
        "referentials/manage.html",
        {"versions": versions, "pathways": pathways, "states": VersionState},
    )


@agency_admin_required
@require_POST
def change_version_state(request, pk):
    version = get_object_or_404(ReferentialVersion.objects.select_related("referential"), pk=pk)
    form = VersionStateForm(request.POST)
    if form.is_valid():
        services.set_version_state(version, state=form.cleaned_data["state"], by=request.user)
        messages.success(
            request, f"La version {version.label} est désormais « {version.get_state_display()} »."
        )
    else:
        messages.error(request, "État de version invalide.")
    return redirect("referentials:manage")


@agency_admin_required
@require_POST
def change_pathway(request, pk):
    pathway = get_object_or_404(Pathway.objects.select_related("referential"), pk=pk)
    form = PathwayOpenForm(request.POST)
    if form.is_valid():
        services.set_pathway_open(pathway, is_open=form.cleaned_data["is_open"], by=request.user)
        state = "ouverte" if pathway.is_open else "fermée"
        messages.success(
            request, f"La démarche « {pathway.label} » ({pathway.referential.code}) est {state}."
        )
    else:
        messages.error(request, "Choix invalide.")
    return redirect("referentials:manage")


def _pending_key(token: str) -> str:
    return f"import:{token}"


@agency_admin_required
def import_upload(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        # Previews abandoned by anyone leave files behind: sweep them as a new import starts.
        services.purge_pending_imports()
        data = form.cleaned_data
        upload = data["file"]
        try:
            plan = services.plan_import(
                upload, referential_code=data["referential"].code, number=data["number"]
            )
        except (SpreadsheetError, ApplicationError) as exc:
            return render(
                request,
                "referentials/import.html",
                {"form": form, "errors": services.refusal_reasons(exc)},
                status=400,
            )
        # Only a file worth confirming is kept, until the confirmation or the purge.
        token = secrets.token_hex(16)
        request.session[_pending_key(token)] = {
            "referential": plan.referential.code,
            "number": plan.number,
            "name": upload.name,
            "file": services.keep_pending_import(upload),
            "created": int(time.time()),
        }
        return render(
            request,
            "referentials/import_preview.html",
            {
                "plan": plan,
                "confirm": ConfirmImportForm(initial={"token": token, "publish": True}),
                "file_name": upload.name,
            },
        )
    return render(
        request,
        "referentials/import.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _is_expired(pending: dict) -> bool:
    # An entry without a file name was written before files were named in the session.
    if "file" not in pending:
        return True
    return time.time() - pending["created"] > settings.REFERENTIAL_IMPORT_PREVIEW_LIFETIME


@agency_admin_required
@require_POST
def import_confirm(request):
    form = ConfirmImportForm(request.POST)
    pending = None
    if form.is_valid():
        # Taken out of the session at once: a confirmation cannot be replayed.
        pending = request.session.pop(_pending_key(form.cleaned_data["token"]), None)
    if pending is not None and _is_expired(pending):
        if "file" in pending:
            services.discard_pending_import(pending["file"])
        pending = None
    if pending is None:
        messages.error(
            request, "Cet import a expiré ou a déjà été confirmé : déposez le fichier à nouveau."
        )
        return redirect("referentials:import")
    stored = pending["file"]
    try:
        with services.pending_import_file(stored) as local:
            version = services.import_spreadsheet(
                local,
                referential_code=pending["referential"],
                number=pending["number"],
                state=VersionState.PUBLISHED
                if form.cleaned_data["publish"]
                else VersionState.DRAFT,
                entry_into_force=form.cleaned_data["entry_into_force"],
                source_name=Path(pending["name"]).name,
                by=request.user,
            )
    except FileNotFoundError:
        messages.error(
            request, "Le fichier de cet import n'est plus disponible : déposez-le à nouveau."
        )
        return redirect("referentials:import")
    except (SpreadsheetError, ApplicationError) as exc:
        messages.error(request, services.refusal_text(exc))
        return redirect("referentials:import")
    finally:
        services.discard_pending_import(stored)
    messages.success(request, f"La version {version.label} a été importée.")
    return redirect("referentials:browse", code=version.referential.code, version=version.number)


@agency_admin_required
def sensitive_proofs(request, pk):
    """R-EVD-3: the agency chooses which expected proofs are sensitive."""
    version = get_object_or_404(ReferentialVersion.objects.select_related("referential"), pk=pk)
    proofs = (
        ExpectedProof.objects.filter(scenario__version=version)
        .select_related("scenario__requirement__section")
        .order_by("scenario__requirement__position", "scenario__position", "position")
    )
    if request.method == "POST":
        chosen = {int(value) for value in request.POST.getlist("sensitive") if value.isdigit()}
        changed = services.set_sensitive_proofs(version, sensitive_ids=chosen, by=request.user)
        messages.success(
            request,
            ngettext("%(n)d preuve modifiée.", "%(n)d preuves modifiées.", changed)
            % {"n": changed}
            + " Les fichiers déposés désormais suivent ce choix ; ceux déjà déposés gardent leur "
            "stockage.",
        )
        return redirect("referentials:sensitive-proofs", pk=pk)
    return render(
        request, "referentials/sensitive_proofs.html", {"version": version, "proofs": proofs}
    )
