"""A real OpenID Connect provider for the browser tests: allauth's own identity provider
(`allauth.idp.oidc`) in a separate, minimal Django project, run in its own process on loopback by
tests/browser/test_sso.py. Nothing of Common Ground is imported here."""
