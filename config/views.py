"""Project-wide views: home, health check, CSP reports and styled error pages."""

import json
import logging
import sys

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from articles.models import Article
from config import security
from config.middleware import database_unavailable_response, is_database_unavailable
from forum.agreement.summary import with_common_ground_counts
from forum.cache.pages import AnonymousPage
from forum.cache.versions import THEMES
from forum.models import Theme


def home(request):
    cached = AnonymousPage(request, THEMES)  # anonymous readers: until the texts or a theme's figures change
    articles = Article.objects.order_by("position", "title")
    themes = with_common_ground_counts(Theme.objects.listed())
    return cached.keep(render(request, "pages/home.html", {"articles": articles, "themes": themes}))


@never_cache
@require_GET
def healthz(request):
    """Report each component; load balancers poll this.

    503 only when the database does not answer: without it nothing works. A cache that does not
    answer is reported as "degraded" with a 200, because pages are then served from the database
    and taking every instance out of service would stop a site that still works.
    """
    database = _database_state()
    cache_state = _cache_state()
    if database != "ok":
        status, code = "unavailable", 503
    else:
        status, code = ("ok" if cache_state in {"ok", "local"} else "degraded"), 200
    return JsonResponse({"status": status, "database": database, "cache": cache_state}, status=code)


def _database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return "unavailable"
    return "ok"


def _cache_state() -> str:
    """ "ok" or "unavailable" for Redis (with its short timeout); "local" for per-process memory."""
    state = getattr(cache, "state", None)
    return state() if state is not None else "local"


def trivial(request):
    return HttpResponse("<!DOCTYPE html><title>ok</title><p>ok</p>")


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    security.log_permission_denied(request, exception)
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "errors/403.html", {"reason": reason}, status=403)


def server_error(request):
    """Render without a request context: the database may be what failed.

    A lost database connection raised inside middleware (session or user loading) arrives here
    rather than at DatabaseUnavailableMiddleware; it gets the 503 page too.
    """
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        return database_unavailable_response(exc)
    template = loader.get_template("errors/500.html")
    return HttpResponseServerError(template.render({"STATIC_URL": "/static/"}))


def csrf_failure(request, reason=""):
    security.log_security_event("csrf.failed", request, level=logging.WARNING, reason=reason)
    return render(request, "errors/csrf.html", status=403)


@csrf_exempt  # browsers send reports without our token; the endpoint changes nothing but the log
@require_POST
def csp_report(request):
    """Log Content-Security-Policy violation reports, one warning line each, then answer 204."""
    if request.content_type not in security.CSP_REPORT_CONTENT_TYPES:
        return HttpResponse(status=415)
    try:
        declared_length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return HttpResponse(status=400)
    if declared_length > security.CSP_REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    body = request.read(security.CSP_REPORT_MAX_BYTES + 1)
    if len(body) > security.CSP_REPORT_MAX_BYTES:
        return HttpResponse(status=413)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return HttpResponse(status=400)
    if security.csp_report_allowed(request):
        for report in security.parse_csp_reports(payload):
            security.log_security_event("csp.violation", request, level=logging.WARNING, **report)
    return HttpResponse(status=204)
