"""API of the public register (R-PUB-1): the paginated register with its filters, the whole
register as open data (CSV, JSON) with its Table Schema. Public: no account, no token (a token
sent is not read)."""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.http import HttpResponse, HttpResponseNotModified
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.certificates import in_progress, register
from guichet.certificates.models import Kind, Status, WithdrawalGround
from guichet.certificates.standing import STATES
from guichet.committee.models import ReservationStatus
from guichet.common.api import (
    FileResponseNegotiation,
    JSONRenderer,
    Pagination,
    refuse_empty_filters,
)

HELP = {field.name: field.description for field in register.FIELDS}


class CertifiedModuleSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="Nom du module.")
    version = serializers.CharField(help_text="Version du module.", allow_blank=True)


class RegisterReservationSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="La réserve.")
    deadline = serializers.DateField(help_text="À lever au plus tard le.")
    status = serializers.ChoiceField(choices=ReservationStatus.choices)
    status_label = serializers.CharField()
    lifted_on = serializers.DateField(allow_null=True, help_text="Levée le.")
    failed_on = serializers.DateField(allow_null=True, help_text="Constatée non levée le.")


class RegisterRowSerializer(serializers.Serializer):
    """Describes register.row_maker's rows for the schema (the views write the rows)."""

    number = serializers.CharField(help_text=HELP["number"])
    status = serializers.ChoiceField(choices=Status.choices, help_text=HELP["status"])
    status_label = serializers.CharField(help_text=HELP["status_label"])
    kind = serializers.ChoiceField(choices=Kind.choices, help_text=HELP["kind"])
    referential = serializers.CharField(help_text=HELP["referential"])
    referential_version = serializers.CharField(help_text=HELP["referential_version"])
    product = serializers.CharField(help_text=HELP["product"])
    version = serializers.CharField(help_text=HELP["version"])
    modules = CertifiedModuleSerializer(
        many=True, help_text="Modules du produit couverts par le certificat."
    )
    company = serializers.CharField(help_text=HELP["company"])
    company_id = serializers.CharField(help_text=HELP["company_id"], allow_blank=True)
    issued_on = serializers.DateField(help_text=HELP["issued_on"])
    valid_until = serializers.DateField(help_text=HELP["valid_until"])
    status_changed_on = serializers.DateField(help_text=HELP["status_changed_on"], allow_null=True)
    status_reason = serializers.CharField(help_text=HELP["status_reason"], allow_blank=True)
    withdrawal_ground = serializers.ChoiceField(
        choices=WithdrawalGround.choices, allow_null=True, help_text=HELP["withdrawal_ground"]
    )
    withdrawal_ground_label = serializers.CharField(
        allow_null=True, help_text=HELP["withdrawal_ground_label"]
    )
    url = serializers.URLField(help_text=HELP["url"])
    withdrawal_notified_on = serializers.DateField(
        allow_null=True, help_text=HELP["withdrawal_notified_on"]
    )
    withdrawal_effective_on = serializers.DateField(
        allow_null=True, help_text=HELP["withdrawal_effective_on"]
    )
    status_summary = serializers.CharField(help_text=HELP["status_summary"])
    under_reservation = serializers.BooleanField(help_text=HELP["under_reservation"])
    state = serializers.ChoiceField(choices=STATES, help_text=HELP["state"])
    state_label = serializers.CharField(help_text=HELP["state_label"])
    reservations = RegisterReservationSerializer(
        many=True,
        help_text="Les réserves d'une attribution sous réserve (R-DEC-2), chacune avec son "
        "échéance et son état ; vide sans réserve.",
    )


FILTERS = [
    OpenApiParameter(
        "q",
        str,
        description="Recherche dans le nom du produit, du titulaire et dans le numéro du "
        "certificat (100 caractères au plus).",
    ),
    OpenApiParameter(
        "referential",
        str,
        description="Code d'un référentiel (DMN, TLC) : ses certificats seulement. Un code "
        "inconnu est refusé (400).",
    ),
    OpenApiParameter(
        "status",
        str,
        enum=Status.values,
        description="État actuel : valid (valide), suspended (suspendu), withdrawn (retiré), "
        "expired (expiré).",
    ),
    OpenApiParameter(
        "kind",
        str,
        enum=Kind.values,
        description="Nature : standard, ou exceptional (certificat exceptionnel de "
        "téléconsultation, 2024).",
    ),
]
NOT_MODIFIED = OpenApiResponse(
    description="Non modifié : la copie du client (If-None-Match, If-Modified-Since) est à jour."
)
PUBLIC = " Public : sans compte ni jeton."


class PublicApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class RegisterListApi(PublicApi):
    pagination_class = Pagination

    @extend_schema(
        operation_id="register_list",
        summary="Le registre public des certificats",
        description="Chaque certificat de conformité délivré, du plus récent au plus ancien, "
        "avec son état actuel : les certificats suspendus, retirés ou expirés restent listés "
        "avec la date et le motif de leur état (R-PUB-1). Recherche et filtres ; liste paginée."
        + PUBLIC,
        parameters=FILTERS,
        responses={200: RegisterRowSerializer(many=True)},
    )
    def get(self, request):
        # The page as last written while the register is unchanged (its state: two index-only
        # queries), with its ETag: a conditional request gets 304. Only a valid request's page
        # is kept, so a page found needs no new validation.
        refuse_empty_filters(request.query_params, ("referential", "status", "kind"))
        etag = register.export_state().etag("api:" + request.get_full_path())
        body = _PAGES.get(etag)
        if body is None:
            filters = register.RegisterFilterForm(request.query_params)
            if not filters.is_valid():
                raise ValidationError(
                    {name: list(errors) for name, errors in filters.errors.items()}
                )
        if etag in request.headers.get("If-None-Match", ""):
            return HttpResponseNotModified(headers={"ETag": etag})
        if body is None:
            paginator = self.pagination_class()
            page = paginator.paginate_queryset(
                register.PagedValues(filters.queryset()), request, view=self
            )
            make = register.row_maker()
            response = paginator.get_paginated_response(register.made_rows(page, make))
            body = JSONRenderer().render(response.data)
            _PAGES.put(etag, body)
        return HttpResponse(body, content_type="application/json", headers={"ETag": etag})


class _PageCache:
    """The last pages of the register API, by ETag (bounded: the oldest go first)."""

    def __init__(self, size: int = 256):
        self.size, self.pages, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            body = self.pages.get(key)
            if body is not None:
                self.pages.move_to_end(key)
            return body

    def put(self, key, body) -> None:
        with self.lock:
            self.pages[key] = body
            while len(self.pages) > self.size:
                self.pages.popitem(last=False)


_PAGES = _PageCache()


class RegisterExportApi(FileResponseNegotiation, PublicApi):
    fmt = "csv"

    def get(self, request):
        return register.export_response(request._request, self.fmt)


class RegisterCsvApi(RegisterExportApi):
    fmt = "csv"

    @extend_schema(
        operation_id="register_csv",
        summary="Le registre complet en CSV (données ouvertes)",
        description="Tout le registre, une ligne par certificat : UTF-8, séparateur virgule, "
        "en-tête des noms de champs du schéma (register/schema.json). Transmis au fil de "
        "l'eau ; ETag et Last-Modified : une requête conditionnelle (If-None-Match, "
        "If-Modified-Since) reçoit 304 si rien n'a changé." + PUBLIC,
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="Le registre."),
            304: NOT_MODIFIED,
        },
    )
    def get(self, request):
        return super().get(request)


class RegisterJsonApi(RegisterExportApi):
    fmt = "json"

    @extend_schema(
        operation_id="register_json",
        summary="Le registre complet en JSON (données ouvertes)",
        description="Tout le registre : un tableau JSON d'objets aux champs du schéma "
        "(register/schema.json), les modules en liste d'objets. Transmis au fil de l'eau ; "
        "ETag et Last-Modified : une requête conditionnelle reçoit 304 si rien n'a changé."
        + PUBLIC,
        responses={
            (200, "application/json"): OpenApiResponse(
                RegisterRowSerializer(many=True), description="Le registre."
            ),
            304: NOT_MODIFIED,
        },
    )
    def get(self, request):
        return super().get(request)


class RegisterSchemaApi(PublicApi):
    @extend_schema(
        operation_id="register_schema",
        summary="Le schéma des données ouvertes du registre (Table Schema)",
        description="Le schéma (Table Schema, conventions de schema.data.gouv.fr) du registre en "
        "CSV : noms, types, titres et descriptions en français, contraintes des champs ; "
        "licence Ouverte 2.0." + PUBLIC,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Le schéma.")},
    )
    def get(self, request):
        return Response(register.table_schema())


# --- R-PUB-2: the applications in progress, beside the register --------------------------------

IN_PROGRESS_HELP = {field.name: field.description for field in in_progress.FIELDS}


class InProgressRowSerializer(serializers.Serializer):
    """Describes in_progress.make_row's rows for the schema (the views write the rows)."""

    product = serializers.CharField(help_text=IN_PROGRESS_HELP["product"])
    version = serializers.CharField(help_text=IN_PROGRESS_HELP["version"])
    referential = serializers.CharField(help_text=IN_PROGRESS_HELP["referential"])
    referential_version = serializers.CharField(help_text=IN_PROGRESS_HELP["referential_version"])
    planned_complete_date = serializers.DateField(
        allow_null=True, help_text=IN_PROGRESS_HELP["planned_complete_date"]
    )


IN_PROGRESS = (
    "Les candidatures déposées et pas encore décidées dont le candidat a autorisé, dans le "
    "formulaire de recevabilité, la publication de la date prévisionnelle de dépôt d'un dossier "
    "de preuves complet : le produit, le référentiel et cette date (R-PUB-2), de la date la plus "
    "proche à la plus lointaine."
)


class InProgressListApi(PublicApi):
    pagination_class = Pagination

    @extend_schema(
        operation_id="applications_in_progress_list",
        summary="Les candidatures en cours (dates prévisionnelles publiées)",
        description=IN_PROGRESS + " Liste paginée." + PUBLIC,
        responses={200: InProgressRowSerializer(many=True)},
    )
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            in_progress.PagedRows(in_progress.applications_in_progress()), request, view=self
        )
        return paginator.get_paginated_response(list(page))


class InProgressExportApi(FileResponseNegotiation, PublicApi):
    fmt = "csv"

    def get(self, request):
        return in_progress.export_response(request._request, self.fmt)


class InProgressCsvApi(InProgressExportApi):
    fmt = "csv"

    @extend_schema(
        operation_id="applications_in_progress_csv",
        summary="Les candidatures en cours en CSV (données ouvertes)",
        description=IN_PROGRESS + " UTF-8, séparateur virgule, en-tête des noms de champs du "
        "schéma (applications-in-progress/schema.json)." + PUBLIC,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="Les candidatures en cours."
            ),
        },
    )
    def get(self, request):
        return super().get(request)


class InProgressJsonApi(InProgressExportApi):
    fmt = "json"

    @extend_schema(
        operation_id="applications_in_progress_json",
        summary="Les candidatures en cours en JSON (données ouvertes)",
        description=IN_PROGRESS + " Un tableau JSON d'objets aux champs du schéma "
        "(applications-in-progress/schema.json)." + PUBLIC,
        responses={
            (200, "application/json"): OpenApiResponse(
                InProgressRowSerializer(many=True), description="Les candidatures en cours."
            ),
        },
    )
    def get(self, request):
        return super().get(request)


class InProgressSchemaApi(PublicApi):
    @extend_schema(
        operation_id="applications_in_progress_schema",
        summary="Le schéma des données ouvertes des candidatures en cours (Table Schema)",
        description="Le schéma (Table Schema) de la liste des candidatures en cours en CSV : "
        "noms, types, titres et descriptions en français ; licence Ouverte 2.0." + PUBLIC,
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="Le schéma.")},
    )
    def get(self, request):
        return Response(in_progress.table_schema())
