from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("members/<int:pk>/", views.profile_by_id, name="profile_by_id"),
    path("members/<int:pk>-<slug:slug>/", views.profile, name="profile"),
    path("members/<int:pk>/affiliation/", views.affiliation_decision, name="affiliation_decision"),
    path("account/", views.account_settings, name="settings"),
    path("account/welcome/", views.onboarding, name="onboarding"),
    path("account/profile/", views.edit_profile, name="edit_profile"),
    path("account/confirm-email/resend/", views.resend_verification, name="resend_verification"),
    path("account/your-data/", views.data_export, name="data_export"),
    path("account/delete/", views.delete_account, name="delete_account"),
]
