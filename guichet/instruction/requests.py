"""Information requests (*sollicitations*, R-CLK-3) and missing items (R-CLK-5), and a section
sent back once the dossier is complete (issue 11 §3).

The agency asks through the workflow's transitions (`request_information`,
`request_missing_items`): their effects here keep the request — numbered per application, with
the proofs it names and the agency's files — and notify the applicant (a legal notice: always
sent). While a request or a notice is open, the proofs it names reopen for upload, alone (the
evidence's `reopening` hook): the applicant deposits there (evidence, with its history), then
answers with a text and files (`answer_information`, `provide_missing_items`). An answer is
recorded before its transition fires, so that the state after it (`extensions.open_requests`)
sees what is still awaited. The legal clock reads the transition log (DMN stops, TLC runs or
restarts: guichet.deadlines); nothing is computed here.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max, Prefetch, Q
from django.utils import timezone

from guichet.applications import extensions
from guichet.applications.models import Application, Status
from guichet.applications.notifications import notify_applicant, notify_instructors
from guichet.applications.workflow import WORKFLOW, transition
from guichet.common.errors import ApplicationError
from guichet.common.text import ngettext
from guichet.deadlines import french_date
from guichet.evidence.selectors import reopening
from guichet.files.services import attach_all, commit
from guichet.instruction.models import ExchangeFile, InformationRequest, MissingItemsNotice
from guichet.instruction.proofs import applicable_proofs
from guichet.journal.services import record

# A request, an answer: long enough for a detailed exchange, bounded all the same.
TEXT_LIMIT = 20_000
ITEM_LIMIT = 1_000
ITEMS_MAX = 200
# States in which something is awaited from the applicant.
WAITING_STATES = (Status.INFORMATION_REQUESTED, Status.MISSING_ITEMS)


# --- the proofs an exchange may name -------------------------------------------------------


def _concerned(application: Application, proofs, section: str | None):
    """The proofs named (ids of applicable proofs; a section adds all of its own), in the
    version's order, and the section's id; a French refusal naming what is unknown."""
    refs = applicable_proofs(application)
    if isinstance(proofs, str | int):
        proofs = [proofs]
    chosen, unknown = set(), []
    for value in proofs or ():
        try:
            if isinstance(value, bool):
                raise ValueError
            proof_id = int(value)
        except (TypeError, ValueError):
            unknown.append(f"« {str(value)[:40]} »")
            continue
        if proof_id in refs:
            chosen.add(proof_id)
        else:
            unknown.append(str(proof_id))
    if unknown:
        raise ApplicationError(
            ngettext(
                "Preuve inconnue pour cette candidature : %(ids)s. ",
                "Preuves inconnues pour cette candidature : %(ids)s. ",
                len(unknown),
            )
            % {"ids": ", ".join(unknown[:10])}
            + "Choisissez parmi les preuves applicables (identifiants de GET …/evidence/).",
            field="proofs",
            extra={"status": 400},
        )
    section_id = None
    if section:
        in_section = [ref.id for ref in refs.values() if ref.section.code == section]
        if not in_section:
            raise ApplicationError(
                f"Section « {str(section)[:40]} » inconnue pour cette candidature : indiquez le "
                "code d'une de ses sections.",
                field="section",
                extra={"status": 400},
            )
        chosen.update(in_section)
        section_id = refs[in_section[0]].section.id
    return [proof_id for proof_id in refs if proof_id in chosen], section_id


def _text(value, *, field: str, missing: str, limit: int = TEXT_LIMIT) -> str:
    if value is not None and not isinstance(value, str):
        raise ApplicationError("Indiquez du texte.", field=field, extra={"status": 400})
    text = (value or "").strip()
    if not text:
        raise ApplicationError(missing, field=field, extra={"status": 400})
    if len(text) > limit:
        raise ApplicationError(
            f"Saisissez au plus {limit} caractères (reçu : {len(text)}).",
            field=field,
            extra={"status": 400},
        )
    return text


def missing_items_list(value) -> list[str]:
    """One item per line (a text) or per entry (a list); at least one."""
    lines = value.splitlines() if isinstance(value, str) else list(value or ())
    if not all(isinstance(line, str) for line in lines):
        raise ApplicationError(
            "Les pièces manquantes sont du texte, une par ligne.",
            field="items",
            extra={"status": 400},
        )
    items = [line.strip() for line in lines if line.strip()]
    if not items:
        raise ApplicationError(
            "Indiquez au moins une pièce manquante (une par ligne).",
            field="items",
            extra={"status": 400},
        )
    if len(items) > ITEMS_MAX:
        raise ApplicationError(
            f"Au plus {ITEMS_MAX} pièces par notification (reçu : {len(items)}).",
            field="items",
            extra={"status": 400},
        )
    if too_long := [item for item in items if len(item) > ITEM_LIMIT]:
        raise ApplicationError(
            f"Une pièce se décrit en {ITEM_LIMIT} caractères au plus (« {too_long[0][:40]}… »).",
            field="items",
            extra={"status": 400},
        )
    return items


def missing_items_due(
    application: Application, requested: dt.date | None, *, today: dt.date | None = None
) -> dt.date:
    """The date the missing items must come by, at the latest (R-CLK-5), from the version's
    process settings: at least `missing_items_days` after today (DMN: 10 days, CSS
    R. 165-5-2), or exactly that many when `missing_items_fixed` (TLC: 60 days, CSP
    R. 1470-2), then set by the platform."""
    settings = application.referential_version.process_settings
    today = today or timezone.localdate()
    earliest = today + dt.timedelta(days=settings.missing_items_days)
    if settings.missing_items_fixed:
        if requested is not None and requested != earliest:
            raise ApplicationError(
                f"Le délai est fixé à {settings.missing_items_days} jours (CSP R. 1470-2) : les "
                f"pièces sont à fournir au plus tard le {french_date(earliest)}. Laissez la date "
                "vide, la plateforme la fixe.",
                field="due",
                extra={"status": 400},
            )
        return earliest
    if requested is None:
        raise ApplicationError(
            f"Indiquez la date limite : au moins {settings.missing_items_days} jours après "
            f"aujourd'hui, soit le {french_date(earliest)} au plus tôt.",
            field="due",
            extra={"status": 400},
        )
    if requested < earliest:
        raise ApplicationError(
            f"La date limite du {french_date(requested)} est trop proche : le candidat dispose "
            f"d'au moins {settings.missing_items_days} jours (CSS R. 165-5-2). Choisissez le "
            f"{french_date(earliest)} ou plus tard.",
            field="due",
            extra={"status": 400},
        )
    return requested


def parse_due(value) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ApplicationError(
            "Date limite invalide : format AAAA-MM-JJ attendu.", field="due", extra={"status": 400}
        ) from None


def days_left_text(days: int) -> str:
    if days > 1:
        return f"dans {days} jours"
    if days == 1:
        return "demain"
    if days == 0:
        return "aujourd'hui, dernier jour"
    return f"date dépassée de {-days} jour{'s' if days < -1 else ''}"


# --- files of an exchange ------------------------------------------------------------------


def _attach(uploads, *, by, side: str, request=None, notice=None) -> list[dict]:
    """Every upload kept (streamed, type-checked by files.services.commit) or none; what the
    journal says of them."""
    kept = attach_all(
        uploads or (),
        lambda upload: ExchangeFile.objects.create(
            request=request, notice=notice, side=side, file=commit(upload, by=by)
        ),
    )
    return [
        {"name": f.file.original_name, "sha256": f.file.sha256, "size": f.file.size} for f in kept
    ]


def require_allowed(name: str, application: Application, by) -> None:
    """Who may fire `name` on the application now (its role, its state, its guards), before
    anything else is looked at: a committee member gets 403, not a form error."""
    refused = WORKFLOW.refusal(application, WORKFLOW.get(name), by)
    if refused is not None:
        raise refused


def _clock_note(application: Application) -> str:
    """What the legal clock does now, in the applicant's words (from guichet.deadlines)."""
    from guichet.applications.clock import clock_of

    clock = clock_of(application)
    if clock.paused_reason:
        return clock.paused_reason
    if clock.running and clock.deadline is not None:
        return f"Le délai d'instruction court jusqu'au {french_date(clock.deadline)}."
    return ""


# --- information requests (R-CLK-3) ----------------------------------------------------------


def request_information(
    *, by, application: Application, text: str, proofs=(), section: str | None = None, uploads=()
) -> InformationRequest:
    """An assigned instructor asks the applicant (R-CLK-3): the request is kept and notified."""
    with transaction.atomic():
        transition(
            application,
            "request_information",
            by=by,
            text=text,
            proofs=proofs,
            section=section,
            uploads=uploads,
        )
        return application.information_requests.order_by("-number").first()


@WORKFLOW.effect("request_information")
def _information_requested(
    application: Application, *, by, text="", proofs=(), section=None, uploads=(), **_
) -> dict:
    text = _text(
        text, field="text", missing="Écrivez la demande : ce que le candidat doit préciser."
    )
    proof_ids, section_id = _concerned(application, proofs, section)
    number = (application.information_requests.aggregate(n=Max("number"))["n"] or 0) + 1
    request = InformationRequest.objects.create(
        application=application,
        number=number,
        text=text,
        section_id=section_id,
        created_by=by,
        created_at=timezone.now(),
    )
    request.proofs.set(proof_ids)
    refs = applicable_proofs(application)
    what = f"la section {section} vous est renvoyée" if section else "l'instructeur vous demande"
    concerned = "".join(f"\n- {refs[pk].full_label} : {refs[pk].description}" for pk in proof_ids)
    notify_applicant(
        application,
        f"demande d'information n° {number}",
        f"Dans l'instruction de votre candidature, {what} (demande n° {number}) :\n\n{text}\n"
        + (
            f"\nPreuves à compléter (le dépôt est rouvert pour elles seules jusqu'à votre "
            f"réponse) :{concerned}\n"
            if proof_ids
            else ""
        )
        + (f"\n{note}\n" if (note := _clock_note(application)) else "")
        + "\nRépondez sur la plateforme, depuis la page de la candidature.",
        kind="information_request",
        legal=True,
    )
    files = _attach(uploads, by=by, side=ExchangeFile.Side.AGENCY, request=request)
    return {
        "request": number,
        "proofs": [refs[pk].label for pk in proof_ids],
        "section": section or None,
        "files": files,
    }


def _exchange(queryset, exchange_id, *, noun: str):
    try:
        exchange_id = int(exchange_id)
    except (TypeError, ValueError):
        exchange_id = None
    found = queryset.filter(pk=exchange_id).first() if exchange_id else None
    if found is None:
        raise ApplicationError(f"{noun} introuvable pour cette candidature.", extra={"status": 404})
    if not found.is_open:
        raise ApplicationError(
            f"{noun} a déjà reçu sa réponse : elle ne se modifie plus.", extra={"status": 409}
        )
    return found


def answer_access(*, by, application: Application, request_id) -> InformationRequest:
    """Whether `by` may answer this request now, decided before a body is read."""
    require_allowed("answer_information", application, by)
    return _exchange(
        application.information_requests.all(), request_id, noun="La demande d'information"
    )


@transaction.atomic
def answer_information(
    *, by, application: Application, request_id, text: str, uploads=()
) -> InformationRequest:
    """The applicant answers on the platform (R-CLK-3): a text and files; the files on the
    proofs concerned were deposited as evidence before. With the answer, the dossier returns
    to instruction unless something else is still awaited."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_allowed("answer_information", application, by)
    request = _exchange(
        application.information_requests.select_for_update(),
        request_id,
        noun="La demande d'information",
    )
    request.answer = _text(
        text, field="text", missing="Écrivez votre réponse : ce que vous avez précisé ou déposé."
    )
    request.answered_by, request.answered_at = by, timezone.now()
    request.save(update_fields=["answer", "answered_by", "answered_at"])
    transition(application, "answer_information", by=by, request=request, uploads=uploads)
    return request


@WORKFLOW.effect("answer_information")
def _information_answered(application: Application, *, by, request=None, uploads=(), **_) -> dict:
    if request is None or request.is_open:
        raise ApplicationError(
            "Répondez depuis le formulaire de la demande d'information.", extra={"status": 409}
        )
    files = _attach(uploads, by=by, side=ExchangeFile.Side.APPLICANT, request=request)
    notify_instructors(
        application,
        f"réponse à la demande d'information n° {request.number}",
        f"Le candidat a répondu à la demande d'information n° {request.number} :\n\n"
        f"{request.answer}\n"
        + (f"\nPièces jointes : {', '.join(f['name'] for f in files)}.\n" if files else "")
        + (f"\n{note}\n" if (note := _clock_note(application)) else ""),
    )
    return {"request": request.number, "files": files}


# --- missing items (R-CLK-5) -----------------------------------------------------------------


def request_missing_items(
    *, by, application: Application, items, proofs=(), due=None, uploads=()
) -> MissingItemsNotice:
    """An assigned instructor notifies the list of missing items with their date (R-CLK-5)."""
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=application.pk)
        require_allowed("request_missing_items", application, by)
        items = missing_items_list(items)
        due = missing_items_due(application, parse_due(due))
        transition(
            application,
            "request_missing_items",
            by=by,
            items=items,
            proofs=proofs,
            due=due,  # the log keeps it: the clock reads it (abandonment, R-CLK-5)
            uploads=uploads,
        )
        return application.missing_items_notices.order_by("-created_at", "-id").first()


@WORKFLOW.effect("request_missing_items")
def _missing_items_notified(
    application: Application, *, by, items=(), proofs=(), due=None, uploads=(), **_
) -> dict:
    items = missing_items_list(items)
    due = missing_items_due(application, due)
    proof_ids, _ = _concerned(application, proofs, None)
    notice = MissingItemsNotice.objects.create(
        application=application, items=items, due=due, created_by=by, created_at=timezone.now()
    )
    notice.proofs.set(proof_ids)
    refs = applicable_proofs(application)
    listed = "".join(f"\n- {item}" for item in items)
    concerned = "".join(f"\n- {refs[pk].full_label} : {refs[pk].description}" for pk in proof_ids)
    # A legal notice (CSS R. 165-5-2, CSP R. 1470-2): always sent.
    notify_applicant(
        application,
        "pièces manquantes",
        f"Votre dossier est incomplet. Pièces manquantes :{listed}\n\n"
        f"À fournir sur la plateforme au plus tard le {french_date(due)} ; passé cette date, "
        "la candidature sera réputée abandonnée.\n"
        + (
            f"\nPreuves à compléter (le dépôt est rouvert pour elles seules) :{concerned}\n"
            if proof_ids
            else ""
        )
        + (f"\n{note}\n" if (note := _clock_note(application)) else ""),
        kind="missing_items",
        legal=True,
    )
    files = _attach(uploads, by=by, side=ExchangeFile.Side.AGENCY, notice=notice)
    return {
        "items": items,
        "due": due.isoformat(),
        "proofs": [refs[pk].label for pk in proof_ids],
        "files": files,
    }


def provide_access(*, by, application: Application, notice_id) -> MissingItemsNotice:
    """Whether `by` may send the missing items of this notice now, before a body is read."""
    require_allowed("provide_missing_items", application, by)
    return _exchange(
        application.missing_items_notices.all(), notice_id, noun="La demande de pièces manquantes"
    )


@transaction.atomic
def provide_missing_items(
    *, by, application: Application, notice_id, text: str, uploads=()
) -> MissingItemsNotice:
    """The applicant sends the missing items (R-CLK-5): files on the proofs concerned
    (evidence, deposited before), attachments and a text. DMN: the clock starts again; TLC:
    the 6 months start again from today."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    require_allowed("provide_missing_items", application, by)
    notice = _exchange(
        application.missing_items_notices.select_for_update(),
        notice_id,
        noun="La demande de pièces manquantes",
    )
    notice.answer = _text(
        text, field="text", missing="Indiquez ce que vous envoyez (les pièces et où les trouver)."
    )
    notice.received_by, notice.received_at = by, timezone.now()
    notice.save(update_fields=["answer", "received_by", "received_at"])
    transition(application, "provide_missing_items", by=by, notice=notice, uploads=uploads)
    return notice


@WORKFLOW.effect("provide_missing_items")
def _missing_items_received(application: Application, *, by, notice=None, uploads=(), **_):
    if notice is None or notice.is_open:
        raise ApplicationError(
            "Envoyez les pièces depuis le formulaire de la demande de pièces manquantes.",
            extra={"status": 409},
        )
    files = _attach(uploads, by=by, side=ExchangeFile.Side.APPLICANT, notice=notice)
    notify_instructors(
        application,
        "pièces manquantes reçues",
        f"Le candidat a envoyé les pièces manquantes demandées le "
        f"{french_date(notice.created_at)} :\n\n{notice.answer}\n"
        + (f"\nPièces jointes : {', '.join(f['name'] for f in files)}.\n" if files else "")
        + (f"\n{note}\n" if (note := _clock_note(application)) else ""),
    )
    return {"notice": notice.pk, "files": files}


# --- files added to an open exchange (API) ---------------------------------------------------


def exchange_upload_access(
    *, by, application: Application, request_id=None, notice_id=None
) -> tuple[str, InformationRequest | None, MissingItemsNotice | None]:
    """Who adds files to an open request or notice, decided before the body is read: an
    instructor of the application (the agency's side) or a member of the organisation (the
    applicant's, with the answer to come)."""
    asking, answering = (
        ("request_information", "answer_information")
        if request_id is not None
        else ("request_missing_items", "provide_missing_items")
    )
    if WORKFLOW.get(asking).allowed(by, application):
        side = ExchangeFile.Side.AGENCY
        if application.status not in WAITING_STATES:
            raise ApplicationError(
                f"Rien n'est attendu du candidat quand la candidature est "
                f"« {application.get_status_display()} ».",
                extra={"status": 409},
            )
    elif WORKFLOW.get(answering).allowed(by, application):
        side = ExchangeFile.Side.APPLICANT
        require_allowed(answering, application, by)
    else:
        raise ApplicationError(
            "Seuls les instructeurs de la candidature et les membres de l'organisation "
            "candidate joignent des fichiers à cet échange.",
            extra={"status": 403},
        )
    if request_id is not None:
        found = _exchange(
            application.information_requests.all(), request_id, noun="La demande d'information"
        )
        return side, found, None
    found = _exchange(
        application.missing_items_notices.all(), notice_id, noun="La demande de pièces manquantes"
    )
    return side, None, found


@transaction.atomic
def add_exchange_files(
    *, by, application: Application, uploads, request_id=None, notice_id=None
) -> list[ExchangeFile]:
    application = Application.objects.select_for_update().get(pk=application.pk)
    side, request, notice = exchange_upload_access(
        by=by, application=application, request_id=request_id, notice_id=notice_id
    )
    kept = attach_all(
        uploads,
        lambda upload: ExchangeFile.objects.create(
            request=request, notice=notice, side=side, file=commit(upload, by=by)
        ),
    )
    record(
        action="instruction.exchange_files",
        obj=request or notice,
        by=by,
        application_id=application.pk,
        after={
            "request": request.number if request else None,
            "notice": notice.pk if notice else None,
            "side": side,
            "files": [
                {"name": f.file.original_name, "sha256": f.file.sha256, "size": f.file.size}
                for f in kept
            ],
        },
    )
    return kept


# --- what the core and the evidence ask of this stage ----------------------------------------


@extensions.open_requests
def _still_awaited(application: Application) -> str | None:
    """After an answer: still waiting while missing items are awaited (the state the sweep
    deems abandoned past their date) or another request is open."""
    if application.missing_items_notices.filter(received_at__isnull=True).exists():
        return Status.MISSING_ITEMS
    if application.information_requests.filter(answered_at__isnull=True).exists():
        return Status.INFORMATION_REQUESTED
    return None


@reopening
def _proofs_asked_for(application: Application) -> set[int]:
    """The proofs an open request or notice names reopen for upload while it waits."""
    if application.status not in WAITING_STATES:
        return set()
    requested = InformationRequest.proofs.through.objects.filter(
        informationrequest__application=application,
        informationrequest__answered_at__isnull=True,
    ).values_list("expectedproof_id", flat=True)
    missing = MissingItemsNotice.proofs.through.objects.filter(
        missingitemsnotice__application=application,
        missingitemsnotice__received_at__isnull=True,
    ).values_list("expectedproof_id", flat=True)
    return set(requested) | set(missing)


@extensions.file_source
def exchange_file(application: Application, file_id):
    found = (
        ExchangeFile.objects.filter(
            Q(request__application=application) | Q(notice__application=application),
            file_id=file_id,
        )
        .select_related("file")
        .first()
    )
    return found.file if found is not None else None


# --- reads shared by the pages and the API ---------------------------------------------------


def _files_prefetch():
    return Prefetch(
        "files", queryset=ExchangeFile.objects.select_related("file__uploaded_by").order_by("id")
    )


def information_requests_of(application: Application):
    return application.information_requests.select_related(
        "created_by", "answered_by", "section"
    ).prefetch_related("proofs", _files_prefetch())


def missing_items_notices_of(application: Application):
    return application.missing_items_notices.select_related(
        "created_by", "received_by"
    ).prefetch_related("proofs", _files_prefetch())


def exchanges(application: Application, *, today: dt.date | None = None) -> list:
    """The requests and notices of the application, in the order they were notified, each
    with its proofs (ApplicableProof) and its files by side; a notice with its date in French and
    the days left. A constant number of queries."""
    today = today or timezone.localdate()
    refs = applicable_proofs(application)
    rows = [*information_requests_of(application), *missing_items_notices_of(application)]
    for row in rows:
        row.kind = "request" if isinstance(row, InformationRequest) else "notice"
        row.proof_refs = [refs[p.pk] for p in row.proofs.all() if p.pk in refs]
        files = list(row.files.all())
        row.agency_files = [f for f in files if f.side == ExchangeFile.Side.AGENCY]
        row.applicant_files = [f for f in files if f.side == ExchangeFile.Side.APPLICANT]
        if row.kind == "notice":
            row.due_text = french_date(row.due)
            row.days_left = (row.due - today).days
            row.days_left_text = days_left_text(row.days_left)
    return sorted(rows, key=lambda row: (row.created_at, row.kind, row.pk))
