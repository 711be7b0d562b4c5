"""The public register's pages (R-PUB-1): the register with its search and filters, its open
data (CSV, JSON, Table Schema), its Atom feed, and the email subscriptions. No account
needed."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import HttpRequest, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.http import require_safe

from guichet.certificates import register
from guichet.certificates.models import Status
from guichet.common.links import absolute_url

BADGES = {
    Status.VALID: "success",
    Status.SUSPENDED: "warning",
    Status.WITHDRAWN: "error",
    Status.EXPIRED: "info",
}


def _page_context(request: HttpRequest) -> dict:
    filters = register.RegisterFilterForm(request.GET or None)
    page = Paginator(filters.queryset(), register.PAGE_SIZE).get_page(request.GET.get("page"))
    link = register.verification_path()
    for certificate in page:
        certificate.badge = BADGES.get(certificate.status, "info")
        certificate.url = link.format(number=certificate.number)
    query = request.GET.copy()
    query.pop("page", None)
    return {
        "filters": filters,
        "filtered": bool(
            filters.is_bound and filters.is_valid() and any(filters.cleaned_data.values())
        ),
        "page": page,
        "query": query.urlencode(),
    }


@require_safe
def register_page(request):
    """Every certificate ever issued, newest first, with its current state."""
    return render(request, "certificates/register.html", _page_context(request))


@require_safe
def export(request, fmt):
    return register.export_response(request, fmt)


@require_safe
def schema(request):
    return JsonResponse(
        register.table_schema(), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )


class RegisterFeed(Feed):
    """The register's changes, newest first: issuances, renewals, new versions, changes of
    state; each entry links to the certificate's verification page."""

    feed_type = Atom1Feed
    title = "Registre des certificats de conformité — derniers changements"
    subtitle = (
        "Délivrances, suspensions, levées de suspension, retraits, expirations et mises à jour "
        "des certificats de conformité de l'Agence du numérique en santé."
    )
    author_name = "Agence du numérique en santé"
    language = "fr"

    def link(self):
        return absolute_url(reverse("certificates:register"))

    def feed_url(self):
        return absolute_url(reverse("certificates:register-feed"))

    def items(self):
        return register.changes()

    def item_title(self, item: register.Change):
        return item.title

    def item_description(self, item: register.Change):
        return item.summary

    def item_link(self, item: register.Change):
        return register.verification_url(item.certificate.number)

    def item_guid(self, item: register.Change):
        return f"{register.verification_url(item.certificate.number)}#{item.key}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: register.Change):
        return item.at

    def item_updateddate(self, item: register.Change):
        return item.at
