from django.urls import path

from . import views

app_name = "audit"

urlpatterns = [
    path("", views.access_log, name="log"),
    path("kind-opzoeken/", views.find_child, name="find_child"),
    path("kind/<int:child_pk>/", views.child_access, name="child_access"),
    path("kind/<int:child_pk>/inzage/", views.inzage_file, name="inzage"),
    path("kind/<int:child_pk>/inzage.json", views.inzage_json, name="inzage_json"),
]
