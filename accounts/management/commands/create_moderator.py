"""Make a moderator in one step, for a new install: `manage.py create_moderator --email ... --name ...`.

The account gets a confirmed address, a complete profile, the Moderators group and an
authenticator (TOTP). The authenticator's setup address and recovery codes are written once, to
this terminal only: never to the log, never again. Scan the QR code (or type the secret) into an
authenticator app, then sign in with the password and a code.
"""

from __future__ import annotations

import getpass
import io
import sys

import qrcode
from allauth.account.models import EmailAddress
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import StakeholderGroup, User
from accounts.permissions import MODERATORS_GROUP
from accounts.validators import clean_display_name, name_key


class Command(BaseCommand):
    help = "Create a moderator with a confirmed address and an authenticator; shows its setup once, here."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True, help="The moderator's email address (it counts as confirmed).")
        parser.add_argument("--name", required=True, help="The display name other members see.")
        parser.add_argument(
            "--group",
            default=StakeholderGroup.OTHER,
            choices=[value for value, _label in StakeholderGroup.choices],
            help="The stakeholder group they speak for (default: other).",
        )
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from the first line of standard input instead of asking twice.",
        )

    def handle(self, *args, email: str, name: str, group: str, password_stdin: bool, **options):
        email = email.strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise CommandError(
                f"{email} already has an account. Add it to the Moderators group in the admin instead."
            )
        try:
            name = clean_display_name(name)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        if User.objects.filter(display_name_key=name_key(name)[:50]).exists():
            raise CommandError(f"Another member is already called {name}. Choose another name.")
        password = self._password(password_stdin)
        try:
            validate_password(password, User(email=email, display_name=name))
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        user, secret, codes = self._create(email=email, name=name, group=group, password=password)
        self._show_setup(user, secret, codes)

    def _password(self, from_stdin: bool) -> str:
        if from_stdin:
            return sys.stdin.readline().rstrip("\n")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password again: "):
            raise CommandError("The two passwords are not the same. Nothing was created.")
        return first

    @transaction.atomic
    def _create(self, *, email: str, name: str, group: str, password: str):
        user = User.objects.create_user(email=email, password=password, display_name=name, stakeholder_group=group)
        EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
        user.groups.add(Group.objects.get(name=MODERATORS_GROUP))
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
        codes = RecoveryCodes.activate(user).generate_codes()
        return user, secret, codes

    def _show_setup(self, user: User, secret: str, codes: list[str]) -> None:
        """Written to this terminal only; the secret is kept encrypted and never shown again."""
        url = get_mfa_adapter().build_totp_url(user, secret)
        picture = io.StringIO()
        code = qrcode.QRCode(border=1)
        code.add_data(url)
        code.print_ascii(out=picture, invert=True)
        write = self.stdout.write
        write(self.style.SUCCESS(f"{user.display_name} <{user.email}> is a moderator."))
        write("Add the authenticator to an app now: this is shown once and never written to the log.")
        write(picture.getvalue())
        write(f"Setup address: {url}")
        write(f"Or type the secret: {secret}")
        write("Recovery codes (each works once, if the phone is lost): " + " ".join(codes))
        write("Then sign in with the email address, the password and a code from the app.")
