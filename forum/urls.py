from django.urls import path

app_name = "forum"

urlpatterns: list = []
