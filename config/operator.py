"""Who runs this copy of Common Ground, and how people reach them.

The privacy notice, the accessibility statement, the contact page and the footer read the
operator's details from settings (OPERATOR_NAME, CONTACT_EMAIL and the others in `.env.example`),
through `current()`, which the `site` context processor gives every template as `OPERATOR`.
Optional details that are not set are empty, and the templates leave their lines out.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

# Said wherever the operator's name would go when OPERATOR_NAME is not set (development).
UNNAMED = "the organisation that runs this service"


@dataclass(frozen=True)
class Operator:
    name: str
    public_authority: bool
    email: str
    phone: str
    postal_address: tuple[str, ...]
    dpo_name: str
    dpo_email: str
    ico_registration_number: str
    hosting_provider: str
    email_provider: str

    @property
    def display_name(self) -> str:
        """The organisation's name, or a description of it when none is set."""
        return self.name or UNNAMED

    @property
    def phone_link(self) -> str:
        """The number for a tel: link: digits and a leading + only."""
        return "".join(c for c in self.phone if c.isdigit() or c == "+")

    @property
    def has_contact_details(self) -> bool:
        return bool(self.email or self.phone or self.postal_address)


def current() -> Operator:
    """The operator as the settings say now (read per request, so tests can change them)."""
    return Operator(
        name=settings.OPERATOR_NAME,
        public_authority=settings.OPERATOR_IS_PUBLIC_AUTHORITY,
        email=settings.CONTACT_EMAIL,
        phone=settings.CONTACT_PHONE,
        postal_address=tuple(settings.CONTACT_POSTAL_ADDRESS),
        dpo_name=settings.DPO_NAME,
        dpo_email=settings.DPO_EMAIL,
        ico_registration_number=settings.ICO_REGISTRATION_NUMBER,
        hosting_provider=settings.HOSTING_PROVIDER,
        email_provider=settings.EMAIL_PROVIDER,
    )
