"""The holder's side of a formal notice (R-CRT-5, issue 22 §2): what it is asked and by when,
and its answers on the platform — a text and files, as an information request's answer — sent
to the agency, journaled. Several answers may follow one another while the notice is open: the
agency closes it (fixed or not) or withdraws the certificate.

CSP R. 1470-9 I: the agency « met en demeure le titulaire du certificat de conformité de prendre
des mesures correctrices ou de présenter ses observations sur les non-conformités relevées dans
un délai qu'il fixe, et qui ne peut excéder six mois »; convention art. 15 (fraud): « après avoir
mis l'Exploitant en demeure de présenter ses observations dans un délai raisonnable »."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.urls import reverse

from guichet.applications import extensions
from guichet.applications.clock import legal_today
from guichet.applications.notifications import notify_instructors
from guichet.certificates.models import (
    Certificate,
    FormalNotice,
    FormalNoticeAnswer,
    FormalNoticeAnswerFile,
    NoticeKind,
)
from guichet.certificates.workflow import LIVE
from guichet.common.errors import ApplicationError
from guichet.common.links import absolute_reverse
from guichet.deadlines import french_date
from guichet.files.services import attach_all, commit
from guichet.journal.services import record

TEXT_LIMIT = 20_000


def _refused(message: str, status: int, field: str | None = None) -> ApplicationError:
    return ApplicationError(message, field=field, extra={"status": status})


# --- what the holder is asked -------------------------------------------------------------


def asked(notice: FormalNotice) -> str:
    """What the notice asks, in the holder's words (the one sentence the pages, the API and
    the application page's next step say)."""
    if notice.kind == NoticeKind.FRAUD:
        return "Présentez vos observations sur les faits relevés"
    return (
        "Prenez les mesures correctrices, ou présentez vos observations, sur les "
        "non-conformités relevées"
    )


def what_to_do(notice: FormalNotice, *, today=None) -> str:
    """« Prenez les mesures correctrices … au plus tard le 1er septembre 2027 : répondez sur
    la plateforme … » — or, once its deadline has passed, that the agency decides."""
    if notice.closed_on:
        return ""
    today = today or legal_today()
    deadline = french_date(notice.deadline)
    if notice.deadline < today:
        return (
            f"L'échéance du {deadline} est passée : l'agence décide de la suite (clôture de "
            "la mise en demeure, ou retrait du certificat). Vous pouvez encore lui répondre ici "
            "tant qu'elle n'a pas statué."
        )
    return (
        f"{asked(notice)} au plus tard le {deadline} : répondez sur la plateforme, avec un "
        "texte et, s'il le faut, des pièces jointes ; l'agence en est informée. À défaut, le "
        "certificat peut être retiré et la convention résiliée."
    )


def notices_of(certificate: Certificate) -> list[FormalNotice]:
    """The certificate's formal notices, newest first, each with its answers and their files
    (three queries whatever their number)."""
    answers = FormalNoticeAnswer.objects.select_related("by").prefetch_related(
        Prefetch("files", queryset=FormalNoticeAnswerFile.objects.select_related("file"))
    )
    return list(
        certificate.formal_notices.prefetch_related(Prefetch("answers", queryset=answers)).order_by(
            "-issued_on", "-pk"
        )
    )


# --- who may answer, and the answer ---------------------------------------------------------


def answer_refusal(
    certificate: Certificate, notice: FormalNotice | None, user
) -> ApplicationError | None:
    """Why `user` may not answer `notice` now, or None: a member of the holding organisation,
    on an open notice of a live certificate (R-ACT-1)."""
    if (
        user is None
        or not user.is_active
        or user.is_agency
        or user.organisation_id != certificate.organisation_id
    ):
        return _refused(
            "Répondre à une mise en demeure revient à l'organisation titulaire du certificat.", 403
        )
    if notice is None or notice.certificate_id != certificate.pk:
        return _refused("Cette mise en demeure n'existe pas sur ce certificat.", 404, "notice")
    if notice.closed_on:
        return _refused(
            f"La mise en demeure du {french_date(notice.issued_on)} est close depuis le "
            f"{french_date(notice.closed_on)} : elle n'attend plus de réponse.",
            409,
        )
    if certificate.status not in LIVE:
        return _refused(
            f"Le certificat est « {certificate.get_status_display().lower()} » : la mise en "
            "demeure n'attend plus de réponse.",
            409,
        )
    return None


def _notice(certificate: Certificate, notice_id, *, lock: bool = False) -> FormalNotice | None:
    try:
        notice_id = int(notice_id)
    except (TypeError, ValueError):
        return None
    rows = FormalNotice.objects.filter(certificate=certificate)
    if lock:
        rows = rows.select_for_update()
    return rows.filter(pk=notice_id).first()


def answer_access(*, by, certificate: Certificate, notice_id) -> FormalNotice:
    """Whether `by` may answer this notice now, decided before a body is read."""
    notice = _notice(certificate, notice_id)
    refusal = answer_refusal(certificate, notice, by)
    if refusal is not None:
        raise refusal
    return notice


@transaction.atomic
def answer_formal_notice(
    *, by, certificate: Certificate, notice_id, text: str, uploads=()
) -> FormalNoticeAnswer:
    """The holder answers a formal notice (a text, files): kept, journaled, and the agency
    told. Every file is kept or none (files.services.attach_all)."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    notice = _notice(certificate, notice_id, lock=True)
    refusal = answer_refusal(certificate, notice, by)
    if refusal is not None:
        raise refusal
    text = (text or "").strip()
    if not text:
        raise _refused(
            "Écrivez votre réponse : les mesures prises ou vos observations.", 400, "text"
        )
    if len(text) > TEXT_LIMIT:
        raise _refused(f"Votre réponse compte au plus {TEXT_LIMIT} caractères.", 400, "text")
    today = legal_today()
    answer = FormalNoticeAnswer.objects.create(notice=notice, text=text, answered_on=today, by=by)
    kept = attach_all(
        uploads or (),
        lambda upload: FormalNoticeAnswerFile.objects.create(
            answer=answer, file=commit(upload, by=by, produced_on=today)
        ),
    )
    files = [
        {"name": f.file.original_name, "sha256": f.file.sha256, "size": f.file.size} for f in kept
    ]
    number = notice.answers.count()
    record(
        action="certificate.formal_notice_answer",
        obj=certificate,
        by=by,
        application_id=certificate.application_id,
        after={
            "number": certificate.number,
            "notice": notice.pk,
            "answer": answer.pk,
            "answered_on": today.isoformat(),
            "files": files,
        },
    )
    link = absolute_reverse("certificates:agency-detail", certificate.number)
    ordinal = "1re" if number == 1 else f"{number}e"
    notify_instructors(
        certificate.application,
        f"réponse à la mise en demeure du certificat {certificate.number}",
        f"Le titulaire du certificat {certificate.number} ({certificate.product_name}) répond "
        f"le {french_date(today)} à la mise en demeure du {french_date(notice.issued_on)} "
        f"(échéance le {french_date(notice.deadline)}) :\n\n{text}\n"
        + (f"\nPièces jointes : {', '.join(f['name'] for f in files)}.\n" if files else "")
        + f"\nC'est sa {ordinal} réponse ; la mise en demeure reste en cours jusqu'à ce que "
        f"l'agence la close ou retire le certificat : {link}",
        kind="work",
    )
    return answer


# --- on the application page ----------------------------------------------------------------


@extensions.todo
def notice_todo(application, user) -> list[dict]:
    """The holder's next step while a formal notice is open on the application's certificate:
    answer it, by its deadline (the application page no longer says nothing is expected)."""
    if user.is_agency or user.organisation_id != application.organisation_id:
        return []
    notices = FormalNotice.objects.filter(
        certificate__application=application,
        certificate__status__in=LIVE,
        closed_on__isnull=True,
    ).select_related("certificate")
    today = legal_today()
    return [
        {
            "text": f"Mise en demeure du {french_date(n.issued_on)} sur le certificat "
            f"{n.certificate.number} : {what_to_do(n, today=today)}",
            "url": reverse("certificates:manage", args=[n.certificate.number])
            + f"#mise-en-demeure-{n.pk}",
        }
        for n in notices.order_by("issued_on", "pk")
    ]


@extensions.file_source
def answer_file(application, file_id):
    """A file joined to an answer to a formal notice, served by applications:file to the
    holder and the agency."""
    rows = FormalNoticeAnswerFile.objects.filter(
        answer__notice__certificate__application=application
    )
    return extensions.referenced_file(rows, "file", file_id)
