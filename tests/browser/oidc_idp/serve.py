"""Start the test identity provider: `python -m tests.browser.oidc_idp.serve PORT REDIRECT_URI`.
Makes the database, the client Common Ground signs in with, and two people, then serves."""

import os
import sys

PEOPLE = [("priya@nhs.net", "idp-password-1"), ("mallory@evil.example", "idp-password-2")]
CLIENT_ID = "common-ground"
CLIENT_SECRET = "common-ground-secret"


def main() -> None:
    port, redirect_uri = sys.argv[1], sys.argv[2]
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.browser.oidc_idp.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from allauth.account.models import EmailAddress
    from allauth.idp.oidc.models import Client
    from django.contrib.auth.models import User

    for email, password in PEOPLE:
        user = User.objects.create_user(username=email.split("@")[0], email=email, password=password)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    client = Client(id=CLIENT_ID, name="Common Ground", skip_consent=True)
    client.set_secret(CLIENT_SECRET)
    client.set_scopes(["openid", "profile", "email"])
    client.set_redirect_uris([redirect_uri])
    client.save()
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)


if __name__ == "__main__":
    main()
