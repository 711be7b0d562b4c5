"""What each journal action means, in French, for the people who read the journal (issue 14
§2): the auditor's page shows the label beside the code. An action without a label here shows
its code: `tests/journal/test_labels.py` checks that every action the code records has one."""

from __future__ import annotations

ACTIONS = {
    # Accounts and organisations
    "registration.submit": "Demande de compte entreprise",
    "registration.approve": "Demande de compte acceptée",
    "registration.reject": "Demande de compte refusée",
    "organisation.create": "Organisation créée",
    "user.create": "Compte créé",
    "member.invite": "Membre invité",
    "member.remove": "Membre retiré",
    "terms.publish": "CGU publiées",
    "terms.accept": "CGU acceptées",
    "token.issue": "Jeton d'API délivré",
    "token.revoke": "Jeton d'API révoqué",
    "mfa.locked": "Double authentification bloquée (codes erronés)",
    # Referentials
    "referential_version.import": "Version de référentiel importée",
    "referential_version.state": "État d'une version de référentiel changé",
    "pathway.open": "Démarche ouverte ou fermée",
    # Products and applications
    "product.update": "Produit enregistré",
    "application.create": "Candidature créée",
    "application.draft": "Brouillon enregistré",
    "application.version": "Version certifiée mise à jour",
    "application.submit": "Candidature soumise",
    "application.resubmit": "Candidature soumise de nouveau",
    "application.filed_again": "Nouvelle candidature déposée à partir de celle-ci",
    "application.document.copy": "Document repris de la candidature précédente",
    "application.pathologies": "Pathologies revendiquées (lignes génériques)",
    "application.evidence_scope": "Preuves demandées pour la nouvelle version du référentiel",
    # Admissibility
    "admissibility.verdict": "Avis de recevabilité",
    "admissibility.admissible": "Candidature recevable",
    "admissibility.not_admissible": "Candidature non recevable",
    "admissibility.to_fix": "Éléments à corriger demandés",
    # Convention
    "convention.draft": "Convention préparée",
    "convention.send": "Convention envoyée pour signature",
    "convention.sign": "Convention signée",
    "convention.seal": "Convention scellée par l'agence",
    "convention.terminate": "Convention résiliée",
    # Evidence
    "evidence.add": "Preuve déposée",
    "evidence.submit_section": "Section de preuves soumise",
    "evidence.complete": "Dossier de preuves complet",
    "evidence.complete_partially": "Dossier complet sur les sections du certificat exceptionnel",
    "evidence.acknowledgment": "Accusé de réception délivré",
    # Files
    "file.verification": "Vérification d'intégrité des fichiers",
    "file.integrity_failure": "Fichier altéré détecté",
    "file.purge": "Purge des restes de dépôts interrompus",
    # Instruction
    "instruction.assign": "Candidature attribuée",
    "instruction.reassign": "Candidature réattribuée",
    "instruction.verdicts": "Avis sur les preuves",
    "instruction.request": "Demande d'information",
    "instruction.answer": "Réponse à une demande d'information",
    "instruction.reminder": "Relance",
    "instruction.exchange_files": "Fichiers joints à un échange",
    "instruction.missing": "Pièces manquantes demandées",
    "instruction.received": "Pièces manquantes reçues",
    "instruction.abandoned": "Demande réputée abandonnée",
    "instruction.reopen": "Instruction reprise",
    "instruction.finish": "Instruction terminée",
    "instruction.ins_result": "Résultat d'un scénario INS",
    "instruction.ins_test_day.confirm": "Journée de tests INS confirmée par l'agence",
    "instruction.ins_test_day.agency_propose": "Autre date de journée de tests INS proposée",
    "instruction.ins_test_day.accept": "Date de journée de tests INS acceptée",
    "instruction.ins_test_day.attendance": "Participants de la journée de tests INS",
    "instruction.inactive": "Candidature sans évolution depuis 6 mois",
    "instruction.archivable": "Candidature archivable",
    "instruction.archive": "Candidature archivée",
    "instruction.silent_acceptance": "Acceptation tacite",
    # Collège technique
    "committee.session_create": "Séance du collège prévue",
    "committee.sessions_generate": "Séances du collège générées",
    "committee.members_add": "Membres ajoutés à une séance",
    "committee.member_remove": "Membre retiré d'une séance",
    "committee.presence": "Présence enregistrée",
    "committee.agenda_add": "Dossier inscrit à l'ordre du jour",
    "committee.agenda_move": "Dossier reporté au collège suivant",
    "committee.decision_record": "Décision enregistrée",
    "committee.grant": "Certification attribuée",
    "committee.grant_with_reservations": "Certification attribuée sous réserve",
    "committee.grant_exceptional": "Certificat exceptionnel attribué",
    "committee.refuse": "Certification refusée",
    "committee.letter": "Lettre de décision scellée",
    # Messages
    "messaging.message": "Message",
    "messaging.note": "Note interne",
    # Certificates
    "certificate.issue": "Certificat délivré",
    "certificate.appeal": "Certificat révisé sur recours",
    "certificate.pdf": "PDF du certificat scellé",
    "certificate.suspend": "Certificat suspendu",
    "certificate.reinstate": "Suspension levée",
    "certificate.withdraw": "Certificat retiré",
    "certificate.schedule_withdrawal": "Retrait notifié (effet différé)",
    "certificate.cancel_withdrawal": "Retrait notifié annulé",
    "certificate.cancel_stop_renewal": "Non-reconduction annulée",
    "certificate.term_reminder": "Rappel de la fin de la période de validité",
    "certificate.formal_notice_answer": "Réponse du titulaire à une mise en demeure",
    "certificate.expire": "Certificat expiré",
    "certificate.renew": "Certificat reconduit tacitement",
    "certificate.stop_renewal": "Non-reconduction notifiée",
    "certificate.update_version": "Version certifiée mise à jour",
    "certificate.lift_reservations": "Réserves levées",
    "certificate.lift_reservation": "Réserve levée",
    "certificate.fail_reservation": "Réserve constatée non levée",
    "certificate.formal_notice": "Mise en demeure",
    "certificate.formal_notice_close": "Mise en demeure close",
    "certificate.control": "Contrôle enregistré",
    "certificate.strike_off_request": "Radiation LPPR / LATM demandée",
    "certificate.approval_filed": "Demande d'agrément déposée",
    "certificate.step": "Étape après le certificat déclarée",
    "certificate.minister_notice": "Ministres informés de la fin du certificat (avis scellé)",
    "certificate.finess": "Numéro FINESS enregistré",
    "certificate.finess_correct": "Numéro FINESS corrigé",
    "certificate.new_version": "Nouvelle version du référentiel notifiée",
    "certificate.exceptional_commitment": "Engagement de mise en conformité (certificat exceptionnel)",
    # The journal itself
    "journal.checkpoint": "Point de contrôle du journal",
}


def action_label(code: str) -> str:
    """The French label of a journal action; an unknown one (a test's), its code."""
    if code in ACTIONS:
        return ACTIONS[code]
    return code
