from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from config import views

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", TemplateView.as_view(template_name="pages/about.html"), name="about"),
    path("privacy/", TemplateView.as_view(template_name="pages/privacy.html"), name="privacy"),
    path(
        "accessibility/",
        TemplateView.as_view(template_name="pages/accessibility.html"),
        name="accessibility",
    ),
    path("contact/", TemplateView.as_view(template_name="pages/contact.html"), name="contact"),
    path("healthz", views.healthz, name="healthz"),
    path("csp-report/", views.csp_report, name="csp_report"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("articles/", include("articles.urls")),
    path("", include("forum.urls")),
]

if settings.BENCHMARK_ENDPOINTS:
    # The benchmark's control: a short HTML string through the full middleware stack.
    urlpatterns.append(path("bench/trivial/", views.trivial, name="bench_trivial"))

handler404 = "config.views.page_not_found"
handler403 = "config.views.permission_denied"
handler500 = "config.views.server_error"
