"""Claims as Entra ID sends them: a tenant (`tid`) for every person, and `amr`. People at
nhs.net are in the allowed tenant; everyone else is in another one."""

from allauth.idp.oidc.adapter import DefaultOIDCAdapter

ALLOWED_TENANT = "11111111-2222-3333-4444-555555555555"
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"


def tenant_for(email: str) -> str:
    return ALLOWED_TENANT if email.lower().endswith("@nhs.net") else OTHER_TENANT


class TenantAdapter(DefaultOIDCAdapter):
    def get_claims(self, purpose, user, client, scopes, email=None, **kwargs):
        claims = super().get_claims(purpose, user, client, scopes, email=email, **kwargs)
        claims["tid"] = tenant_for(user.email)
        claims["amr"] = ["pwd"]
        return claims
