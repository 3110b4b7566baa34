"""Per-request plumbing: the current account, last-active time, deny-by-default, the methods a
page answers, no caching of what a signed-in person sees, and the product's own error pages."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed
from django.utils import timezone, translation
from django.utils.cache import add_never_cache_headers
from django.utils.http import http_date
from django.views.defaults import page_not_found, server_error

from accounts.access import ACCESS_ATTRIBUTE, ALLOWED_METHODS, OWN_METHODS_ATTRIBUTE
from accounts.languages import page_language, time_zone_of
from accounts.selectors import membership_current
from accounts.services import membership_touch


class CurrentAccountMiddleware:
    """Sets `request.membership`: the signed-in user's membership in the current account.

    The current account is kept in the session; a user with one active membership gets it
    without asking. None when signed out or when the user has not chosen yet.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.membership = None
        if request.user.is_authenticated:
            request.membership = membership_current(request)
            if request.membership is not None:
                membership_touch(
                    membership=request.membership,
                    now=timezone.now(),
                    interval=settings.LAST_ACTIVE_WRITE_INTERVAL,
                )
        return self.get_response(request)


class LanguageMiddleware:
    """The page's language and time zone, once the person and the account are known
    (accounts.languages): Django's LocaleMiddleware, earlier, has set the browser's language
    for anything answered before this point; this refines it with the person's choice and the
    account's default, and sets their time zone for the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = getattr(request, "membership", None)
        language = page_language(request, account=membership.account if membership else None)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        signed_in = request.user.is_authenticated
        timezone.activate(time_zone_of(request.user if signed_in else None))
        try:
            response = self.get_response(request)
        finally:
            timezone.deactivate()
        response.headers["Content-Language"] = language
        return response


class DenyByDefaultMiddleware:
    """Refuses every view that does not declare who may open it (accounts.access).

    Django admin guards itself (staff only) and is left to do so.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if _is_django_admin(request):
            return None
        if getattr(view_func, ACCESS_ATTRIBUTE, None) is None:
            raise PermissionDenied
        return None


def _is_django_admin(request) -> bool:
    match = request.resolver_match
    return match is not None and match.namespace == "admin"


# The JSON API (api.v1) answers PATCH and DELETE, and a 405 of its own (a problem) otherwise;
# so do views marked accounts.access.own_methods (SCIM's endpoints, with a SCIM error).
JSON_API_NAMESPACE = "api_v1"


def _is_json_api(request) -> bool:
    match = request.resolver_match
    return match is not None and match.namespace == JSON_API_NAMESPACE


class AllowedMethodsMiddleware:
    """Answers 405 to a method no page uses (accounts.access.ALLOWED_METHODS), signed in or
    not, before the view or the sign-in redirect. Django admin, the JSON API (whose operations
    are PATCH and DELETE too) and views marked `own_methods` (SCIM) are left to themselves."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method in ALLOWED_METHODS or _is_django_admin(request) or _is_json_api(request):
            return None
        if getattr(view_func, OWN_METHODS_ATTRIBUTE, False):
            return None
        return HttpResponseNotAllowed(ALLOWED_METHODS)


class NoStoreWhenSignedInMiddleware:
    """Every answer to a signed-in request (pages, CSV exports, redirects) tells browsers and
    proxies not to keep it: a shared computer's back button or a proxy's cache must not show one
    person's account to the next. Public pages keep their own headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if "Cache-Control" in response.headers or "Expires" in response.headers:
                add_never_cache_headers(response)  # merged into the view's own
            else:
                # What add_never_cache_headers writes, without parsing and rebuilding an
                # empty Cache-Control (a twentieth of a signed-in trivial request).
                response.headers["Expires"] = http_date()
                response.headers["Cache-Control"] = NEVER_CACHE
        return response


NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"


class ProductErrorPagesMiddleware:
    """With DEBUG on (the embedded default of `make run`), a page that doesn't exist or a view
    that fails answers with the product's own 404 and 500 pages (templates/404.html, 500.html),
    as in production, instead of Django's technical pages (a list of every URL, a traceback).
    SEATMGR_DEBUG_ERROR_PAGES=1 brings the technical pages back; with DEBUG off Django already
    shows the product's pages and this steps aside. A 403 is the product's page either way.

    Inside the other middleware, so the page it draws gets their headers (CSP, no-store...).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not _product_error_pages_replace_debug():
            return response
        if response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            # No URL matched: Django drew its technical 404, which lists every URL.
            return page_not_found(request, Http404())
        if response.status_code == 500:
            # Django has logged the exception already; only its traceback page is replaced.
            return server_error(request)
        return response

    def process_exception(self, request, exception):
        if _product_error_pages_replace_debug() and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None


def _product_error_pages_replace_debug() -> bool:
    return settings.DEBUG and not settings.SEATMGR_DEBUG_ERROR_PAGES
