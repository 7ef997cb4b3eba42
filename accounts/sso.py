"""Single sign-on rules: whom an OpenID Connect provider may sign in, and whether the email address
it sends counts as confirmed (docs/accounts.md, "Single sign-on").

An identity provider's `email` claim is not proof by itself: in Entra ID anyone who runs a tenant
can put any address there (the "nOAuth" takeover). So an address counts as confirmed only when
the provider's app lists the tenant it came from (`allowed_tenants`, matched on the signed `tid`
claim), or, for a provider without tenants, when the address is at an allowed domain and the
provider says it checked it (`email_verified`). Anything else is refused before an account is
made or found.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.affiliation import candidate_rules, email_domain


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""  # shown to the person refused, so in plain words


def identity_claims(extra_data: dict) -> dict:
    """The claims to judge by: the ID token's (signed, or fetched directly from the provider) over
    anything userinfo says, because userinfo is not signed and may lack `tid` and `amr`."""
    extra_data = extra_data or {}
    if "id_token" in extra_data or "userinfo" in extra_data:
        return {**(extra_data.get("userinfo") or {}), **(extra_data.get("id_token") or {})}
    return dict(extra_data)


def _domain_allowed(domain: str, allowed_domains: list[str]) -> bool:
    return any(rule in allowed_domains for rule in candidate_rules(domain))


def decide(app_settings: dict, claims: dict, email: str | None) -> Decision:
    """Whether a sign-in with these claims and this address may go ahead, with a confirmed address."""
    if not email:
        return Decision(False, "The organisation's sign-in did not tell us your email address.")
    tenants = app_settings.get("allowed_tenants") or []
    domains = app_settings.get("allowed_domains") or []
    if tenants:
        if str(claims.get("tid", "")).lower() not in tenants:
            return Decision(False, "Your organisation's account is not one this site accepts for this sign-in.")
    elif claims.get("email_verified") is not True:
        return Decision(False, "The organisation's sign-in did not confirm your email address.")
    if domains and not _domain_allowed(email_domain(email), domains):
        return Decision(False, "Email addresses at that domain cannot use this sign-in.")
    return Decision(True)


# Set in the session when an allow-listed tenant said the person used a second factor to sign in
# (accounts.permissions.passed_second_factor reads it); signing out ends the session and it.
SECOND_FACTOR_SESSION_KEY = "cg_sso_second_factor"


def asserts_mfa(app_settings: dict, claims: dict) -> bool:
    """Whether an allowed tenant says the person used a second factor (`amr` containing `mfa`).
    Without allowed tenants nobody vouches for the claim, so it never counts."""
    tenants = app_settings.get("allowed_tenants") or []
    amr = claims.get("amr") or []
    return bool(tenants) and str(claims.get("tid", "")).lower() in tenants and isinstance(amr, list) and "mfa" in amr
