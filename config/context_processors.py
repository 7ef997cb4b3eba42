from django.conf import settings

from config import operator


def site(request):
    match = getattr(request, "resolver_match", None)
    nav_section = (match.app_name or match.url_name or "") if match else ""
    return {
        "SERVICE_NAME": "Common Ground",
        "SITE_URL": settings.SITE_URL,
        "nav_section": nav_section,
        "FIRST_POSTS_CHECKED": settings.PREMODERATE_FIRST_COMMENTS,
        "MODERATION_USUAL_HOURS": settings.MODERATION_USUAL_HOURS,
        "OPERATOR": operator.current(),
    }
