"""Project middleware: the Permissions-Policy header and a calm page when the database is down."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader

logger = logging.getLogger("config.database")

# Errors that mean "the database cannot be reached or cannot answer now" (connection refused,
# server restarting, too many connections, SQLite locked), as opposed to a bug in a query.
DATABASE_UNAVAILABLE_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def is_database_unavailable(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_UNAVAILABLE_ERRORS)


def service_unavailable_response() -> HttpResponse:
    """The styled 503 page, rendered without a request context (the database may be what failed)."""
    template = loader.get_template("errors/503.html")
    return HttpResponse(template.render({}), status=503)


def database_unavailable_response(exc: BaseException):
    """Log one line (no traceback, no SQL) and return the styled 503 page."""
    first_line = (str(exc).strip().splitlines() or [""])[0][:200]
    logger.error("event=database.unavailable error=%s detail=%r", type(exc).__name__, first_line)
    response = service_unavailable_response()
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    """Turn a lost database connection during a view into the 503 page instead of a 500.

    Exceptions raised by views (and by TemplateResponse rendering) reach `process_exception`.
    Exceptions raised inside other middleware are turned into responses by Django before they
    get here, so `config.views.server_error` makes the same check for those.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_database_unavailable(exception):
            return database_unavailable_response(exception)
        return None


class PermissionsPolicyMiddleware:
    """Set `Permissions-Policy` from `settings.PERMISSIONS_POLICY` (empty: no header)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = policy
        return response
