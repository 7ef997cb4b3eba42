from django.urls import include, path

from accounts import views

app_name = "accounts"

members = [  # public profiles, and verifying a member's group
    path("", views.profile_by_id, name="profile_by_id"),
    path("affiliation/", views.affiliation_decision, name="affiliation_decision"),
]

account = [  # the member's own account and data
    path("", views.account_settings, name="settings"),
    path("welcome/", views.onboarding, name="onboarding"),
    path("profile/", views.edit_profile, name="edit_profile"),
    path("confirm-email/resend/", views.resend_verification, name="resend_verification"),
    path("your-data/", views.data_export, name="data_export"),
    path("delete/", views.delete_account, name="delete_account"),
]

urlpatterns = [
    path("members/<int:pk>/", include(members)),
    path("members/<int:pk>-<slug:slug>/", views.profile, name="profile"),
    path("account/", include(account)),
]
