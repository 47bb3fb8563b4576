from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from . import health, views
from .security import views as security_views
from .security.decorators import mfa_not_required
from .security.forms import AdminLoginForm, LoginForm

admin.site.site_header = "Ketenkameleon – beheer"
admin.site.site_title = "Ketenkameleon"
# The admin's own login page refuses over-long user names like the app's (no 500 in axes).
admin.site.login_form = AdminLoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path("geen-rol/", views.no_role, name="no_role"),
    path("beheerder/", views.administrator_home, name="administrator_home"),
    path(
        "inloggen/",
        auth_views.LoginView.as_view(
            template_name="registration/login.html",
            authentication_form=LoginForm,
            redirect_authenticated_user=True,
        ),
        name="login",
    ),
    # Password recovery by e-mail (public; see bip/security/views.py).
    path("wachtwoord-vergeten/", security_views.password_reset_request, name="password_reset"),
    path(
        "wachtwoord-vergeten/verstuurd/",
        security_views.password_reset_done,
        name="password_reset_done",
    ),
    path(
        "wachtwoord-instellen/<uidb64>/<token>/",
        security_views.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path(
        "wachtwoord-instellen/klaar/",
        security_views.password_reset_complete,
        name="password_reset_complete",
    ),
    path("uitloggen/", mfa_not_required(auth_views.LogoutView.as_view()), name="logout"),
    path("tweestapsverificatie/", include("bip.security.urls")),
    path("taal/", login_not_required(set_language), name="set_language"),
    # The load balancer's health check (bip/health.py): public, no data.
    path("gezondheid/", health.health, name="health"),
    path("zaken/", include("cases.urls")),
    # The evaluation's pages about one case keep the case's path (evaluation/case_urls.py).
    path("zaken/", include("evaluation.case_urls")),
    path("evaluatie/", include("evaluation.urls")),
    path("toegangslog/", include("audit.urls")),
    path("beheer/", admin.site.urls),
    # The machine API (api/): its own authentication, its own access-log entries.
    path("api/v1/", include("api.urls")),
]
