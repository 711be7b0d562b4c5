from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from guichet.applications import review, selectors, services
from guichet.applications.models import Status
from guichet.applications.pathologies import claim_pathologies
from guichet.applications.serializers import (
    AdmissibilitySerializer,
    ApplicationCreateSerializer,
    ApplicationDetailSerializer,
    ApplicationPatchSerializer,
    ApplicationSerializer,
    DecisionInputSerializer,
    DocumentFileSerializer,
    DocumentSerializer,
    ItemVerdictSerializer,
    PathologiesInputSerializer,
    ProductInputSerializer,
    ProductSerializer,
    TransitionInputSerializer,
    UploadSerializer,
    VerdictInputSerializer,
    VersionInputSerializer,
    VersionOutputSerializer,
)
from guichet.applications.workflow import WORKFLOW, transition
from guichet.common.api import FileResponseNegotiation, Pagination, refuse_empty_filters
from guichet.common.errors import ApplicationError
from guichet.common.schema import problems
from guichet.files.api import StreamedUploadMixin, download_response
from guichet.files.services import describe, parse_produced_on
from guichet.journal.api import JOURNAL_FORMAT, JOURNAL_RESPONSES, stream
from guichet.journal.selectors import application_journal
from guichet.referentials.selectors import get_version

# `?status=complete,in_instruction`: what parse_filters reads, any other word refused (400).
STATUS_LIST = "^({0})(,({0}))*$".format("|".join(Status.values))


class ProductListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    @extend_schema(
        summary="Les produits de l'organisation",
        description="Liste paginée (`page`, `page_size`) des produits déclarés par votre "
        "organisation, avec leurs modules.",
        responses=ProductSerializer(many=True),
    )
    def get(self, request):
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.products_for(request.user), request, view=self)
        return paginator.get_paginated_response(ProductSerializer(page, many=True).data)

    @extend_schema(
        summary="Déclarer un produit",
        description="Un produit de l'organisation, avec ses modules et leurs versions (R-APP-4). "
        "Chaque texte est limité à la taille de sa colonne ; au-delà, la requête est refusée.",
        request=ProductInputSerializer,
        responses={201: ProductSerializer},
    )
    def post(self, request):
        data = ProductInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        product = services.save_product(by=request.user, **{"name": "", **data.validated_data})
        return Response(ProductSerializer(product).data, status=status.HTTP_201_CREATED)


class ProductDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Un produit", responses=ProductSerializer)
    def get(self, request, pk):
        return Response(
            ProductSerializer(get_object_or_404(selectors.products_for(request.user), pk=pk)).data
        )

    @extend_schema(
        summary="Modifier un produit",
        description="Seuls les champs donnés changent ; `modules`, donné, remplace la liste.",
        request=ProductInputSerializer,
        responses=ProductSerializer,
    )
    def patch(self, request, pk):
        product = get_object_or_404(selectors.products_for(request.user), pk=pk)
        data = ProductInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = {"name": product.name, "description": product.description, **data.validated_data}
        product = services.save_product(by=request.user, product=product, **values)
        return Response(ProductSerializer(product).data)


class ApplicationListApi(APIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    @extend_schema(
        summary="Les candidatures",
        description="Liste paginée (`page`, `page_size`) : celles de votre organisation, ou "
        "toutes pour l'agence ; filtres `status`, `referential`, `q`.",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                pattern=STATUS_LIST,
                description="Un état ou plusieurs, séparés par des virgules (ex. "
                "`complete,in_instruction`) : " + ", ".join(Status.values) + ".",
            ),
            OpenApiParameter("referential", str, description="Code du référentiel : DMN, TLC."),
            OpenApiParameter(
                "q", str, description="Recherche dans la référence, le produit, l'organisation."
            ),
        ],
        responses=ApplicationSerializer(many=True),
    )
    def get(self, request):
        refuse_empty_filters(request.query_params, ("status", "referential"))
        filters, errors = selectors.parse_filters(request.query_params)
        if errors:
            raise serializers.ValidationError({k: [v] for k, v in errors.items()})
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(
            selectors.filter_applications(
                selectors.applications_for(request.user), filters
            ).prefetch_related("pathologies"),
            request,
            view=self,
        )
        return paginator.get_paginated_response(ApplicationSerializer(page, many=True).data)

    @extend_schema(
        summary="Créer une candidature",
        description="Un produit et sa version, un référentiel et sa version, une démarche "
        "ouverte (R-APP-1, R-APP-2) ; une seule candidature ouverte à la fois par version du "
        "produit et version du référentiel. Avec `from_application`, une candidature close sans "
        "certificat du même produit, la nouvelle en part : formulaire, réponses, profils et "
        "documents copiés (R-APP-9).",
        request=ApplicationCreateSerializer,
        responses={201: ApplicationSerializer},
    )
    def post(self, request):
        data = ApplicationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        product = selectors.products_for(request.user).filter(pk=values["product"]).first()
        if product is None:
            raise serializers.ValidationError(
                {
                    "product": [
                        "Produit inconnu : indiquez l'identifiant d'un produit de votre "
                        "organisation (GET /api/v1/products/)."
                    ]
                }
            )
        try:
            version = get_version(values["referential"], values["version"], request.user)
        except Http404:
            raise serializers.ValidationError(
                {
                    "referential": [
                        f"Version {values['version']} du référentiel "
                        f"{values['referential']} introuvable (GET /api/v1/referentials/)."
                    ]
                }
            ) from None
        previous = None
        if "from_application" in values:
            previous = (
                selectors.applications_for(request.user)
                .filter(pk=values["from_application"])
                .first()
            )
            if previous is None:  # another organisation's reads as unknown (R-ACT-1)
                raise serializers.ValidationError(
                    {
                        "from_application": [
                            "Candidature inconnue : indiquez l'identifiant d'une candidature "
                            "de votre organisation (GET /api/v1/applications/)."
                        ]
                    }
                )
        application = services.create_application(
            by=request.user,
            product=product,
            product_version=values["product_version"],
            referential_version=version,
            pathway_code=values["pathway"],
            pathology_code=values.get("pathology", ""),
            is_group=values["is_group"],
            previous=previous,
        )
        application = selectors.applications_for(request.user).get(pk=application.pk)
        return Response(ApplicationSerializer(application).data, status=status.HTTP_201_CREATED)


class ApplicationDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    def get_object(self, request, pk):
        return selectors.get_application(request.user, pk)

    @extend_schema(
        summary="Une candidature",
        description="Avec `transitions` : ce que vous pouvez faire maintenant (issue 11).",
        responses=ApplicationDetailSerializer,
    )
    def get(self, request, pk):
        application = self.get_object(request, pk)
        return Response(ApplicationDetailSerializer(application, context={"request": request}).data)

    @extend_schema(
        summary="Enregistrer le brouillon",
        description="Enregistre les parties données du formulaire, même incomplet (R-APP-7) ; "
        "une valeur fausse refuse tout l'enregistrement, avec chaque erreur dans `errors`.",
        request=ApplicationPatchSerializer,
        responses=ApplicationSerializer,
    )
    def patch(self, request, pk):
        application = self.get_object(request, pk)
        data = ApplicationPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.save_draft(by=request.user, application=application, data=data.validated_data)
        return Response(ApplicationSerializer(self.get_object(request, pk)).data)


class ApplicationSubmitApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Soumettre la candidature",
        description="Soumet le formulaire de recevabilité ; refusée (400), la réponse liste "
        "dans `missing` chaque élément manquant (R-APP-7).",
        request=None,
        responses=ApplicationSerializer,
    )
    def post(self, request, pk):
        application = selectors.get_application(request.user, pk)
        services.submit(by=request.user, application=application)
        return Response(
            ApplicationSerializer(selectors.applications_for(request.user).get(pk=pk)).data
        )


class TransitionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Déclencher une action du workflow",
        description="Déclenche la transition `name` (voir `transitions` de la candidature) avec "
        "son motif `reason` s'il le faut. Refusée (409) avec la raison, en français, quand elle "
        "n'est pas possible maintenant ; 403 quand elle revient à quelqu'un d'autre.",
        request=TransitionInputSerializer,
        responses={200: ApplicationDetailSerializer, **problems(400, 403, 404, 409)},
    )
    def post(self, request, pk, name):
        application = selectors.get_application(request.user, pk)
        spec = WORKFLOW.get(name)
        if spec.automatic or spec.form:
            raise ApplicationError(
                f"« {spec.label} » ne se déclenche pas ici : "
                + (
                    "la plateforme s'en charge."
                    if spec.automatic
                    else "elle a son propre formulaire (voir la documentation de l'API)."
                ),
                extra={"status": 409},
            )
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        transition(application, name, by=request.user, reason=data.validated_data["reason"])
        application = selectors.get_application(request.user, pk)
        return Response(ApplicationDetailSerializer(application, context={"request": request}).data)


class ApplicationJournalApi(FileResponseNegotiation, APIView):
    """The application's audit journal (R-AUD-1), to its applicant and to the agency, each
    reading there what the rest of the platform shows them (issue 20 §2)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Le journal de la candidature",
        description="Ses entrées d'audit, en JSON (par défaut) ou en CSV (`format=csv`) (R-AUD-1). "
        "Chacun y lit ce que le reste de la plateforme lui montre : le candidat n'y voit pas les "
        "avis « conforme » sur ses preuves et ses éléments de recevabilité, que ses pages ne "
        "montrent pas non plus.",
        parameters=[JOURNAL_FORMAT],
        responses=JOURNAL_RESPONSES,
    )
    def get(self, request, pk):
        application = selectors.get_application(request.user, pk)
        return stream(
            request.query_params.get("format", "json"),
            application_journal(application.pk, request.user),
        )


# --- Admissibility documents -----------------------------------------------------------------


class DocumentListApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Les documents de recevabilité",
        description="Chaque document du formulaire : exigé ou non en l'état, et ses fichiers.",
        responses=DocumentSerializer(many=True),
    )
    def get(self, request, pk):
        application = selectors.get_application(request.user, pk)
        return Response(selectors.documents_payload(application))


class DocumentUploadApi(StreamedUploadMixin, APIView):
    """`multipart/form-data` with `file` (one or several) and optionally `produced_on`."""

    permission_classes = [IsAuthenticated]

    def upload_access(self, request, pk, item) -> bool:
        self.application = selectors.get_application(request.user, pk)
        services.check_document_upload(by=request.user, application=self.application, item=item)
        return False  # admissibility documents are not encrypted

    @extend_schema(
        summary="Déposer un document",
        description="Envoi multipart/form-data : `file` (un ou plusieurs), `produced_on` et "
        "`names_version` facultatifs. Tous les fichiers sont joints, ou aucun.",
        request={"multipart/form-data": UploadSerializer},
        responses={201: DocumentFileSerializer(many=True)},
    )
    def post(self, request, pk, item):
        self.form_values(request, UploadSerializer)
        created = services.add_documents(
            by=request.user,
            application=self.application,
            item=item,
            uploads=self.streamed_uploads(request),
            produced_on=parse_produced_on(request.data.get("produced_on")),
            names_version=request.data.get("names_version", ""),
        )
        return Response(
            [describe(d.file, withdrawn_at=None) for d in created], status=status.HTTP_201_CREATED
        )


class DocumentFileApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Retirer un document",
        description="Le fichier reste dans l'historique, marqué retiré.",
        request=None,
        responses={204: None},
    )
    def delete(self, request, pk, file_id):
        application = selectors.get_application(request.user, pk)
        document = get_object_or_404(application.documents, file_id=file_id)
        services.withdraw_document(by=request.user, document=document)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApplicationFileApi(APIView):
    """Any file of the application, verified against its SHA-256 before it is served."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Télécharger un fichier",
        description="Le fichier, vérifié contre son empreinte SHA-256 avant d'être servi "
        "(R-EVD-2) ; une preuve sensible n'est lue que du candidat et des instructeurs de la "
        "candidature (R-EVD-3). Le type de contenu est celui du fichier déposé.",
        responses={
            (200, "*/*"): OpenApiResponse(OpenApiTypes.BINARY, description="Le fichier."),
            **problems(409),
        },
    )
    def get(self, request, pk, file_id):
        application = selectors.get_application(request.user, pk)
        stored = selectors.application_file(application, file_id, request.user)
        return download_response(stored, by=request.user, application=application)


# --- Admissibility review (R-APP-8) -----------------------------------------------------------


def _verdict_data(verdict) -> dict | None:
    if verdict is None:
        return None
    return {
        "verdict": verdict.verdict,
        "comment": verdict.comment,
        "round": verdict.round,
        "by": verdict.by.email,
        "at": verdict.at,
    }


def admissibility_payload(application, user) -> dict:
    latest = review.latest_verdicts(application)
    items = []
    for entry in review.reviewable_items(application):
        verdict = latest.get(entry["item"])
        shown = user.is_agency if verdict is None else review.sees_verdict(user, verdict.verdict)
        if not shown:
            continue  # the applicant sees only what is to fix
        items.append({**entry, "verdict": _verdict_data(verdict)})
    return {
        "status": application.status,
        "round": application.review_round,
        "decided_at": application.decided_at,
        "reasons": application.decision_reasons,
        "items": items,
    }


class AdmissibilityApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="La recevabilité",
        description="L'état de l'examen et les avis par élément ; le candidat ne voit que les "
        "éléments à corriger (R-APP-8).",
        responses=AdmissibilitySerializer,
    )
    def get(self, request, pk):
        application = selectors.get_application(request.user, pk)
        return Response(admissibility_payload(application, request.user))


class VerdictApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Donner un avis sur un élément",
        description="Agence : `conforme` ou `to_fix` (commentaire exigé) (R-APP-8).",
        request=VerdictInputSerializer,
        responses={201: ItemVerdictSerializer},
    )
    def post(self, request, pk, item):
        application = selectors.get_application(request.user, pk)
        data = VerdictInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        verdict = review.set_verdict(
            by=request.user, application=application, item=item, **data.validated_data
        )
        return Response({"item": item, **_verdict_data(verdict)}, status=status.HTTP_201_CREATED)


class DecisionApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Décider de la recevabilité",
        description="Agence : `admissible` (chaque élément conforme), `request_fixes` ou "
        "`not_admissible` avec motifs (R-APP-8).",
        request=DecisionInputSerializer,
        responses=ApplicationSerializer,
    )
    def post(self, request, pk):
        application = selectors.get_application(request.user, pk)
        data = DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        review.decide(by=request.user, application=application, **data.validated_data)
        return Response(
            ApplicationSerializer(selectors.applications_for(request.user).get(pk=pk)).data
        )


# --- Convention (R-CONV-1, R-CONV-3) -----------------------------------------------------------


# --- Evidence (R-EVD-1 … R-EVD-4) ---------------------------------------------------------------


class ApplicationPathologiesApi(APIView):
    """R-REF-7: the pathologies a draft claims on the generic line."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Choisir les pathologies revendiquées (ligne générique)",
        description="Une ou plusieurs pathologies de la ligne générique, par leur code ou celui "
        "de leur spécification technique (HAS1…) ; la spécification de chacune s'ajoute aux "
        "exigences applicables (R-REF-7). Avant la soumission seulement.",
        request=PathologiesInputSerializer,
        responses=ApplicationSerializer,
    )
    def post(self, request, pk):
        application = selectors.get_application(request.user, pk)
        data = PathologiesInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        claim_pathologies(
            by=request.user, application=application, codes=data.validated_data["pathologies"]
        )
        return Response(
            ApplicationSerializer(selectors.applications_for(request.user).get(pk=pk)).data
        )


class ApplicationVersionApi(APIView):
    """R-APP-4: updates the certified version; the answer lists what names another version."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Changer la version certifiée",
        description="Avant la fin de la procédure ; la réponse liste ce qui nomme une autre "
        "version (R-APP-4).",
        request=VersionInputSerializer,
        responses=VersionOutputSerializer,
    )
    def post(self, request, pk):
        application = selectors.get_application(request.user, pk)
        data = VersionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        application = services.update_product_version(
            by=request.user, application=application, **data.validated_data
        )
        return Response(
            {
                "product_version": application.product_version,
                "version_mismatches": services.version_mismatches(application),
            }
        )
