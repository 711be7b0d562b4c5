"""The public register's pages (R-PUB-1): the register with its search and filters, its open
data (CSV, JSON, Table Schema), its Atom feed, and the email subscriptions. No account
needed."""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from guichet.certificates import in_progress, register, subscriptions
from guichet.common.links import absolute_url


@require_safe
def register_page(request):
    """Every certificate ever issued, newest first, with its current state."""
    filters = register.RegisterFilterForm(request.GET or None)
    page = Paginator(filters.queryset(), register.PAGE_SIZE).get_page(request.GET.get("page"))
    link = register.verification_path()
    # R-DEC-2: the reservations of the page's certificates, in one query.
    reservations = register.reservations_by_decision(c.decision_id for c in page)
    for certificate in page:
        certificate.url = link.format(number=certificate.number)
        certificate.reservation_items = reservations.get(certificate.decision_id, [])
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filters": filters,
        "filtered": bool(
            filters.is_bound and filters.is_valid() and any(filters.cleaned_data.values())
        ),
        "page": page,
        "query": query.urlencode(),
        "subscription_form": subscriptions.SubscriptionForm(),
    }
    return render(request, "certificates/register.html", context)


@require_safe
def in_progress_page(request):
    """R-PUB-2: the applications in progress whose applicant consented to publish the planned
    date of a complete evidence file."""
    page = Paginator(
        in_progress.PagedRows(in_progress.applications_in_progress()), in_progress.PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(request, "certificates/in_progress.html", {"page": page, "query": ""})


@require_safe
def in_progress_export(request, fmt):
    return in_progress.export_response(request, fmt)


@require_safe
def in_progress_schema(request):
    return JsonResponse(
        in_progress.table_schema(), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe(request):
    """The subscription form: alone (GET, e.g. from a link « Suivre ce titulaire »), or posted
    from the register page."""
    initial = {"subject": request.GET.get("suivre", "")}
    form = subscriptions.SubscriptionForm(request.POST or None, initial=initial)
    status, retry_after = 200, None
    if request.method == "POST" and form.is_valid():
        try:
            subscriptions.request_subscription(
                request, email=form.cleaned_data["email"], **form.cleaned_data["subject"]
            )
        except subscriptions.SubscriptionThrottled as exc:
            form.add_error(None, exc.message)
            status, retry_after = 429, exc.retry_after
        else:
            return redirect("certificates:register-subscribe-sent")
    if form.errors and status == 200:
        status = 400
    response = render(
        request, "certificates/register_subscribe.html", {"form": form}, status=status
    )
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@require_safe
def subscribe_sent(request):
    return render(
        request,
        "certificates/register_subscription.html",
        {
            "title": "Demande d'abonnement enregistrée",
            "message": subscriptions.SUBSCRIPTION_RECEIVED,
        },
    )


def _unknown_link(request):
    return render(
        request,
        "certificates/register_subscription.html",
        {
            "title": "Lien non reconnu",
            "message": "Ce lien d'abonnement n'est pas reconnu : vérifiez qu'il est complet "
            "(copiez-le en entier depuis le courriel), ou abonnez-vous à nouveau depuis le "
            "registre.",
            "error": True,
        },
        status=404,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def subscription(request, token):
    """The link of the confirmation email: a page that confirms with one button (a link
    opened by a mail scanner confirms nothing)."""
    found = subscriptions.find(token)
    if found is None:
        return _unknown_link(request)
    if request.method == "POST":
        found = subscriptions.confirm_subscription(token)
    return render(
        request,
        "certificates/register_subscription.html",
        {
            "subscription": found,
            "followed": subscriptions.subject_label(found),
            "title": "Abonnement au registre des certificats",
        },
    )


@csrf_exempt  # RFC 8058: mail clients post the one-click cancellation without a form
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """The cancel link of every email: one click, then « Désabonnement enregistré »."""
    found = subscriptions.cancel_subscription(token)
    if found is None:
        return _unknown_link(request)
    return render(
        request,
        "certificates/register_subscription.html",
        {
            "title": "Désabonnement enregistré",
            "message": f"Vous ne suivez plus {subscriptions.subject_label(found)} : aucun "
            "courriel ne vous sera plus envoyé pour cet abonnement. Vous pouvez vous abonner à "
            "nouveau depuis le registre.",
        },
    )


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
