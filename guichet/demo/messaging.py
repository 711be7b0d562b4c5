"""Demo threads (issue 12 §4): an exchange between the applicant and its instructor, an agency
note the applicant never sees, and a message the Responsable habilité has not read yet. Posted
through the services on the day they would have been written. Idempotent."""

from __future__ import annotations

from django.db import transaction

from guichet.accounts.models import User
from guichet.applications.models import Application
from guichet.demo.instruction import days_ago
from guichet.messaging.models import Message
from guichet.messaging.services import mark_read, post_message


@transaction.atomic
def ensure_demo_messages() -> list[str]:
    application = Application.objects.filter(product__name="OxyDom").first()
    if application is None or Message.objects.filter(application=application).exists():
        return []
    responsible = User.objects.get(email="responsable@telesante-demo.fr")
    instructor = User.objects.get(email="instructeur@guichet.local")
    with days_ago(15):
        post_message(
            by=responsible,
            application=application,
            body="Bonjour, notre hébergeur change en mars : faut-il redéposer le certificat HDS "
            "dès maintenant ou à la fin de l'instruction ?",
        )
    with days_ago(14):
        mark_read(by=instructor, application=application)
        post_message(
            by=instructor,
            application=application,
            body="Bonjour, déposez-le dès qu'il est émis : je vous rouvrirai la preuve "
            "concernée par une demande d'information.",
        )
        post_message(
            by=instructor,
            application=application,
            body="À vérifier avec le collège : le nouvel hébergeur est-il bien certifié pour "
            "l'activité 5 (administration et exploitation) ?",
            internal=True,
        )
    with days_ago(13):
        mark_read(by=responsible, application=application)
    with days_ago(2):
        post_message(
            by=instructor,
            application=application,
            body="Les captures d'écran de la section « Sécurité » sont illisibles : pouvez-vous "
            "les préparer en meilleure résolution ? Une demande d'information suivra.",
        )
    return [f"{application.reference} : fil de messages (1 message non lu, 1 note interne)"]
