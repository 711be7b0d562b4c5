"""The OpenAPI schema of /api/v1/ says what each endpoint answers, its errors included: every
status an operation can answer is documented, errors as application/problem+json, in French."""

from drf_spectacular.authentication import SessionScheme as SpectacularSessionScheme
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

from guichet.common.api import PROBLEM_CONTENT_TYPE, FileResponseNegotiation


class ProblemSerializer(serializers.Serializer):
    # RFC 9457; other members may follow (e.g. `missing` when a submission is incomplete).
    type = serializers.CharField(help_text="« about:blank » : le statut HTTP dit la nature.")
    title = serializers.CharField(help_text="Intitulé du statut HTTP, en français.")
    status = serializers.IntegerField(help_text="Statut HTTP de la réponse.")
    detail = serializers.CharField(
        help_text="Ce qui ne va pas et ce qu'il faut faire, en français."
    )
    errors = serializers.DictField(
        required=False,
        help_text="Requête invalide : les messages par champ (`form.contact_phone`, `modules.0`…).",
    )


PROBLEM_DESCRIPTIONS = {
    400: "Requête invalide : corps illisible, champ manquant ou de mauvais type, paramètre hors "
    "limites ou refus d'une règle ; `errors` donne les messages par champ.",
    401: "Authentification absente, ou jeton d'API invalide, révoqué ou expiré.",
    403: "Le compte n'a pas accès à cette action : rôle, jeton CSRF d'une session, double "
    "authentification ou conditions générales d'utilisation à accepter.",
    404: "Introuvable : l'objet n'existe pas, ou appartient à une autre organisation.",
    406: "L'en-tête Accept ne demande pas de JSON.",
    409: "Refusé dans l'état présent de la candidature ou du fichier : `detail` dit pourquoi.",
    413: "Corps de requête ou fichier trop volumineux.",
    415: "Type de contenu (Content-Type) non accepté.",
    429: "Trop de requêtes : réessayez plus tard (en-tête Retry-After).",
}

SUCCESS_DESCRIPTIONS = {
    "200": "Réussite.",
    "201": "Créé.",
    "204": "Fait ; la réponse n'a pas de corps.",
}

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
BODY_METHODS = {"POST", "PUT", "PATCH"}


def problems(*codes: int) -> dict:
    """For `@extend_schema(responses={...})`: statuses an operation answers besides those the
    schema deduces (e.g. 409 for a file that no longer matches its deposit)."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemSerializer, description=PROBLEM_DESCRIPTIONS[code]
        )
        for code in codes
    }


class AutoSchema(SpectacularAutoSchema):
    def get_description(self):
        # View docstrings are written for developers, in English: the schema's descriptions are
        # the French ones given with @extend_schema.
        return ""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, response in responses.items():
            if code in SUCCESS_DESCRIPTIONS and response.get("description") in (
                "",
                "No response body",
            ):
                response["description"] = SUCCESS_DESCRIPTIONS[code]
        if direction == "response":
            problem = self.resolve_serializer(ProblemSerializer, "response").ref
            for code in sorted(self._problem_statuses()):
                responses.setdefault(
                    str(code),
                    {
                        "description": PROBLEM_DESCRIPTIONS[code],
                        "content": {PROBLEM_CONTENT_TYPE: {"schema": problem}},
                    },
                )
        return responses

    def _problem_statuses(self) -> set[int]:
        """What any operation of this shape can answer, whatever its view does."""
        codes = {403}  # the account gate (second factor, terms) applies to every signed-in call
        view = self.view
        if view.get_authenticators():
            codes.add(401)  # a wrong `Authorization` header, even on a public endpoint
        if self.method in BODY_METHODS:
            codes |= {400, 413, 415}
        elif self.method in UNSAFE_METHODS:
            codes.add(400)
        if self.method in UNSAFE_METHODS:
            codes.add(409)
        if any(parameter["in"] == "query" for parameter in self._get_parameters()):
            codes.add(400)
        if "{" in self.path or self._is_paginated():
            codes.add(404)
        if not isinstance(view, FileResponseNegotiation):
            codes.add(406)
        if view.get_throttles():
            codes.add(429)
        return codes

    def _is_paginated(self) -> bool:
        return self.method == "GET" and self._is_list_view() and self._get_paginator() is not None


class SessionScheme(SpectacularSessionScheme):
    target_class = "guichet.common.api.SessionAuthentication"
