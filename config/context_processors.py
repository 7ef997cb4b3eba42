from django.conf import settings

from config import operator

MAP_PAGES = ("map", "region")


def site(request):
    match = getattr(request, "resolver_match", None)
    nav_section = (match.app_name or match.url_name or "") if match else ""
    if match and (match.url_name or "").startswith(MAP_PAGES):
        nav_section = "map"  # the planning map's pages light up its own menu item
    return {
        "SERVICE_NAME": "Common Ground",
        "SITE_URL": settings.SITE_URL,
        "nav_section": nav_section,
        "FIRST_POSTS_CHECKED": settings.PREMODERATE_FIRST_COMMENTS,
        "MODERATION_USUAL_HOURS": settings.MODERATION_USUAL_HOURS,
        "OPERATOR": operator.current(),
    }
