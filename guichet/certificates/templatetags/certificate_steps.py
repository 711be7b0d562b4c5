from django import template

from guichet.certificates.steps import step_refusal, steps_of

register = template.Library()


@register.inclusion_tag("certificates/_steps.html", takes_context=True)
def after_certificate_steps(context, certificate):
    """The steps after the certificate (R-CRT-7), each with its day or the form to record it."""
    user = context["request"].user
    rows = steps_of(certificate)
    return {
        "certificate": certificate,
        "rows": [
            {
                "row": row,
                "refusal": step_refusal(certificate, row.code, user) if not row.record else "",
            }
            for row in rows
        ],
        "today": context.get("today"),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("certificates/agency/_minister_notices.html")
def minister_notices(certificate):
    """R-CRT-5: the sealed notices to the ministers that the certificate ended, with their
    dates (the agency's page)."""
    from guichet.certificates.ministers import notices_of

    return {"certificate": certificate, "notices": notices_of(certificate)}
