from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("", views.mfa_overview, name="mfa_overview"),
    path("instellen/", views.mfa_enrol, name="mfa_enrol"),
    path("controleren/", views.mfa_verify, name="mfa_verify"),
    path("herstelcodes/", views.recovery_codes, name="recovery_codes"),
    path("herstelcodes/vernieuwen/", views.recovery_codes_replace, name="recovery_codes_replace"),
]
