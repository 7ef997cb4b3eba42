"""The Site row (django.contrib.sites) follows SITE_URL.

Django's feeds and allauth's emails build full addresses from the Site's domain. It is set again
after every `migrate`, so a server started on another port or host (`PORT=8011 make run`, a new
SITE_URL in production) writes links to itself rather than to wherever it was first migrated.
"""

from __future__ import annotations

from urllib.parse import urlparse

from django.conf import settings
from django.contrib.sites.models import Site  # imported from AppConfig.ready(), once apps are loaded

SERVICE_NAME = "Common Ground"


def site_follows_site_url(sender, using="default", **kwargs) -> None:
    """`post_migrate` of django.contrib.sites: name the site and give it SITE_URL's host and port."""
    domain = urlparse(settings.SITE_URL).netloc
    if domain:
        Site.objects.using(using).update_or_create(
            pk=settings.SITE_ID, defaults={"domain": domain, "name": SERVICE_NAME}
        )
