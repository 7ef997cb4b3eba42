from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("members/<int:pk>-<slug:slug>/", views.profile, name="profile"),
    path("account/", views.account_settings, name="settings"),
]
