"""Project-wide views: home, health check and styled error pages."""

from django.db import connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from articles.models import Article


def home(request):
    articles = Article.objects.order_by("position", "title")
    return render(request, "pages/home.html", {"articles": articles})


@never_cache
@require_GET
def healthz(request):
    """Report whether the database answers; load balancers poll this."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"database": "unavailable"}, status=503)
    return JsonResponse({"database": "ok"})


def trivial(request):
    return HttpResponse("<!DOCTYPE html><title>ok</title><p>ok</p>")


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", status=404)


def permission_denied(request, exception=None):
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "errors/403.html", {"reason": reason}, status=403)


def server_error(request):
    """Render without a request context: the database may be what failed."""
    template = loader.get_template("errors/500.html")
    return HttpResponseServerError(template.render({"STATIC_URL": "/static/"}))


def csrf_failure(request, reason=""):
    return render(request, "errors/csrf.html", status=403)


def service_unavailable_response() -> HttpResponse:
    template = loader.get_template("errors/503.html")
    return HttpResponse(template.render({}), status=503)
