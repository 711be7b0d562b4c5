"""Writing products and applications (R-APP-1 … R-APP-7, R-REF-6, R-REF-7). Every change is
one transaction with its journal entry; bad input raises ApplicationError and changes nothing."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from guichet.applications import admissibility
from guichet.applications.models import (
    ENDED_STATES,
    AdmissibilityDocument,
    Application,
    Product,
    ProductModule,
    Status,
)
from guichet.applications.workflow import WORKFLOW, transition
from guichet.common.errors import ApplicationError
from guichet.common.lengths import column_length, too_long
from guichet.common.text import ngettext
from guichet.journal.services import record
from guichet.referentials.models import Pathway, ReferentialVersion, VersionState
from guichet.referentials.selectors import (
    evaluate_profiles,
    readable_warnings,
    resolve_profiles,
)


def _invalid(message: str, errors: dict) -> ApplicationError:
    return ApplicationError(message, extra={"status": 400, "errors": errors})


# A product's description is a text column: no limit there, a sane one here.
DESCRIPTION_MAX_LENGTH = 5000


def described_version(application: Application, names_version: str, model) -> str:
    """The product version a document or proof describes (R-APP-4): the one certified unless
    said otherwise; refused, not cut, when longer than its column."""
    value = (names_version or application.product_version).strip()
    if problem := too_long(value, column_length(model, "names_version")):
        raise ApplicationError(
            f"Version décrite : {problem}", field="names_version", extra={"status": 400}
        )
    return value


def _require_applicant(user):
    if not (user.is_active and user.organisation_id and not user.is_agency):
        raise ApplicationError(
            "Seuls les membres d'une organisation candidate déclarent des produits et des candidatures.",
            extra={"status": 403},
        )


def require_owner(by, application: Application, message: str) -> None:
    """Only a member of the applying organisation changes its application (R-ACT-1)."""
    if by.is_agency or by.organisation_id != application.organisation_id:
        raise ApplicationError(message, extra={"status": 403})


def _clean_modules(modules) -> list[dict]:
    if modules in (None, ""):
        return []
    if not isinstance(modules, list):
        raise _invalid("Les modules sont une liste.", {"modules": "Les modules sont une liste."})
    cleaned, errors = [], {}
    name_limit = column_length(ProductModule, "name")
    version_limit = column_length(ProductModule, "version")
    for i, module in enumerate(modules):
        if not isinstance(module, dict):
            errors[f"modules.{i}"] = f"Module {i + 1} : indiquez son nom et sa version."
            continue
        name = str(module.get("name") or "").strip()
        version = str(module.get("version") or "").strip()
        if not name or not version:
            errors[f"modules.{i}"] = f"Module {i + 1} : indiquez son nom et sa version."
        elif problem := too_long(name, name_limit):
            errors[f"modules.{i}"] = f"Module {i + 1}, nom : {problem}"
        elif problem := too_long(version, version_limit):
            errors[f"modules.{i}"] = f"Module {i + 1}, version : {problem}"
        cleaned.append({"name": name, "version": version})
    if errors:
        raise _invalid("Les modules sont incomplets.", errors)
    return cleaned


@transaction.atomic
def save_product(
    *, by, name: str, description: str = "", modules=None, product: Product | None = None
) -> Product:
    """Declares a product, or updates one, with its modules and their versions (R-APP-4)."""
    _require_applicant(by)
    name = (name or "").strip()
    description = description or ""
    if not name:
        raise _invalid(
            "Le produit n'a pas été enregistré.", {"name": "Indiquez le nom commercial du produit."}
        )
    errors = {}
    if problem := too_long(name, column_length(Product, "name")):
        errors["name"] = problem
    if problem := too_long(description, DESCRIPTION_MAX_LENGTH):
        errors["description"] = problem
    if errors:
        raise _invalid("Le produit n'a pas été enregistré.", errors)
    cleaned = _clean_modules(modules)
    duplicate = Product.objects.filter(organisation_id=by.organisation_id, name__iexact=name)
    if product is not None:
        duplicate = duplicate.exclude(pk=product.pk)
    if duplicate.exists():  # a well-formed name that another product holds: a conflict
        raise ApplicationError(
            "Le produit n'a pas été enregistré.",
            extra={
                "status": 409,
                "errors": {"name": "Votre organisation a déjà un produit de ce nom."},
            },
        )
    before = None
    if product is None:
        product = Product.objects.create(
            organisation_id=by.organisation_id, name=name, description=description
        )
    else:
        before = {"name": product.name, "modules": list(product.modules.values("name", "version"))}
        product.name, product.description = name, description
        product.save()
    if modules is not None:
        product.modules.all().delete()
        ProductModule.objects.bulk_create(
            ProductModule(product=product, position=i, **module) for i, module in enumerate(cleaned)
        )
    record(
        action="product.update" if before else "product.create",
        obj=product,
        by=by,
        before=before,
        after={"name": product.name, "modules": cleaned if modules is not None else None},
    )
    return product


def _known_values(by, referential_version) -> dict:
    """What the platform already knows, prefilled in a new admissibility form (issue 14 §2):
    the entity and its identifier, its legal representative as the approved account request
    gave them, the person filing as the contact. Every value stays editable."""
    from guichet.accounts.models import RegistrationRequest, RegistrationStatus

    organisation = by.organisation
    code = referential_version.process_settings.admissibility_form
    fields = {field.key: field for field in admissibility.fields_for(code)}
    values = {
        "entity_name": organisation.name,
        "contact_name": by.get_full_name(),
        "contact_email": by.email,
    }
    identifier = fields.get("entity_id")
    if identifier is not None and not identifier.siret:  # a SIREN (DMN), not a SIRET (TLC)
        values["entity_id"] = organisation.siren or organisation.vat_number or ""
    request = (
        RegistrationRequest.objects.filter(
            organisation=organisation, status=RegistrationStatus.APPROVED
        )
        .order_by("-decided_at")
        .first()
    )
    if request is not None:
        values |= {
            "legal_rep_name": f"{request.legal_rep_first_name} {request.legal_rep_last_name}",
            "legal_rep_email": request.legal_rep_email,
            "legal_rep_phone": request.legal_rep_phone,
        }
        if request.responsible_email == by.email:
            values["contact_phone"] = request.responsible_phone
    return {key: value.strip() for key, value in values.items() if key in fields and value}


@transaction.atomic
def create_application(
    *,
    by,
    product: Product,
    product_version: str,
    referential_version: ReferentialVersion,
    pathway_code: str,
    pathology_code: str = "",
    is_group: bool = False,
    previous: Application | None = None,
) -> Application:
    """One open application per product version and referential version (R-APP-1), through
    an open pathway (R-APP-2); the generic line names its pathology (R-REF-7). With `previous`,
    an ended application of the same product, the new one is filed again from it and starts
    from its form, answers, profiles and documents, copied (R-APP-9)."""
    _require_applicant(by)
    errors = {}
    if product.organisation_id != by.organisation_id:
        raise ApplicationError("Produit introuvable.", extra={"status": 404})
    if previous is not None:
        previous = _ended_for_new(by, previous, product)
    product_version = (product_version or "").strip()
    if not product_version:
        errors["product_version"] = "Indiquez la version du produit à certifier."
    elif problem := too_long(product_version, column_length(Application, "product_version")):
        errors["product_version"] = problem
    if referential_version.state != VersionState.PUBLISHED:  # as open_for_applications()
        errors["referential_version"] = (
            "Cette version du référentiel n'est pas ouverte aux candidatures."
        )
    pathway = Pathway.objects.filter(
        referential_id=referential_version.referential_id, code=pathway_code
    ).first()
    pathology = None
    if pathway is None:
        errors["pathway"] = "Choisissez une démarche du référentiel."
    elif not pathway.is_open:
        errors["pathway"] = f"La démarche « {pathway.label} » n'est pas ouverte actuellement."
    elif pathway.pathologies.exists():
        pathology = pathway.pathologies.filter(code=pathology_code).first()
        if pathology is None:
            errors["pathology"] = "Choisissez la pathologie visée par la ligne générique."
        elif not pathology.is_available:
            errors["pathology"] = (
                f"La spécification technique {pathology.specification_code} ({pathology.label}) est à venir : "
                "cette pathologie ne peut pas encore être choisie."
            )
    elif pathology_code:
        errors["pathology"] = "Cette démarche ne vise pas de pathologie."
    if errors:
        raise _invalid("La candidature n'a pas été créée.", errors)
    application = Application(
        reference=uuid.uuid4().hex[:32],
        organisation_id=by.organisation_id,
        product=product,
        product_version=product_version,
        referential_version=referential_version,
        pathway=pathway,
        pathology=pathology,
        is_group=bool(is_group),
        created_by=by,
        form=_known_values(by, referential_version)
        | {"software_name": product.name, "software_version": product_version},
    )
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        raise _invalid(
            "La candidature n'a pas été créée.",
            {"product_version": _already_open(product, product_version, referential_version)},
        ) from None
    code = referential_version.referential.code
    application.reference = f"{code}-{timezone.localdate().year}-{application.pk:05d}"
    application.save(update_fields=["reference"])
    after = {
        "reference": application.reference,
        "product": product.name,
        "product_version": product_version,
        "referential_version": referential_version.label,
        "pathway": pathway.code,
        "pathology": pathology.code if pathology else None,
    }
    if previous is not None:
        after |= {
            "previous": previous.reference,
            "detail": f"à partir de la candidature n° {previous.reference}",
        }
    record(
        action="application.create",
        obj=application,
        by=by,
        application_id=application.pk,
        after=after,
    )
    if previous is not None:
        _start_from(application, previous, by=by)
    return application


def _already_open(product: Product, product_version: str, referential_version) -> str:
    """Why a new application is refused: the open one, named (R-APP-1, R-APP-9)."""
    current = (
        Application.objects.filter(
            product=product,
            product_version=product_version,
            referential_version=referential_version,
        )
        .exclude(status__in=ENDED_STATES)
        .first()
    )
    if current is None:  # ended since, or another product version: try again
        return "Une autre candidature vise déjà cette version du produit."
    return (
        f"Une candidature existe déjà pour {product.name} {product_version} et le référentiel "
        f"{referential_version.label} : la candidature n° {current.reference} "
        f"(« {current.get_status_display()} »). Une seule est ouverte à la fois ; une nouvelle "
        "candidature se dépose quand elle est close sans certificat."
    )


def _ended_for_new(by, previous: Application, product: Product) -> Application:
    """The ended application a new one starts from (R-APP-9), locked: one of the organisation,
    of the same product, ended without a certificate, not already filed again."""
    previous = (
        Application.objects.select_for_update()
        .filter(pk=previous.pk, organisation_id=by.organisation_id)
        .first()
    )
    if previous is None:
        raise ApplicationError("Candidature précédente introuvable.", extra={"status": 404})
    if previous.status not in ENDED_STATES:
        raise ApplicationError(
            f"La candidature n° {previous.reference} est « {previous.get_status_display()} » : "
            "une nouvelle candidature part d'une candidature close sans certificat (non "
            "recevable, réputée abandonnée, archivée ou refusée).",
            extra={"status": 409},
        )
    if previous.product_id != product.pk:
        raise _invalid(
            "La candidature n'a pas été créée.",
            {
                "from_application": f"La candidature n° {previous.reference} porte sur un "
                "autre produit."
            },
        )
    following = Application.objects.filter(previous=previous).first()
    if following is not None:
        raise ApplicationError(
            f"Une nouvelle candidature a déjà été déposée à partir de la candidature n° "
            f"{previous.reference} : la candidature n° {following.reference}.",
            extra={"status": 409},
        )
    return previous


def _start_from(application: Application, previous: Application, *, by) -> None:
    """The new draft starts from the ended one (R-APP-9): its form (the certified version being
    the new one's), its answers and profiles where the referential version is the same (else
    the profiles the new version still has), its group, and a copy of each current document —
    new files, so that nothing the two hold is shared and the ended one keeps its history."""
    from guichet.files.services import TamperedFile, copy_file, forget_files

    version = application.referential_version
    code = version.process_settings.admissibility_form
    keys = {spec.key for spec in admissibility.fields_for(code)} | {"components"}
    carried = {key: value for key, value in (previous.form or {}).items() if key in keys}
    application.form = {
        **application.form,
        **carried,
        "software_version": application.product_version,
    }
    if previous.referential_version_id == version.pk:
        application.answers = previous.answers
        application.profiles = list(previous.profiles or [])
    else:
        known = set(version.profiles.values_list("code", flat=True))
        application.profiles = [code for code in previous.profiles or [] if code in known]
    application.is_group = previous.is_group
    application.group_members = previous.group_members
    application.previous = previous
    application.save(
        update_fields=[
            "form",
            "answers",
            "profiles",
            "is_group",
            "group_members",
            "previous",
            "updated_at",
        ]
    )
    items = {spec.key: spec for spec in admissibility.documents_of(application)}
    copies = []
    try:
        for document in previous.documents.filter(
            withdrawn_at__isnull=True, item__in=list(items)
        ).select_related("file"):
            try:
                stored = copy_file(document.file, by=by)
            except TamperedFile:
                raise ApplicationError(
                    f"Le document « {document.file.original_name} » de la candidature n° "
                    f"{previous.reference} n'est plus celui qui a été déposé : il ne peut pas "
                    "être repris. Déposez une nouvelle candidature sans partir de celle-ci, ou "
                    "écrivez à l'agence.",
                    extra={"status": 409},
                ) from None
            copies.append(stored)
            copy = AdmissibilityDocument.objects.create(
                application=application,
                item=document.item,
                file=stored,
                names_version=document.names_version,
            )
            record(
                action="application.document.copy",
                obj=copy,
                by=by,
                application_id=application.pk,
                after={
                    "item": document.item,
                    "label": items[document.item].label,
                    "file": str(stored.id),
                    "copied_from": str(document.file_id),
                    "previous": previous.reference,
                    "name": stored.original_name,
                    "sha256": stored.sha256,
                    "size": stored.size,
                },
            )
    except BaseException:
        forget_files(copies)
        raise
    record(
        action="application.filed_again",
        obj=previous,
        by=by,
        application_id=previous.pk,
        after={
            "next": application.reference,
            "detail": f"nouvelle candidature n° {application.reference} déposée à partir "
            "de celle-ci",
            "documents": len(copies),
        },
    )


@transaction.atomic
def file_again(*, by, previous: Application) -> Application:
    """« Déposer une nouvelle candidature » from an ended one (R-APP-9): the same product
    version, referential version, pathway and pathology; a draft that starts from it."""
    return create_application(
        by=by,
        product=previous.product,
        product_version=previous.product_version,
        referential_version=previous.referential_version,
        pathway_code=previous.pathway.code,
        pathology_code=previous.pathology.code if previous.pathology_id else "",
        is_group=previous.is_group,
        previous=previous,
    )


def file_again_refusal(application: Application, user) -> str | None:
    """Why `user` may not file a new application from this one now, or None (the pages ask
    it before offering the action; `create_application` checks it again under the lock)."""
    if user.is_agency or user.organisation_id != application.organisation_id:
        return "Seul le candidat dépose une nouvelle candidature."
    if application.status not in ENDED_STATES:
        return "La candidature n'est pas close."
    if Application.objects.filter(previous=application).exists():
        return "Une nouvelle candidature a déjà été déposée à partir de celle-ci."
    return None


EDITABLE = {Status.DRAFT, Status.TO_FIX}


def _only_fixable(application: Application, data: dict, fixable: set[str]) -> dict:
    """After submission only the flagged items change (R-APP-8); the profile choice never does
    (R-REF-6). Values equal to the stored ones pass, so a whole form may be sent again."""
    errors = {}
    if application.profiles_reopened:  # the form's facts the questionnaire asks (R-REF-8)
        fixable = fixable | {fact.field.key for fact in admissibility.facts_of(application)}
    for key, value in (data.get("form") or {}).items():
        if key not in fixable and value != (application.form or {}).get(key):
            if key == "components" and not value and not (application.form or {}).get(key):
                continue
            errors[f"form.{key}"] = "Cet élément n'est pas à corriger : il ne se modifie plus."
    for key in ("answers", "profiles", "extra_profiles"):
        if application.profiles_reopened:  # a correction asked on them (R-REF-8)
            break
        if key in data and data[key] != getattr(application, key, None):
            errors[key] = "Le choix des profils est définitif depuis la soumission."
    for key in ("product_version", "is_group"):
        if key in data and data[key] != getattr(application, key):
            errors[key] = "Cet élément ne se modifie plus après la soumission."
    if (
        "group_members" in data
        and "group_members" not in fixable
        and data["group_members"] != application.group_members
    ):
        errors["group_members"] = "Cet élément n'est pas à corriger : il ne se modifie plus."
    if errors:
        raise _invalid("Seuls les éléments signalés par l'instructeur se corrigent.", errors)
    return data


@transaction.atomic
def save_draft(
    *, by, application: Application, data: dict, keep_valid: bool = False
) -> Application:
    """Saves whatever part of the form is given, incomplete (R-APP-7). Each given value is
    checked. By default (the API's PATCH) one wrong value refuses the whole save, with every
    error, and nothing changes; with `keep_valid` (the page's autosave) the valid values are
    saved and the wrong ones reported in `application.draft_errors`, so typing is never lost.
    With `answers`, the profiles are those the answers make mandatory plus the optional ones
    chosen in `extra_profiles` (or, without it, the optional ones already chosen) (R-REF-4);
    `profiles` sets them directly (the API)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_owner(by, application, "L'agence ne remplit pas le formulaire du candidat.")
    if application.status not in EDITABLE:
        raise ApplicationError(
            "La candidature a été soumise : le formulaire ne se modifie plus, sauf les éléments "
            "que l'instructeur demande de corriger.",
        )
    fixable = None
    if application.status == Status.TO_FIX:
        from guichet.applications.review import items_to_fix

        fixable = set(items_to_fix(application))
        data = _only_fixable(application, data, fixable)
    code = application.referential_version.process_settings.admissibility_form
    specs = {spec.key: spec for spec in admissibility.fields_for(code)}
    errors, form, before = {}, dict(application.form), {}
    for key, value in (data.get("form") or {}).items():
        if key == "components":
            try:
                form["components"] = admissibility.clean_components(code, value)
            except ValueError as exc:
                errors["form.components"] = str(exc)
            continue
        spec = specs.get(key)
        if spec is None:
            errors[f"form.{key}"] = "Champ inconnu du formulaire de recevabilité."
            continue
        try:
            cleaned = admissibility.clean_value(spec, value)
        except ValueError as exc:
            errors[f"form.{key}"] = str(exc)
            continue
        if form.get(key) != cleaned:
            before[key] = form.get(key)
            if cleaned is None:
                form.pop(key, None)
            else:
                form[key] = cleaned
    version = application.referential_version
    if "answers" in data:
        answers = data.get("answers") or {}
        if not isinstance(answers, dict):
            errors["answers"] = "Les réponses au questionnaire sont un objet."
        else:
            try:
                derived = evaluate_profiles(version, answers=answers)
            except ApplicationError as exc:
                errors["answers"] = exc.message
            else:
                application.answers = answers
                # R-REF-4: the answers' mandatory profiles, plus the optional ones ticked (the
                # page sends them) or, when none are sent, those already chosen that are still
                # optional: the API and the page compute the profiles the same way.
                try:
                    if "extra_profiles" in data:
                        extras = resolve_profiles(version, data.get("extra_profiles") or [])
                    else:
                        extras = [p for p in application.profiles or [] if p in derived.optional]
                except ApplicationError as exc:
                    errors["profiles"] = exc.message
                else:
                    application.profiles = list(dict.fromkeys(derived.profiles + extras))
    if "profiles" in data:
        try:
            application.profiles = resolve_profiles(version, data.get("profiles") or [])
        except ApplicationError as exc:
            errors["profiles"] = exc.message
    if "product_version" in data:
        value = str(data.get("product_version") or "").strip()
        if not value:
            errors["product_version"] = "Indiquez la version du produit à certifier."
        elif problem := too_long(value, column_length(Application, "product_version")):
            errors["product_version"] = problem
        else:
            application.product_version = value
    if "is_group" in data:
        application.is_group = bool(data.get("is_group"))
    if "group_members" in data:
        members, member_errors = _clean_members(data.get("group_members"))
        if member_errors:
            errors["group_members"] = " ".join(member_errors)
        else:
            application.group_members = members

    _one_fact_each(application, data, form, errors)
    if errors and not keep_valid:
        raise _invalid(
            "Le brouillon n'a pas été enregistré : corrigez les champs signalés.", errors
        )
    application.draft_errors = errors
    application.form = form
    try:
        with transaction.atomic():
            application.save()
    except IntegrityError:
        raise _invalid(
            "Le brouillon n'a pas été enregistré.",
            {"product_version": "Une autre candidature vise déjà cette version du produit."},
        ) from None
    record(
        action="application.draft",
        obj=application,
        by=by,
        application_id=application.pk,
        before=before or None,
        after={key: form.get(key) for key in before} or None,
    )
    return application


def _one_fact_each(application: Application, data: dict, form: dict, errors: dict) -> None:
    """R-REF-8: a fact that the form and the profiles' questionnaire both hold (DMN's patient
    access, TLC's société de téléconsultation) is one answer: given on either side, the other
    follows; given differently on both sides at once, it is refused."""
    sent_form = data.get("form") or {}
    sent_answers = data.get("answers") if isinstance(data.get("answers"), dict) else {}
    answers = dict(application.answers or {})
    for fact in admissibility.facts_of(application):
        key, question = fact.field.key, fact.question["key"]
        if f"form.{key}" in errors or "answers" in errors:
            continue
        answer, value = answers.get(question), form.get(key)
        if question in sent_answers and answer is not None:
            if key in sent_form and value is not None and fact.field_value(answer) != value:
                errors[f"form.{key}"] = (
                    f"Le questionnaire des profils répond « {fact.answer_label(answer)} » à "
                    f"« {fact.question['label']} » : un même fait ne peut avoir deux réponses."
                )
                continue
            form[key] = fact.field_value(answer)
        elif key in sent_form and value is not None and fact.field_value(answer) != value:
            implied = fact.answer_for(value)
            if implied is None:
                answers.pop(question, None)  # « non » to one choice: the others remain open
            else:
                answers[question] = implied
    if answers != (application.answers or {}):
        application.answers = answers


def _clean_members(members) -> tuple[list[dict], list[str]]:
    """R-APP-3: each member of a group without legal personality, by name and company id."""
    from guichet.accounts.identifiers import IdentifierError, parse_company_id
    from guichet.accounts.models import Organisation

    if not isinstance(members, list):
        return [], ["Les membres du groupement sont une liste."]
    cleaned, errors = [], []
    for i, member in enumerate(members, start=1):
        if not isinstance(member, dict) or not str(member.get("name") or "").strip():
            errors.append(f"Membre {i} : indiquez sa raison sociale.")
            continue
        try:
            company = parse_company_id(str(member.get("company_id") or ""))
        except IdentifierError as exc:
            errors.append(f"Membre {i} : {exc}")
            continue
        name = str(member["name"]).strip()
        # A member is a company, named as an organisation is.
        if problem := too_long(name, column_length(Organisation, "name")):
            errors.append(f"Membre {i}, raison sociale : {problem}")
            continue
        cleaned.append({"name": name, "company_id": company.value})
    return cleaned, errors


def version_mismatches(application: Application) -> list[str]:
    """R-APP-4: every place that names another version than the one certified — the form and
    each current document or proof (its « version décrite »)."""
    version = application.product_version
    found = []
    software_version = (application.form or {}).get("software_version")
    if software_version and software_version != version:
        found.append(
            f"Le formulaire indique la version {software_version}, la candidature vise la version "
            f"{version}."
        )
    for document in (
        application.documents.filter(withdrawn_at__isnull=True)
        .exclude(names_version__in=["", version])
        .select_related("file")
    ):
        found.append(
            f"Le document « {document.file.original_name} » décrit la version "
            f"{document.names_version}, la candidature vise la version {version}."
        )
    for evidence in (
        application.evidence_files.filter(replaced_at__isnull=True)
        .exclude(names_version__in=["", version])
        .select_related("file")
    ):
        found.append(
            f"La preuve « {evidence.file.original_name} » décrit la version "
            f"{evidence.names_version}, la candidature vise la version {version}."
        )
    return found


# Once the collège has the dossier (or it is closed), the certified version no longer changes.
VERSION_FROZEN = frozenset(
    {
        Status.NOT_ADMISSIBLE,
        Status.INSTRUCTION_FINISHED,
        Status.SILENTLY_ACCEPTED,
        Status.GRANTED,
        Status.GRANTED_WITH_RESERVATIONS,
        Status.REFUSED,
        Status.ABANDONED,
        Status.ARCHIVED,
    }
)


@transaction.atomic
def update_product_version(*, by, application: Application, product_version: str) -> Application:
    """R-APP-4: the certified version may be updated before the end of the procedure; the
    form follows, and every document naming another version is then shown."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_owner(by, application, "Seul le candidat met à jour la version certifiée.")
    if application.status in VERSION_FROZEN:
        raise ApplicationError(
            "La candidature est décidée ou close : sa version ne change plus. Une évolution du "
            "produit certifié se déclare sur la page du certificat (mise à jour non "
            "substantielle) ou fait l'objet d'une nouvelle candidature.",
            extra={"status": 409},
        )
    value = (product_version or "").strip()
    if not value:
        raise _invalid(
            "La version n'a pas été changée.", {"product_version": "Indiquez la version."}
        )
    if problem := too_long(value, column_length(Application, "product_version")):
        raise _invalid("La version n'a pas été changée.", {"product_version": problem})
    if value == application.product_version:
        return application
    if (
        Application.objects.filter(
            product=application.product,
            product_version=value,
            referential_version=application.referential_version,
        )
        .exclude(status__in=ENDED_STATES)
        .exists()
    ):
        raise _invalid(
            "La version n'a pas été changée.",
            {"product_version": "Une autre candidature vise déjà cette version du produit."},
        )
    before = application.product_version
    application.product_version = value
    application.form = {**(application.form or {}), "software_version": value}
    application.save(update_fields=["product_version", "form", "updated_at"])
    record(
        action="application.version",
        obj=application,
        by=by,
        application_id=application.pk,
        before={"product_version": before},
        after={"product_version": value},
    )
    return application


class Check(NamedTuple):
    """What stands between the form and its submission (R-APP-7), and what to notice."""

    missing: list
    violations: list
    warnings: list
    mismatches: list

    @property
    def blocking(self) -> int:
        return len(self.missing) + len(self.violations) + len(self.mismatches)

    @property
    def refusal(self) -> str:
        return ngettext(
            "La candidature ne peut pas encore être soumise : %(n)d point à traiter.",
            "La candidature ne peut pas encore être soumise : %(n)d points à traiter.",
            self.blocking,
        ) % {"n": self.blocking}


def submission_problems(application: Application) -> Check:
    """Missing items, profile-rule violations (blocking) and warnings (shown only, R-REF-4),
    documents naming another version (R-APP-4); the rules are evaluated once. Once submitted,
    the profiles are final (R-REF-6): rules the agency publishes later do not judge them again."""
    missing = admissibility.missing_items(application, present_documents(application))
    if application.status == Status.TO_FIX:
        missing += _documents_not_redeposited(application)
    violations, warnings = [], []
    if application.profiles and not application.profiles_final:
        # The rules read the form's facts too (R-REF-8): « Accès Usager » dès lors que la
        # solution possède un accès patient, whichever side said so.
        facts = admissibility.facts_of(application)
        evaluation = evaluate_profiles(
            application.referential_version,
            answers=admissibility.rule_answers(application, facts) or None,
            profiles=application.profiles,
        )
        violations = admissibility.fact_conflicts(application, facts)
        violations += list(evaluation.violations)
        warnings = list(evaluation.warnings)
    return Check(missing, violations, warnings, version_mismatches(application))


def profile_warnings(application: Application, user) -> list[dict]:
    """The warnings of the profile rules on the application's choice that `user` reads
    (R-REF-4, R-REF-5): never blocking; a note for the agency only by the agency."""
    if not application.profiles:
        return []
    evaluation = evaluate_profiles(
        application.referential_version,
        answers=admissibility.rule_answers(application) or None,
        profiles=application.profiles,
    )
    return readable_warnings(evaluation.warnings, user)


@transaction.atomic
def submit(*, by, application: Application) -> Application:
    """Submits the admissibility form: refused with every missing item at once; after it, the
    profile choice is final (R-APP-7, R-REF-6)."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_owner(by, application, "Seul le candidat soumet sa candidature.")
    if application.status not in (Status.DRAFT, Status.TO_FIX):
        raise ApplicationError("Cette candidature a déjà été soumise.")
    check = submission_problems(application)
    if check.blocking:
        raise ApplicationError(
            check.refusal,
            extra={
                "status": 400,
                "missing": check.missing,
                "violations": check.violations,
                "version_mismatches": check.mismatches,
            },
        )
    return transition(application, "submit", by=by)


@WORKFLOW.effect("submit")
def _submitted(application: Application, *, by, source, **_) -> dict:
    """After the submission: the profile choice is final (R-REF-6), a new review round, and
    both sides are told."""
    from guichet.applications.notifications import notify_applicant, notify_instructors

    first = application.submitted_at is None
    application.submitted_at = application.submitted_at or timezone.now()
    application.review_round += 1
    application.save(update_fields=["submitted_at", "review_round", "updated_at"])
    notify_instructors(
        application,
        "recevabilité à examiner" if first else "corrections reçues",
        "Une candidature attend l'examen de sa recevabilité."
        if first
        else "Le candidat a envoyé les corrections demandées : la recevabilité est à reprendre.",
    )
    notify_applicant(
        application,
        "candidature soumise" if first else "corrections envoyées",
        "Votre candidature a été soumise : l'agence examine sa recevabilité. Le choix des profils "
        "est désormais définitif."
        if first
        else "Vos corrections ont été envoyées : l'instructeur reprend l'examen de la recevabilité.",
    )
    return {"profiles": application.profiles, "round": application.review_round}


def _documents_not_redeposited(application: Application) -> list[dict]:
    """A document flagged « à redéposer » needs a file deposited after the opinion."""
    from guichet.applications.review import review_progress

    progress = review_progress(application)
    missing = []
    for row in progress.rows:
        verdict = row["verdict"]
        if row["kind"] != "document" or verdict is None or verdict.verdict != "to_fix":
            continue
        key = row["item"].removeprefix("documents.")
        if not application.documents.filter(
            item=key, withdrawn_at__isnull=True, created_at__gt=verdict.at
        ).exists():
            missing.append(
                {
                    "item": row["item"],
                    "label": row["label"],
                    "detail": f"à redéposer : {verdict.comment}",
                }
            )
    return missing


# --- Admissibility documents ----------------------------------------------------------------


def _check_document_editable(application: Application, item: str) -> None:
    if application.status == Status.DRAFT:
        return
    if application.status == Status.TO_FIX:
        from guichet.applications.review import items_to_fix

        if f"documents.{item}" in items_to_fix(application):
            return
        raise ApplicationError("Ce document n'est pas à redéposer : il ne se modifie plus.")
    raise ApplicationError("La candidature a été soumise : ses documents ne se modifient plus.")


def _document_spec(application: Application, item: str):
    spec = next((d for d in admissibility.documents_of(application) if d.key == item), None)
    if spec is None:
        raise ApplicationError(
            "Document inconnu du formulaire de recevabilité.", extra={"status": 404}
        )
    if not spec.is_offered(application):
        raise ApplicationError(
            f"« {spec.label} » n'est plus demandé : sa période est close.", extra={"status": 409}
        )
    return spec


def check_document_upload(*, by, application: Application, item: str):
    """Whether `by` may deposit a file for this document now: decided before the upload is
    read (issue 10 §1), and again by add_document under the row lock. Returns its spec."""
    spec = _document_spec(application, item)
    require_owner(by, application, "Seul le candidat dépose ses documents.")
    _check_document_editable(application, item)
    return spec


@transaction.atomic
def add_document(
    *, by, application: Application, item: str, upload, produced_on=None, names_version: str = ""
):
    """Attaches one streamed upload to a document of the form; the file is checked (type,
    size) and renamed into place in the same transaction as its journal entry."""
    from guichet.files.services import commit

    application = Application.objects.select_for_update().get(pk=application.pk)
    spec = check_document_upload(by=by, application=application, item=item)
    stored = commit(upload, by=by, produced_on=produced_on)
    document = AdmissibilityDocument.objects.create(
        application=application,
        item=item,
        file=stored,
        names_version=described_version(application, names_version, AdmissibilityDocument),
    )
    record(
        action="application.document.add",
        obj=document,
        by=by,
        application_id=application.pk,
        after={
            "item": item,
            "label": spec.label,
            "file": str(stored.id),
            "name": stored.original_name,
            "sha256": stored.sha256,
            "size": stored.size,
            "type": stored.content_type,
        },
    )
    return document


def add_documents(
    *, by, application: Application, item: str, uploads, produced_on=None, names_version: str = ""
) -> list:
    """Every upload of one request attached, or none (R-EVD-2)."""
    from guichet.files.services import attach_all

    return attach_all(
        uploads,
        lambda upload: add_document(
            by=by,
            application=application,
            item=item,
            upload=upload,
            produced_on=produced_on,
            names_version=names_version,
        ),
    )


@transaction.atomic
def withdraw_document(*, by, document) -> None:
    application = Application.objects.select_for_update().get(pk=document.application_id)
    require_owner(by, application, "Seul le candidat retire ses documents.")
    _check_document_editable(application, document.item)
    if document.withdrawn_at:
        raise ApplicationError("Ce fichier a déjà été retiré.")
    document.withdrawn_at = timezone.now()
    document.save(update_fields=["withdrawn_at"])
    record(
        action="application.document.withdraw",
        obj=document,
        by=by,
        application_id=application.pk,
        before={"item": document.item, "file": str(document.file_id)},
    )


def present_documents(application: Application) -> dict[str, int]:
    """item → number of current (not withdrawn) files."""
    from django.db.models import Count

    return dict(
        application.documents.filter(withdrawn_at__isnull=True)
        .values("item")
        .annotate(n=Count("id"))
        .values_list("item", "n")
    )
