"""The /csp-report/ endpoint: both report formats, limits, and what reaches the log."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from config import security

pytestmark = pytest.mark.django_db

URL = "/csp-report/"

LEGACY_REPORT = {
    "csp-report": {
        "document-uri": "https://commonground.example/themes/waiting-lists/?token=secret-reset-token#c12",
        "referrer": "",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'self'; script-src 'self' 'nonce-abc'",
        "disposition": "enforce",
        "blocked-uri": "https://evil.example/steal.js?session=abc123",
        "line-number": 42,
        "source-file": "https://commonground.example/static/build/app.js",
        "status-code": 200,
        "script-sample": "alert('private comment text')",
    }
}

REPORTING_API_REPORTS = [
    {
        "type": "csp-violation",
        "age": 10,
        "url": "https://commonground.example/articles/unified-health-service/",
        "user_agent": "Mozilla/5.0",
        "body": {
            "documentURL": "https://commonground.example/articles/unified-health-service/?q=1",
            "effectiveDirective": "style-src-attr",
            "blockedURL": "inline",
            "disposition": "enforce",
            "sample": "color: red; the page text someone typed",
            "lineNumber": 3,
            "statusCode": 200,
        },
    },
    {"type": "deprecation", "body": {"message": "ignored"}},
]


def csp_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "security" and "event=csp.violation" in r.getMessage()]


def test_a_legacy_report_is_logged_as_one_warning_line_without_samples_or_query_strings(caplog):
    client = Client(enforce_csrf_checks=True)  # browsers have no CSRF token for this
    response = client.post(URL, json.dumps(LEGACY_REPORT), content_type="application/csp-report")

    assert response.status_code == 204
    [line] = csp_lines(caplog)
    assert "directive=script-src-elem" in line
    assert "blocked_uri=https://evil.example/steal.js" in line
    assert "document_path=/themes/waiting-lists/" in line
    assert "line=42" in line
    assert "\n" not in line
    for secret in ("private comment text", "secret-reset-token", "session=abc123", "original-policy", "nonce-abc"):
        assert secret not in line
    record = next(r for r in caplog.records if "event=csp.violation" in r.getMessage())
    assert record.levelname == "WARNING"


def test_reporting_api_batches_log_each_csp_violation_and_skip_other_report_types(caplog):
    response = Client().post(URL, json.dumps(REPORTING_API_REPORTS), content_type="application/reports+json")

    assert response.status_code == 204
    [line] = csp_lines(caplog)
    assert "directive=style-src-attr" in line
    assert "blocked_uri=inline" in line
    assert "document_path=/articles/unified-health-service/" in line
    assert "page text" not in line
    assert "q=1" not in line


def test_a_huge_batch_logs_at_most_the_per_request_cap(caplog):
    batch = [REPORTING_API_REPORTS[0]] * (security.CSP_REPORTS_PER_REQUEST + 5)
    body = json.dumps(batch)
    assert len(body) < security.CSP_REPORT_MAX_BYTES
    Client().post(URL, body, content_type="application/reports+json")
    assert len(csp_lines(caplog)) == security.CSP_REPORTS_PER_REQUEST


def test_a_body_over_the_size_limit_is_refused_unread(caplog):
    padding = "x" * (security.CSP_REPORT_MAX_BYTES + 1)
    report = {"csp-report": {**LEGACY_REPORT["csp-report"], "script-sample": padding}}
    response = Client().post(URL, json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 413
    assert csp_lines(caplog) == []


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "text/html"])
def test_other_content_types_are_refused(content_type, caplog):
    response = Client().post(URL, json.dumps(LEGACY_REPORT), content_type=content_type)
    assert response.status_code == 415
    assert csp_lines(caplog) == []


def test_malformed_json_is_a_bad_request():
    response = Client().post(URL, "{not json", content_type="application/csp-report")
    assert response.status_code == 400


def test_json_that_is_not_a_report_is_accepted_and_ignored(caplog):
    response = Client().post(URL, json.dumps({"hello": "world"}), content_type="application/csp-report")
    assert response.status_code == 204
    assert csp_lines(caplog) == []


def test_get_is_not_allowed():
    assert Client().get(URL).status_code == 405


def test_a_client_posting_in_a_loop_stops_filling_the_log(caplog):
    client = Client()
    for _ in range(security.CSP_REPORTS_PER_MINUTE + 5):
        assert client.post(URL, json.dumps(LEGACY_REPORT), content_type="application/csp-report").status_code == 204
    assert len(csp_lines(caplog)) == security.CSP_REPORTS_PER_MINUTE


def test_log_values_cannot_break_the_line_or_forge_keys(caplog):
    forged = "img-src\nevent=auth.login user_id=1"
    report = {"csp-report": {**LEGACY_REPORT["csp-report"], "effective-directive": forged}}
    Client().post(URL, json.dumps(report), content_type="application/csp-report")
    [line] = csp_lines(caplog)
    assert "\n" not in line
    assert "directive=img-src " in line
    assert line.count("event=") == 1
