"""Security helpers shared by the whole project.

- `client_ip(request)`: the address of the person making the request, trusting exactly
  `TRUSTED_PROXY_COUNT` proxies in front of us (the same rule allauth's rate limits use).
- `log_security_event(...)`: one structured line per event on the `security` logger, in
  `key=value` form, carrying ids and addresses only — never passwords, codes, email addresses,
  message text or page content.
- `connect_signals()`: hooks Django's and allauth's sign-in, password, MFA and email signals to
  that log. `config.apps.ConfigConfig.ready()` calls it once.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from typing import Any

from django.conf import settings

logger = logging.getLogger("security")

_UNQUOTED_VALUE = re.compile(r"^[A-Za-z0-9_.:/@+\-]*$")
_EVENT_NAME = re.compile(r"^[a-z][a-z0-9_.]*$")
MAX_VALUE_LENGTH = 200


def _clean_ip(value: str) -> str | None:
    """A valid IPv4/IPv6 address from a header entry (port and brackets removed), or None."""
    value = value.strip()
    if not value:
        return None
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # 203.0.113.9:443
        value = value.split(":", 1)[0]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request) -> str:
    """The client's IP address, honouring `settings.ALLAUTH_TRUSTED_PROXY_COUNT`.

    Each trusted proxy appends the address it received the request from to X-Forwarded-For, so
    with N trusted proxies the client is the N-th entry from the right. Entries further left were
    written by the client and can say anything; they are never used. With N = 0 the header is
    ignored and the socket address (REMOTE_ADDR) is the client. If the header is missing, too
    short or unparseable, the request did not come through all our proxies, so we fall back to
    REMOTE_ADDR rather than believe it (allauth raises an error in that case; our own rate limits
    prefer to keep working).
    """
    remote_addr = _clean_ip(request.META.get("REMOTE_ADDR", "")) or ""
    count = int(getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0) or 0)
    if count <= 0:
        return remote_addr
    entries = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    if len(entries) < count:
        return remote_addr
    return _clean_ip(entries[-count]) or remote_addr


def _format_value(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    if len(text) > MAX_VALUE_LENGTH:
        text = text[:MAX_VALUE_LENGTH] + "…"
    if _UNQUOTED_VALUE.match(text):
        return text
    # JSON quoting escapes quotes, backslashes, newlines and control characters, so a value
    # cannot start a new log line or forge another key.
    return json.dumps(text, ensure_ascii=True)


def format_event(event: str, **fields: Any) -> str:
    """`event=<name> key=value ...` on one line; keys in the order given."""
    if not _EVENT_NAME.match(event):
        raise ValueError(f"Security event names are lower-case dotted words, not {event!r}.")
    parts = [f"event={event}"]
    for key, value in fields.items():
        parts.append(f"{key}={_format_value(value)}")
    return " ".join(parts)


# URL parameters that carry one-time secrets (email confirmation and password reset links).
SECRET_URL_KWARGS = ("key", "token", "uidb36", "uidb64")


def safe_path(request) -> str:
    """The request path with secret URL parameters replaced, and never the query string."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name in SECRET_URL_KWARGS:
            value = match.kwargs.get(name)
            if value:
                path = path.replace(str(value), "REDACTED")
    return path


def _user_id(user) -> int | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


def log_security_event(event: str, request=None, *, user=None, level: int = logging.INFO, **fields: Any) -> None:
    """Write one security event line. Pass ids and short codes only, never personal text.

    `user` defaults to the request's signed-in user; the record carries its id, the client IP
    and the request path (without its query string, and with confirmation and reset keys
    replaced: see `safe_path`).
    """
    if user is None and request is not None:
        user = getattr(request, "user", None)
    record: dict[str, Any] = {"user_id": _user_id(user)}
    if request is not None:
        record["ip"] = client_ip(request)
        record["method"] = request.method
        record["path"] = safe_path(request)
    record.update(fields)
    logger.log(level, format_event(event, **record))


# Signal receivers: one line each, ids rather than addresses or names.


def _on_logged_in(sender, request, user, **kwargs):
    log_security_event("auth.login", request, user=user)


def _on_login_failed(sender, credentials, request=None, **kwargs):
    """A failed password check. Django masks the password in `credentials`; we also leave the
    email out and record whether it belongs to an account (its id), which is what an operator
    needs to spot an account under attack."""
    from django.contrib.auth import get_user_model

    identifier = credentials.get("email") or credentials.get("username") or ""
    target_id = None
    if identifier:
        model = get_user_model()
        target_id = (
            model._default_manager.filter(**{f"{model.get_email_field_name()}__iexact": identifier})
            .values_list("pk", flat=True)
            .first()
        )
    log_security_event("auth.login_failed", request, user=None, level=logging.WARNING, target_user_id=target_id)


def _on_logged_out(sender, request, user, **kwargs):
    log_security_event("auth.logout", request, user=user)


def _on_signed_up(sender, request, user, **kwargs):
    log_security_event("account.signup", request, user=user)


def _on_password_changed(sender, request, user, **kwargs):
    log_security_event("password.changed", request, user=user)


def _on_password_set(sender, request, user, **kwargs):
    log_security_event("password.set", request, user=user)


def _on_password_reset(sender, request, user, **kwargs):
    log_security_event("password.reset", request, user=user)


def _on_email_confirmed(sender, request, email_address, **kwargs):
    log_security_event(
        "email.confirmed", request, user=email_address.user, email_address_id=email_address.pk
    )


def _on_email_added(sender, request, user, email_address, **kwargs):
    log_security_event("email.added", request, user=user, email_address_id=email_address.pk)


def _on_email_removed(sender, request, user, email_address, **kwargs):
    log_security_event("email.removed", request, user=user, email_address_id=email_address.pk)


def _on_email_changed(sender, request, user, from_email_address=None, to_email_address=None, **kwargs):
    log_security_event(
        "email.primary_changed",
        request,
        user=user,
        from_email_address_id=getattr(from_email_address, "pk", None),
        to_email_address_id=getattr(to_email_address, "pk", None),
    )


def _on_login_code_rejected(sender, request, user, last_attempt=False, **kwargs):
    log_security_event(
        "auth.login_code_rejected", request, user=None, level=logging.WARNING,
        target_user_id=getattr(user, "pk", None), last_attempt=last_attempt,
    )


def _on_authenticator_added(sender, request, user, authenticator, **kwargs):
    log_security_event(
        "mfa.activated", request, user=user, authenticator=authenticator.type, authenticator_id=authenticator.pk
    )


def _on_authenticator_removed(sender, request, user, authenticator, **kwargs):
    log_security_event(
        "mfa.deactivated", request, user=user, authenticator=authenticator.type, authenticator_id=authenticator.pk
    )


def _on_authenticator_reset(sender, request, user, authenticator, **kwargs):
    log_security_event(
        "mfa.reset", request, user=user, authenticator=authenticator.type, authenticator_id=authenticator.pk
    )


def _on_mfa_failed(sender, request, user, authenticator=None, reauthentication=False, **kwargs):
    log_security_event(
        "mfa.failed", request, user=None, level=logging.WARNING,
        target_user_id=getattr(user, "pk", None),
        authenticator=getattr(authenticator, "type", None),
        reauthentication=reauthentication,
    )


def log_permission_denied(request, exception=None) -> None:
    """Called by the 403 handler: who was refused what. The reason text is not logged (it may
    quote content); the path and user id are enough to find the refusal."""
    log_security_event("permission.denied", request, level=logging.WARNING)


def connect_signals() -> None:
    """Connect every receiver once (dispatch_uid makes repeated calls harmless)."""
    from allauth.account import signals as account_signals
    from allauth.mfa import signals as mfa_signals
    from django.contrib.auth import signals as auth_signals

    connections = [
        (auth_signals.user_logged_in, _on_logged_in),
        (auth_signals.user_login_failed, _on_login_failed),
        (auth_signals.user_logged_out, _on_logged_out),
        (account_signals.user_signed_up, _on_signed_up),
        (account_signals.password_changed, _on_password_changed),
        (account_signals.password_set, _on_password_set),
        (account_signals.password_reset, _on_password_reset),
        (account_signals.email_confirmed, _on_email_confirmed),
        (account_signals.email_added, _on_email_added),
        (account_signals.email_removed, _on_email_removed),
        (account_signals.email_changed, _on_email_changed),
        (account_signals.login_code_rejected, _on_login_code_rejected),
        (mfa_signals.authenticator_added, _on_authenticator_added),
        (mfa_signals.authenticator_removed, _on_authenticator_removed),
        (mfa_signals.authenticator_reset, _on_authenticator_reset),
        (mfa_signals.authentication_failed, _on_mfa_failed),
    ]
    for signal, receiver in connections:
        signal.connect(receiver, dispatch_uid=f"config.security.{receiver.__name__}", weak=False)


# Content-Security-Policy violation reports (POSTed by browsers to /csp-report/).

CSP_REPORT_CONTENT_TYPES = {"application/csp-report", "application/reports+json", "application/json"}
CSP_REPORT_MAX_BYTES = 64 * 1024  # a browser batch of a few dozen reports fits
CSP_REPORTS_PER_REQUEST = 10
_DIRECTIVE_NAME = re.compile(r"[a-z-]*")
_CSP_KEYWORD_URIS = {
    "inline", "eval", "self", "data", "blob", "wasm-eval", "trusted-types-policy", "trusted-types-sink",
}


def _strip_url(value: Any) -> str:
    """A URL without query string or fragment (they may carry tokens), or a CSP keyword as is."""
    if not isinstance(value, str):
        return ""
    value = value.strip()
    if value in _CSP_KEYWORD_URIS:
        return value
    return value.split("#", 1)[0].split("?", 1)[0]


def _path_only(value: Any) -> str:
    from urllib.parse import urlsplit

    if not isinstance(value, str):
        return ""
    try:
        return urlsplit(value.strip()).path
    except ValueError:
        return ""


def parse_csp_reports(payload: Any) -> list[dict[str, str]]:
    """The fields we log from either report format, nothing else.

    `application/csp-report` sends `{"csp-report": {...}}` with hyphenated keys; the Reporting API
    (`application/reports+json`) sends a list of `{"type": "csp-violation", "body": {...}}` with
    camelCase keys. Samples of the blocked script and the page's text are dropped on purpose.
    """
    bodies: list[dict] = []
    if isinstance(payload, dict) and isinstance(payload.get("csp-report"), dict):
        report = payload["csp-report"]
        bodies.append(
            {
                "directive": report.get("effective-directive") or report.get("violated-directive"),
                "blocked": report.get("blocked-uri"),
                "document": report.get("document-uri"),
                "source": report.get("source-file"),
                "line": report.get("line-number"),
                "disposition": report.get("disposition"),
            }
        )
    elif isinstance(payload, list):
        for item in payload:
            if not isinstance(item, dict) or item.get("type") != "csp-violation":
                continue
            body = item.get("body")
            if not isinstance(body, dict):
                continue
            bodies.append(
                {
                    "directive": body.get("effectiveDirective") or body.get("violatedDirective"),
                    "blocked": body.get("blockedURL"),
                    "document": body.get("documentURL") or item.get("url"),
                    "source": body.get("sourceFile"),
                    "line": body.get("lineNumber"),
                    "disposition": body.get("disposition"),
                }
            )
    reports = []
    for body in bodies[:CSP_REPORTS_PER_REQUEST]:
        directive = body["directive"] if isinstance(body["directive"], str) else ""
        line = body["line"] if isinstance(body["line"], int) and not isinstance(body["line"], bool) else None
        reports.append(
            {
                "directive": _DIRECTIVE_NAME.match(directive.strip().lower()).group(0)[:60],
                "blocked_uri": _strip_url(body["blocked"]),
                "document_path": _path_only(body["document"]),
                "source_file": _strip_url(body["source"]),
                "line": line,
                "disposition": body["disposition"] if body["disposition"] in {"enforce", "report"} else None,
            }
        )
    return reports


CSP_REPORTS_PER_MINUTE = 60


def csp_report_allowed(request) -> bool:
    """At most CSP_REPORTS_PER_MINUTE logged report requests per client address, so a script
    posting reports in a loop cannot flood the log. Over the limit we still answer 204."""
    from django.core.cache import cache

    key = f"csp-report:{client_ip(request)}"
    if cache.add(key, 1, timeout=60):
        return True
    try:
        return cache.incr(key) <= CSP_REPORTS_PER_MINUTE
    except ValueError:  # expired between add() and incr()
        return True
