from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from guichet.applications import extensions, review, selectors, services
from guichet.applications.extensions import PANELS
from guichet.applications.forms import AdmissibilityForm, ProductForm, ProfilesForm
from guichet.applications.models import Status
from guichet.applications.pathologies import claim_pathologies
from guichet.applications.workflow import WORKFLOW, actions, stage_of, transition
from guichet.common.access import applicant_required, login_required, role_required
from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.deadlines import french_time
from guichet.files.api import download_response
from guichet.files.pages import take_upload_refusal, upload_page
from guichet.files.services import allowed_types_text, max_upload_text
from guichet.referentials.models import Pathway, Referential, ReferentialVersion
from guichet.referentials.selectors import evaluate_profiles, readable_warnings


@login_required
def application_list(request):
    archived = request.GET.get("archivees") == "1"
    applications = selectors.applications_for(request.user)
    # An archived application leaves the agency's lists; its data and journal stay (issue 11).
    if request.user.is_agency:
        applications = (
            applications.filter(status=Status.ARCHIVED)
            if archived
            else applications.exclude(status=Status.ARCHIVED)
        )
    filters, errors = selectors.parse_filters(request.GET)
    applications = selectors.filter_applications(applications, filters)
    page = Paginator(applications, 50).get_page(request.GET.get("page"))
    products = selectors.products_for(request.user)[:100] if not request.user.is_agency else []
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "applications/list.html",
        {
            "applications": page,
            "products": products,
            "archived": archived,
            "filters": filters,
            "filter_errors": errors,
            "statuses": Status.choices,
            "referentials": Referential.objects.order_by("code").values_list("code", flat=True),
            "query": query.urlencode(),
        },
    )


def _product_form(request, product=None):
    form = ProductForm(request.POST or None, product=product)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_product(
                by=request.user,
                product=product,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                modules=form.modules(),
            )
        except ApplicationError as exc:
            for field, message in exc.extra.get("errors", {}).items():
                if field.startswith("modules."):
                    index = int(field.split(".")[1])
                    field = (
                        form.module_rows()[index][0].name
                        if index < len(form.module_rows())
                        else None
                    )
                form.add_error(field if field in form.fields else None, message)
        else:
            messages.success(request, "Produit enregistré.")
            return redirect("applications:list")
    return render(
        request,
        "applications/product_form.html",
        {"form": form, "product": product},
        status=400 if form.errors else 200,
    )


@applicant_required
def product_create(request):
    return _product_form(request)


@applicant_required
def product_edit(request, pk):
    return _product_form(request, get_object_or_404(selectors.products_for(request.user), pk=pk))


def _pathways():
    return (
        Pathway.objects.select_related("referential")
        .prefetch_related("pathologies")
        .order_by("referential__code", "position")
    )


@applicant_required
def application_create(request):
    products = list(selectors.products_for(request.user))
    versions = list(
        ReferentialVersion.objects.open_for_applications().select_related("referential")
    )
    # A link may choose the product and the version beforehand (« Déposer une nouvelle
    # candidature pour <produit> », issue 22 §2): the form opens with them selected.
    errors, values = {}, request.POST if request.method == "POST" else request.GET
    if request.method == "POST":
        product = next((p for p in products if str(p.pk) == values.get("product")), None)
        version = next(
            (v for v in versions if str(v.pk) == values.get("referential_version")), None
        )
        if product is None:
            errors["product"] = "Choisissez le produit."
        if version is None:
            errors["referential_version"] = "Choisissez le référentiel."
        if not errors:
            pathway_code, _, pathology_code = (values.get("pathway") or "").partition(":")
            others = [c for c in values.getlist("other_pathologies") if c != pathology_code]
            try:
                with transaction.atomic():
                    application = services.create_application(
                        by=request.user,
                        product=product,
                        product_version=values.get("product_version", ""),
                        referential_version=version,
                        pathway_code=pathway_code,
                        pathology_code=pathology_code,
                        is_group=values.get("is_group") == "on",
                    )
                    if others:  # several generic lines (R-REF-7)
                        claim_pathologies(
                            by=request.user,
                            application=application,
                            codes=[pathology_code, *others],
                        )
            except ApplicationError as exc:
                errors.update(exc.extra.get("errors", {}))
            else:
                messages.success(
                    request,
                    f"Candidature {application.reference} créée : remplissez le formulaire de recevabilité.",
                )
                return redirect("applications:form", pk=application.pk)
    return render(
        request,
        "applications/new.html",
        {
            "products": products,
            "versions": versions,
            "pathways": _pathways(),
            "other_pathologies": values.getlist("other_pathologies"),
            "errors": errors,
            "values": values,
        },
        status=400 if errors else 200,
    )


@login_required
def application_detail(request, pk):
    application = selectors.get_application(request.user, pk)
    if application.status in (Status.DRAFT, Status.TO_FIX):
        check = services.submission_problems(application)
    else:
        check = services.Check([], [], [], services.version_mismatches(application))
    labels = {p.code: p.label for p in application.referential_version.profiles.all()}
    return render(
        request,
        "applications/detail.html",
        {
            "application": application,
            "missing": check.missing,
            "to_fix": _to_fix_rows(application),
            "actions": actions(application, request.user),
            "todos": extensions.todos_for(application, request.user),
            # What each stage adds to the page (convention, evidence…), in the process's order.
            "panels": [p for p in (panel(request, application) for panel in PANELS) if p],
            "can_review": review.can_review(request.user),
            "violations": check.violations,
            "warnings": readable_warnings(check.warnings, request.user),
            "mismatches": check.mismatches,
            "profiles": [labels.get(code, code) for code in application.profiles],
            "modules": list(application.product.modules.all()),
            "stage": stage_of(application),
            "version_editable": application.status not in services.VERSION_FROZEN,
            # R-APP-9: the new application filed again from this one, and whether it may be.
            "next_application": selectors.next_application(application),
            "may_file_again": application.has_ended
            and services.file_again_refusal(application, request.user) is None,
            "documents": sorted(
                (
                    document
                    for provider in extensions.ISSUED_DOCUMENTS
                    for document in provider(application, request.user)
                ),
                key=lambda document: document["date"],
            ),
        },
    )


@login_required
def application_form(request, pk):
    application = selectors.get_application(request.user, pk)
    fixable = None
    if application.status == Status.TO_FIX:
        fixable = set(review.items_to_fix(application))
    editable = application.status in (Status.DRAFT, Status.TO_FIX) and not request.user.is_agency
    form = AdmissibilityForm(request.POST or None, application=application, fixable=fixable)
    profiles_form = ProfilesForm(request.POST or None, application=application)
    autosave = request.headers.get("X-Autosave") == "1"
    if request.method == "POST":
        if not editable:
            return _refused(request, autosave, "Ce formulaire ne se modifie plus.", pk)
        if form.is_valid() and profiles_form.is_valid():
            payload = form.payload()
            if not application.profiles_final:
                payload["answers"] = profiles_form.answers()
                payload["extra_profiles"] = list(profiles_form.cleaned_data["extra"])
            try:
                saved = services.save_draft(
                    by=request.user, application=application, data=payload, keep_valid=True
                )
            except ApplicationError as exc:  # e.g. another application has that version
                saved, field_errors = None, exc.extra.get("errors", {"__all__": exc.message})
            else:
                field_errors = saved.draft_errors
            now = french_time(timezone.now())
            if autosave:
                # What the page shows must follow the answers: which documents are required
                # now, and each error at its field.
                required = {
                    document["item"]: document["required"]
                    for document in selectors.documents_payload(saved or application)
                }
                return JsonResponse(
                    {
                        "saved": saved is not None,
                        "at": now,
                        "errors": {k.removeprefix("form."): v for k, v in field_errors.items()},
                        "documents": required,
                    },
                    status=400 if field_errors else 200,
                )
            for field, message in field_errors.items():
                name = field.removeprefix("form.")
                form.add_error(name if name in form.fields else None, message)
            if not field_errors:
                messages.success(request, f"Brouillon enregistré à {now}.")
                if request.POST.get("next") == "detail":
                    return redirect("applications:detail", pk=pk)
                return redirect("applications:form", pk=pk)
            if saved is not None:
                messages.warning(
                    request,
                    f"Brouillon enregistré à {now}, sauf les champs signalés, à corriger.",
                )
    to_fix = review.items_to_fix(application) if fixable is not None else {}
    documents = selectors.documents_payload(application)
    refused = take_upload_refusal(request)
    for document in documents:
        key = f"documents.{document['item']}"
        document["can_upload"] = editable and (fixable is None or key in fixable)
        document["to_fix"] = to_fix.get(key)
        document["upload_error"] = refused.get(f"file-{document['item']}", "")
    mandatory_profiles = []
    if application.answers and not application.profiles_final:
        evaluation = evaluate_profiles(application.referential_version, answers=application.answers)
        labels = dict(application.referential_version.profiles.values_list("code", "label"))
        mandatory_profiles = [labels[code] for code in evaluation.profiles]
    return render(
        request,
        "applications/form.html",
        {
            **_final_profiles(application, profiles_form),
            "application": application,
            "form": form,
            "profiles_form": profiles_form,
            "editable": editable,
            "mandatory_profiles": mandatory_profiles,
            "documents": documents,
            "allowed_types": allowed_types_text(),
            "fixable": fixable,
            "to_fix": to_fix,
            "max_upload": max_upload_text(),
        },
        status=400 if form.errors else 200,
    )


def _final_profiles(application, profiles_form) -> dict:
    """Once submitted, the profiles and the answers that led to them are shown read-only, with
    their labels (R-REF-6): nothing on the page invites a change that would not be kept."""
    if not application.profiles_final:
        return {}
    labels = dict(application.referential_version.profiles.values_list("code", "label"))
    answered = []
    for name, field in profiles_form.fields.items():
        if name == "extra" or name not in (application.answers or {}):
            continue
        value = profiles_form.initial.get(name)
        answered.append((field.label, dict(field.choices).get(value, value)))
    return {
        "final_profiles": [labels.get(code, code) for code in application.profiles],
        "answered": answered,
    }


def _refused(request, autosave, message, pk):
    if autosave:
        return JsonResponse({"saved": False, "errors": {"__all__": message}}, status=409)
    messages.error(request, message)
    return redirect("applications:detail", pk=pk)


@login_required
@require_POST
def application_transition(request, pk, name):
    """An action of the workflow from a page: confirmed when it asks to, with its reason."""
    application = selectors.get_application(request.user, pk)
    spec = WORKFLOW.page_action(name)
    if spec.automatic or spec.form:
        raise Http404
    if spec.confirm and request.POST.get("confirm") != "on":
        messages.error(request, f"« {spec.label} » : cochez la case pour confirmer.")
        return redirect("applications:detail", pk=pk)
    try:
        transition(application, name, by=request.user, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        application.refresh_from_db()
        messages.success(
            request,
            f"« {spec.label} » : fait. La candidature est « {application.get_status_display()} ».",
        )
    return redirect("applications:detail", pk=pk)


@applicant_required
@require_POST
def application_file_again(request, pk):
    """« Déposer une nouvelle candidature » from an ended one (R-APP-9), confirmed."""
    previous = selectors.get_application(request.user, pk)
    if request.POST.get("confirm") != "on":
        messages.error(
            request, "« Déposer une nouvelle candidature » : cochez la case pour confirmer."
        )
        return redirect("applications:detail", pk=pk)
    try:
        application = services.file_again(by=request.user, previous=previous)
    except ApplicationError as exc:
        errors = exc.extra.get("errors") or {}
        messages.error(request, " ".join([exc.message, *errors.values()]))
        return redirect("applications:detail", pk=pk)
    documents = application.documents.count()
    messages.success(
        request,
        f"Nouvelle candidature {application.reference} créée à partir de la candidature "
        f"{previous.reference}"
        + ngettext(
            " : le formulaire et %(n)d document sont repris. ",
            " : le formulaire et %(n)d documents sont repris. ",
            documents,
        )
        % {"n": documents}
        + "Vérifiez-les, complétez ce qui a changé, puis soumettez-la.",
    )
    return redirect("applications:detail", pk=application.pk)


@applicant_required
@require_POST
def application_submit(request, pk):
    application = selectors.get_application(request.user, pk)
    try:
        services.submit(by=request.user, application=application)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("applications:detail", pk=pk)
    messages.success(
        request,
        "Candidature soumise : l'agence examine sa recevabilité. Le choix des profils est désormais définitif.",
    )
    return redirect("applications:detail", pk=pk)


# --- Documents of the admissibility form ----------------------------------------------------


@csrf_exempt  # checked by _upload_page once access is granted, without reading the body
@require_POST
@applicant_required
def document_upload(request, pk, item):
    application = selectors.get_application(request.user, pk)

    def access():
        services.check_document_upload(by=request.user, application=application, item=item)
        return False  # admissibility documents are not encrypted

    def attach(uploads, produced_on):
        return services.add_documents(
            by=request.user,
            application=application,
            item=item,
            uploads=uploads,
            produced_on=produced_on,
            names_version=request.POST.get("names_version", ""),
        )

    return upload_page(
        request,
        access,
        attach,
        back=reverse("applications:form", args=[pk]) + f"#field-documents.{item}",
        field=f"file-{item}",
    )


@login_required
def file_download(request, pk, file_id):
    application = selectors.get_application(request.user, pk)
    stored = selectors.application_file(application, file_id, request.user)
    try:
        return download_response(stored, by=request.user, application=application)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("applications:detail", pk=pk)


@applicant_required
@require_POST
def document_withdraw(request, pk, file_id):
    application = selectors.get_application(request.user, pk)
    document = get_object_or_404(application.documents, file_id=file_id)
    try:
        services.withdraw_document(by=request.user, document=document)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"« {document.file.original_name} » retiré (il reste dans l'historique)."
        )
    return redirect(reverse("applications:form", args=[pk]) + "#documents")


# --- Admissibility review (instructors) -----------------------------------------------------

reviewer_required = role_required(review.can_review)


@reviewer_required
def admissibility_review(request, pk):
    application = selectors.get_application(request.user, pk)
    if request.method == "POST":
        items = review.reviewable_items(application)
        opinions = {
            entry["item"]: (
                request.POST[f"verdict-{entry['item']}"],
                request.POST.get(f"comment-{entry['item']}", ""),
            )
            for entry in items
            if request.POST.get(f"verdict-{entry['item']}")
        }
        if request.POST.get("all_conforme"):
            # « Tout conforme » for the items not yet judged in this round, once confirmed.
            if not request.POST.get("confirm_all"):
                messages.error(
                    request,
                    "Cochez la case de confirmation pour déclarer conformes tous les éléments "
                    "restants ; rien n'a été enregistré.",
                )
                return redirect("applications:review", pk=pk)
            opinions = review.with_remaining_conforme(application, opinions)
        try:
            kept = review.set_verdicts(by=request.user, application=application, opinions=opinions)
        except ApplicationError as exc:
            for error in exc.extra.get("errors", []):
                messages.error(request, error)
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                ngettext("%(n)d avis enregistré.", "%(n)d avis enregistrés.", kept) % {"n": kept},
            )
        return redirect("applications:review", pk=pk)
    progress = review.review_progress(application)
    documents = {d["item"]: d["files"] for d in selectors.documents_payload(application)}
    rows = [
        {
            **row,
            "files": [
                f
                for f in documents.get(row["item"].removeprefix("documents."), [])
                if not f["withdrawn_at"]
            ]
            if row["kind"] == "document"
            else [],
        }
        for row in progress.rows
    ]
    return render(
        request,
        "applications/review.html",
        {
            "application": application,
            "rows": rows,
            "progress": progress,
            # The profile rules' warnings, notes for the agency included (R-REF-5).
            "warnings": services.profile_warnings(application, request.user),
            "open": application.status == Status.SUBMITTED,
            "actions": actions(application, request.user),
        },
    )


@reviewer_required
@require_POST
def admissibility_decision(request, pk):
    application = selectors.get_application(request.user, pk)
    try:
        review.decide(
            by=request.user,
            application=application,
            decision=request.POST.get("decision", ""),
            reasons=request.POST.get("reasons", ""),
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("applications:review", pk=pk)
    application.refresh_from_db()
    messages.success(
        request,
        f"Décision enregistrée : {application.get_status_display()}. Le candidat est prévenu par courriel.",
    )
    return redirect("applications:detail", pk=pk)


def _to_fix_rows(application) -> list[dict]:
    if application.status != Status.TO_FIX:
        return []
    progress = review.review_progress(application)
    return [
        {"item": row["item"], "label": row["label"], "comment": progress.to_fix[row["item"]]}
        for row in progress.rows
        if row["item"] in progress.to_fix
    ]


# --- Convention -----------------------------------------------------------------------------


# --- Evidence ---------------------------------------------------------------------------------


@applicant_required
@require_POST
def application_version(request, pk):
    application = selectors.get_application(request.user, pk)
    try:
        application = services.update_product_version(
            by=request.user,
            application=application,
            product_version=request.POST.get("product_version", ""),
        )
    except ApplicationError as exc:
        errors = exc.extra.get("errors") or {}
        messages.error(request, " ".join([exc.message, *errors.values()]))
    else:
        mismatches = services.version_mismatches(application)
        messages.success(
            request,
            f"Version certifiée : {application.product_version}."
            + (
                ngettext(
                    " %(n)d document décrit une autre version : voir ci-dessous.",
                    " %(n)d documents décrivent une autre version : voir ci-dessous.",
                    len(mismatches),
                )
                % {"n": len(mismatches)}
                if mismatches
                else ""
            ),
        )
    return redirect("applications:detail", pk=pk)
