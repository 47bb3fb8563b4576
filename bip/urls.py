from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from . import views
from .security.decorators import mfa_not_required

admin.site.site_header = "Ketenkameleon – beheer"
admin.site.site_title = "Ketenkameleon"

urlpatterns = [
    path("", views.home, name="home"),
    path("geen-rol/", views.no_role, name="no_role"),
    path(
        "inloggen/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("uitloggen/", mfa_not_required(auth_views.LogoutView.as_view()), name="logout"),
    path("tweestapsverificatie/", include("bip.security.urls")),
    path("taal/", login_not_required(set_language), name="set_language"),
    path("zaken/", include("cases.urls")),
    path("evaluatie/", include("evaluation.urls")),
    path("toegangslog/", include("audit.urls")),
    path("beheer/", admin.site.urls),
]
