"""One role-aware decorator for pages (R-ACT-1); the second factor and the terms of use are
checked earlier, by AccountGateMiddleware, for every signed-in request."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def role_required(allowed):
    """`allowed(user) -> bool`; anonymous visitors go to the login page, others get 403."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not allowed(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


login_required = role_required(lambda user: user.is_active)
agency_admin_required = role_required(lambda user: user.is_agency_admin)
support_required = role_required(lambda user: user.manages_accounts)
applicant_admin_required = role_required(lambda user: user.is_applicant_admin)
applicant_required = role_required(lambda user: bool(user.organisation_id) and not user.is_agency)
