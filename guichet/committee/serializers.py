"""Shapes of the collège's API: input serializers check the shape, the services the rules."""

from __future__ import annotations

from rest_framework import serializers

from guichet.committee import selectors, services
from guichet.committee.models import Body, Decision, Ground, Outcome, SessionStatus
from guichet.committee.selectors import PARTNERS
from guichet.common.api import StrictBooleanField, StrictCharField, StrictIntegerField

# --- input -------------------------------------------------------------------------------------


class SessionMemberInputSerializer(serializers.Serializer):
    user = StrictIntegerField(
        required=False, help_text="Un agent de l'agence : l'identifiant de son compte."
    )
    name = StrictCharField(
        required=False, max_length=255, help_text="Un partenaire : son nom (sans compte)."
    )
    body = serializers.ChoiceField(
        choices=[(b.value, b.label) for b in PARTNERS],
        required=False,
        help_text="Un partenaire : son organisme (cnda, sesam_vitale, cnam, has).",
        error_messages={
            "invalid_choice": "Organisme inconnu « {input} » : cnda, sesam_vitale, cnam ou has."
        },
    )

    def validate(self, attrs):
        if ("user" in attrs) == ("name" in attrs or "body" in attrs):
            raise serializers.ValidationError(
                "Un membre est soit un agent (`user`), soit un partenaire (`name` et `body`)."
            )
        if "user" not in attrs and not ("name" in attrs and "body" in attrs):
            raise serializers.ValidationError("Un partenaire se donne par `name` et `body`.")
        return attrs


class SessionInputSerializer(serializers.Serializer):
    date = serializers.DateField(
        help_text="Date de la séance (AAAA-MM-JJ), à partir d'aujourd'hui."
    )
    members = SessionMemberInputSerializer(many=True, required=False, default=list, max_length=100)
    notes = StrictCharField(required=False, allow_blank=True, default="", max_length=5000)


class CommitteeDecisionInputSerializer(serializers.Serializer):
    application = StrictIntegerField(help_text="Identifiant de la candidature à l'ordre du jour.")
    outcome = serializers.ChoiceField(
        choices=Outcome.choices,
        help_text="granted | granted_with_reservations (TLC) | refused | exceptional (TLC, "
        "certificat exceptionnel pendant sa période)",
        error_messages={
            "invalid_choice": "Décision inconnue « {input} » : granted, "
            "granted_with_reservations, refused ou exceptional."
        },
    )
    reasons = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=services.REASONS_MAX_LENGTH,
        help_text="Motifs ; obligatoires pour un refus.",
    )
    reservations = serializers.ListField(
        child=StrictCharField(max_length=services.RESERVATION_MAX_LENGTH),
        required=False,
        default=list,
        max_length=services.MAX_RESERVATIONS,
        help_text="Les réserves d'une attribution sous réserve (TLC), une par élément.",
    )
    votes_for = StrictIntegerField(required=False, default=0, min_value=0, max_value=1000)
    votes_against = StrictIntegerField(required=False, default=0, min_value=0, max_value=1000)
    abstentions = StrictIntegerField(required=False, default=0, min_value=0, max_value=1000)
    members_present = serializers.ListField(
        child=StrictIntegerField(),
        required=False,
        allow_null=True,
        default=None,
        max_length=100,
        help_text="Identifiants des membres de la séance présents ; par défaut ceux marqués "
        "présents.",
    )
    sign_off = StrictBooleanField(
        required=False,
        default=False,
        help_text="true : arrêter la décision aussitôt (définitif ; la séance doit avoir eu lieu).",
    )


# --- output ------------------------------------------------------------------------------------


class SessionMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    body = serializers.ChoiceField(choices=Body.choices)
    user = serializers.IntegerField(allow_null=True, help_text="Le compte d'un agent, sinon null.")
    present = serializers.BooleanField()


class SessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    status = serializers.ChoiceField(choices=SessionStatus.choices)
    notes = serializers.CharField(allow_blank=True)
    members = SessionMemberSerializer(many=True)
    agenda_count = serializers.IntegerField(help_text="Dossiers à l'ordre du jour (non reportés).")
    decision_count = serializers.IntegerField(help_text="Décisions arrêtées en séance.")


class VerdictsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    conforme = serializers.IntegerField()
    non_conforme = serializers.IntegerField()
    a_preciser = serializers.IntegerField()
    missing = serializers.IntegerField(help_text="Preuves sans avis.")


class CommitteeDecisionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField()
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    outcome_label = serializers.CharField()
    ground = serializers.ChoiceField(
        choices=Ground.choices,
        help_text="instruction | silent_acceptance (R-CLK-7) | appeal (sur recours)",
    )
    ground_label = serializers.CharField()
    reasons = serializers.CharField(allow_blank=True)
    reservations = serializers.ListField(child=serializers.CharField())
    decided_on = serializers.DateField(help_text="Date de la décision.")
    session = serializers.DateField(
        allow_null=True, help_text="Date de la séance, s'il y en a une."
    )
    previous = serializers.IntegerField(
        allow_null=True, help_text="La décision qu'elle suit (sur recours)."
    )
    signed_off_at = serializers.DateTimeField(
        allow_null=True, help_text="Arrêtée le ; null tant qu'elle ne l'est pas."
    )
    letter = serializers.BooleanField(help_text="La lettre de décision scellée est prête.")
    appeal_routes = serializers.BooleanField(
        help_text="La lettre indique les voies et délais de recours (TLC)."
    )
    votes_for = serializers.IntegerField(
        allow_null=True, help_text="Voix pour ; null pour le candidat (de même pour le vote)."
    )
    votes_against = serializers.IntegerField(allow_null=True)
    abstentions = serializers.IntegerField(allow_null=True)
    members_present = serializers.ListField(
        child=serializers.CharField(),
        allow_null=True,
        help_text="Pour l'agence ; null pour le candidat.",
    )
    certificate = serializers.CharField(
        allow_null=True,
        help_text="Le numéro du certificat de conformité délivré sur cette décision (null "
        "sinon) ; sa vérification publique : /api/v1/certificates/{numéro}.",
    )


class AgendaRowSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    reference = serializers.CharField()
    product = serializers.CharField()
    company = serializers.CharField()
    referential = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(help_text="« Acceptée tacitement » après un silence.")
    position = serializers.IntegerField()
    complete_at = serializers.DateTimeField(allow_null=True)
    moved_to = serializers.DateField(allow_null=True, help_text="Reporté à la séance de ce jour.")
    moved_reason = serializers.CharField(allow_blank=True)
    verdicts = VerdictsSerializer()
    deadline = serializers.DateField(allow_null=True)
    days_left = serializers.IntegerField(allow_null=True)
    convention_signed = serializers.BooleanField(allow_null=True, help_text="null : aucune.")
    decision = CommitteeDecisionSerializer(allow_null=True)
    outcomes = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text="Chaque décision possible de la version, avec pourquoi elle ne l'est pas "
        "encore (vide : possible).",
    )


class SessionDetailSerializer(SessionSerializer):
    agenda = AgendaRowSerializer(many=True)
    warnings = serializers.ListField(child=serializers.CharField())


def _certificate_number(decision: Decision) -> str | None:
    """Read from the list's query when it annotated it (selectors.with_certificate_number)."""
    if decision.outcome not in selectors.ISSUES_CERTIFICATE:
        return None
    if hasattr(decision, "certificate_number"):
        return decision.certificate_number
    return (
        selectors.with_certificate_number(Decision.objects.filter(pk=decision.pk))
        .values_list("certificate_number", flat=True)
        .first()
    )


def decision_data(decision: Decision, *, agency: bool) -> dict:
    settings = decision.application.referential_version.process_settings
    return {
        "id": decision.pk,
        "application": decision.application_id,
        "outcome": decision.outcome,
        "outcome_label": decision.get_outcome_display(),
        "ground": decision.ground,
        "ground_label": decision.get_ground_display(),
        "reasons": decision.reasons,
        "reservations": decision.reservations,
        "decided_on": decision.decided_on,
        "session": decision.session.date if decision.session_id else None,
        "previous": decision.previous_id,
        "signed_off_at": decision.signed_off_at,
        "letter": decision.letter_id is not None,
        "appeal_routes": settings.appeal_routes_in_letter,
        "votes_for": decision.votes_for if agency else None,
        "votes_against": decision.votes_against if agency else None,
        "abstentions": decision.abstentions if agency else None,
        "members_present": [m["name"] for m in decision.members_present] if agency else None,
        "certificate": _certificate_number(decision),
    }
