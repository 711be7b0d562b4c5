"""API plumbing shared by every app: authentication, parsing, pagination and RFC 9457
problem+json errors, every one with a French detail that says what to do."""

import codecs
import datetime as dt
import json

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import (
    authentication,
    exceptions,
    negotiation,
    parsers,
    renderers,
    serializers,
    status,
)
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.utils import encoders
from rest_framework.utils import json as drf_json

from guichet.common.errors import ApplicationError, raised_by_guichet

PROBLEM_CONTENT_TYPE = "application/problem+json"
NOT_FOUND_DETAIL = (
    "Ressource introuvable : vérifiez l'adresse et les identifiants qu'elle contient "
    "(la liste des adresses est dans /api/v1/docs/)."
)

TITLES = {
    400: "Requête invalide",
    401: "Authentification requise",
    403: "Accès refusé",
    404: "Introuvable",
    405: "Méthode non autorisée",
    406: "Format non acceptable",
    409: "Conflit",
    413: "Contenu trop volumineux",
    415: "Type de contenu non pris en charge",
    429: "Trop de requêtes",
    500: "Erreur interne",
}


class FileResponseNegotiation:
    """For API views that answer a file or a stream: `?format=` is theirs, not DRF's renderer
    choice, and their errors still come as JSON problems."""

    def perform_content_negotiation(self, request, force=False):
        return (JSONRenderer(), JSONRenderer.media_type)


NUL_REFUSED = "Le caractère NUL (U+0000) n'est accepté dans aucun texte : retirez-le."


def _nul_location(data) -> str | None:
    """Where the first text holding a NUL character is (« contact_name », « 0.name »)."""
    stack = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return where or "."
        elif isinstance(value, dict | list):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str) and "\x00" in key:
                    return where or "."
                stack.append((f"{where}.{key}" if where else str(key), item))
    return None


class UnreadableBody(exceptions.ParseError):
    """A parse error whose French detail is ours (DRF's parsers speak English)."""


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def _body_limit_detail() -> str:
    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE).replace("\xa0", " ")
    return (
        f"Le corps de la requête dépasse {limit} : envoyez moins de données à la fois "
        "(les fichiers se déposent en multipart/form-data sur les adresses de dépôt)."
    )


class JSONParser(parsers.JSONParser):
    """DRF's parser reads the whole body whatever its size: the same limit as Django's forms
    (DATA_UPLOAD_MAX_MEMORY_SIZE) applies here, read no further than it."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        raw = stream.read(limit + 1) if limit is not None else stream.read()
        if limit is not None and len(raw) > limit:
            raise PayloadTooLarge(_body_limit_detail())
        encoding = parsers.get_encoding(parser_context or {})
        try:
            text = codecs.decode(raw, encoding)
            return json.loads(text, parse_constant=drf_json.strict_constant)
        except (UnicodeDecodeError, LookupError):
            raise UnreadableBody(
                _("Le corps de la requête n'est pas encodé en UTF-8 : envoyez du JSON en UTF-8.")
            ) from None
        except RecursionError:
            # '[' * 1000 exhausts the parser's stack: no payload of ours nests that deep.
            raise UnreadableBody(
                _(
                    "Le corps de la requête est un JSON trop profondément imbriqué : aucune "
                    "donnée de l'API ne compte plus de quelques niveaux de tableaux et d'objets."
                )
            ) from None
        except ValueError as exc:
            position = ""
            if isinstance(exc, json.JSONDecodeError):
                position = _(" (ligne %(line)s, colonne %(column)s)") % {
                    "line": exc.lineno,
                    "column": exc.colno,
                }
            raise UnreadableBody(
                _(
                    "Le corps de la requête n'est pas un JSON valide%(position)s : vérifiez sa "
                    "syntaxe (guillemets doubles, virgules, accolades) et renvoyez-le."
                )
                % {"position": position}
            ) from None


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF answers a missing CSRF token in English: the same check, a French answer."""

    def enforce_csrf(self, request):
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied:
            raise exceptions.PermissionDenied(
                _(
                    "Jeton CSRF absent ou invalide : un appel authentifié par la session du site "
                    "envoie le jeton CSRF (en-tête X-CSRFToken, valeur du cookie csrftoken). Un "
                    "client de l'API s'authentifie plutôt par jeton (en-tête « Authorization: "
                    "Token … »)."
                )
            ) from None


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    page_query_description = "Numéro de la page, à partir de 1."
    page_size_query_description = (
        "Nombre de résultats par page : un entier de 1 à 500 (50 par défaut ; une valeur "
        "supérieure à 500 donne 500). Une autre valeur est refusée (400)."
    )
    invalid_page_message = (
        "Page « {page_number} » introuvable ({message}) : les pages sont numérotées à partir de "
        "1, jusqu'au nombre de résultats divisé par la taille de page."
    )
    last_page_strings = ()  # the schema says a number: « last » is refused like any word

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1  # below, a 400 (issue 20 §1)
        return parameters

    def get_page_number(self, request, paginator):
        """A page number that is not a whole number from 1 is refused (400); one past the
        last page is not found (404)."""
        raw = request.query_params.get(self.page_query_param)
        if raw is None:
            return 1
        if not (raw.isascii() and raw.isdigit()) or not raw.strip("0"):
            raise exceptions.ValidationError(
                {
                    self.page_query_param: [
                        f"Indiquez un numéro de page entier à partir de 1 (reçu : « {raw[:40]} »)."
                    ]
                }
            )
        return raw

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "nullable": True, "format": "uri"}
        return {
            "type": "object",
            "required": ["count", "next", "previous", "results"],
            "properties": {
                "count": {"type": "integer", "description": "Nombre total de résultats."},
                "next": {**link, "description": "Adresse de la page suivante, s'il y en a une."},
                "previous": {**link, "description": "Adresse de la page précédente."},
                "results": {**schema, "description": "Les résultats de cette page."},
            },
        }

    def get_page_size(self, request):
        """A page size that is not a whole number from 1 is refused, not silently replaced."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        f"Indiquez un nombre entier de 1 à {self.max_page_size} (reçu : « {raw[:40]} »)."
                    ]
                }
            )
        return min(size, self.max_page_size)


def refuse_empty_filters(params, names) -> None:
    """A filter sent empty (`?status=`) is refused (400), not read as no filter: the client's
    value went missing on its way, and a whole list would hide it (issue 20 §1). The schema
    says so (guichet.common.openapi.truthful_inputs)."""
    empty = [name for name in names if any(not v.strip() for v in params.getlist(name))]
    if empty:
        raise exceptions.ValidationError(
            {
                name: [f"Valeur vide : indiquez-en une, ou omettez « {name} » pour ne pas filtrer."]
                for name in empty
            }
        )


def problem(status_code: int, detail: str, **extra) -> dict:
    body = {
        "type": "about:blank",
        "title": TITLES.get(status_code, "Erreur"),
        "status": status_code,
        "detail": detail,
    }
    body.update(extra)
    return body


def problem_response(status_code: int, detail: str, **extra) -> Response:
    return Response(
        problem(status_code, detail, **extra), status=status_code, content_type=PROBLEM_CONTENT_TYPE
    )


def _first_message(errors) -> str:
    if isinstance(errors, dict):
        for value in errors.values():
            return _first_message(value)
    if isinstance(errors, list) and errors:
        return _first_message(errors[0])
    return str(errors)


def _media_types(classes) -> str:
    return ", ".join(sorted({c.media_type for c in classes})) or "application/json"


def _french_detail(exc: exceptions.APIException, context) -> str:
    """DRF's own errors speak English, or a translation that does not say what to do: each
    gets its French detail here. Errors raised by our code already carry theirs."""
    view, request = context.get("view"), context.get("request")
    if isinstance(exc, exceptions.ParseError) and not isinstance(exc, UnreadableBody):
        return _(
            "Le corps de la requête est illisible : vérifiez qu'il correspond à son en-tête "
            "Content-Type et renvoyez-le."
        )
    if isinstance(exc, exceptions.NotAuthenticated):
        return _(
            "Authentification requise : envoyez l'en-tête « Authorization: Token <jeton> » "
            "(jeton obtenu par POST /api/v1/auth/token) ou connectez-vous sur le site."
        )
    if isinstance(exc, exceptions.AuthenticationFailed):
        return _(
            "Jeton d'API invalide, révoqué ou d'un compte désactivé : obtenez-en un nouveau par "
            "POST /api/v1/auth/token et envoyez-le dans l'en-tête « Authorization: Token <jeton> »."
        )
    if isinstance(exc, exceptions.MethodNotAllowed):
        allowed = [m for m in getattr(view, "allowed_methods", []) if m != "OPTIONS"]
        return _(
            "La méthode %(method)s n'est pas acceptée à cette adresse : utilisez %(allowed)s."
        ) % {
            "method": request.method if request is not None else "",
            "allowed": ", ".join(allowed) or "une autre adresse",
        }
    if isinstance(exc, exceptions.UnsupportedMediaType):
        accepted = _media_types(view.get_parsers()) if view is not None else "application/json"
        return _(
            "Le type de contenu « %(type)s » n'est pas accepté : envoyez le corps en %(accepted)s "
            "avec l'en-tête Content-Type correspondant."
        ) % {
            "type": (request.content_type or "").split(";")[0].strip() if request else "",
            "accepted": accepted,
        }
    if isinstance(exc, exceptions.NotAcceptable):
        return _(
            "Cette adresse répond en JSON : demandez application/json (en-tête Accept) ou "
            "retirez l'en-tête Accept."
        )
    if isinstance(exc, exceptions.Throttled):
        if exc.wait:
            return _("Trop de requêtes : réessayez dans %(wait)s secondes.") % {"wait": exc.wait}
        return _("Trop de requêtes : réessayez dans quelques instants.")
    if isinstance(exc, exceptions.NotFound) and str(exc.detail) == str(exc.default_detail):
        return NOT_FOUND_DETAIL
    if isinstance(exc, exceptions.PermissionDenied) and str(exc.detail) == str(exc.default_detail):
        return _("Votre compte ne permet pas cette action.")
    return str(exc.detail)


def problem_exception_handler(exc, context):
    # Imported here: rest_framework.views loads the authentication classes of the settings,
    # among which this module's SessionAuthentication.
    from rest_framework.views import exception_handler

    if isinstance(exc, ApplicationError):
        extra = dict(exc.extra)
        if exc.field and "errors" not in extra:
            extra["errors"] = {exc.field: [exc.message]}
        status_code = extra.pop("status", status.HTTP_409_CONFLICT)
        return problem_response(status_code, exc.message, **extra)
    if isinstance(exc, Http404):  # get_object_or_404's text is English and names the model
        exc = exceptions.NotFound((raised_by_guichet(exc) and str(exc)) or NOT_FOUND_DETAIL)
    elif isinstance(
        exc, PermissionDenied
    ):  # our reason is kept, e.g. a sensitive proof's (R-EVD-3)
        exc = exceptions.PermissionDenied((str(exc) or None) if raised_by_guichet(exc) else None)
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge(_body_limit_detail())
    elif isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        exc = UnreadableBody(
            _("La requête contient trop de champs ou de fichiers : envoyez-les en plusieurs fois.")
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        if errors == {"non_field_errors": ["No data provided"]}:  # DRF's text for a `null` body
            errors = {"non_field_errors": [_("Envoyez un objet JSON dans le corps de la requête.")]}
        body = problem(
            response.status_code,
            _("Les données envoyées sont invalides : %(message)s")
            % {"message": _first_message(errors)},
            errors=errors,
        )
    else:
        # An exception may carry RFC 9457 members of its own (a title, a link to follow).
        body = problem(
            response.status_code,
            _french_detail(exc, context),
            **getattr(exc, "problem_members", {}),
        )
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_json_response(status_code: int, detail: str, **extra) -> JsonResponse:
    """For errors raised outside DRF views (unknown /api/ path, server error, middleware)."""
    return JsonResponse(
        problem(status_code, detail, **extra),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
        json_dumps_params={"ensure_ascii": False},
    )


# --- Strict JSON types for input serializers ---------------------------------------------------
# DRF turns 12 into "12" and "oui" into True; a JSON API says which type it expects and refuses
# the others, so that a client's mistake is shown to it instead of being stored.


class StrictCharField(serializers.CharField):
    default_error_messages = {
        "invalid": "Indiquez du texte (une chaîne de caractères JSON, entre guillemets).",
        "max_length": "Saisissez au plus {max_length} caractères.",
    }

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        # The length the schema states (maxLength) is the length sent, spaces included: DRF
        # would measure it once trimmed.
        if self.max_length is not None and len(data) > self.max_length:
            self.fail("max_length", max_length=self.max_length)
        return super().to_internal_value(data)


class NulFreeDictField(serializers.DictField):
    """A JSON object that a service reads key by key, any value in it: no text in it, at any
    depth, holds a NUL character, which PostgreSQL does not store (issue 20 §1). DRF's text
    fields refuse it themselves."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        where = _nul_location(value)
        if where is not None:
            self.fail("nul", where=where)
        return value

    default_error_messages = {
        "nul": "Le caractère NUL (U+0000) n'est accepté dans aucun texte : retirez-le "
        "(« {where} »)."
    }


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Indiquez un nombre entier (sans guillemets)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Indiquez true ou false (sans guillemets)."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class FormBooleanField(serializers.BooleanField):
    """A boolean sent as a multipart/form-data text: « true » or « false », as OpenAPI writes
    them, and required when it is (DRF would read a missing one as an unticked box)."""

    TRUE_VALUES = {"true", True}
    FALSE_VALUES = {"false", False}
    NULL_VALUES: set = set()
    default_empty_html = serializers.empty
    default_error_messages = {"invalid": "Indiquez true ou false."}


class _ParisTimeEncoder(encoders.JSONEncoder):
    """Every timestamp the API writes itself reads as DRF's fields write theirs: in Paris time
    with its offset (« 2026-11-14T20:02:46+01:00 »), never « Z » beside it (issue 14 §3)."""

    def default(self, obj):
        if isinstance(obj, dt.datetime) and timezone.is_aware(obj):
            return timezone.localtime(obj).isoformat()
        return super().default(obj)


class JSONRenderer(renderers.JSONRenderer):
    encoder_class = _ParisTimeEncoder


class ContentNegotiation(negotiation.DefaultContentNegotiation):
    """The API answers JSON to browsers too (issue 22 §4): a link followed from a page
    (`Accept: text/html`, with or without `*/*`) reads the JSON answer, or its French
    problem+json, never an English HTML page. Another format asked alone (text/csv) still gets
    the French 406 that says to ask for JSON."""

    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.NotAcceptable:
            accepted = request.META.get("HTTP_ACCEPT", "")
            if format_suffix is None and "text/html" in accepted:
                return (renderers[0], renderers[0].media_type)
            raise
