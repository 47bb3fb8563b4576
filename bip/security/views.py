"""The second factor (enrolment, verification, overview) and password recovery by e-mail.

The MFA pages are `never_cache`: they show secrets (the TOTP secret, the recovery codes).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.models import Device

from bip.lib.http import AuthenticatedHttpRequest

from . import mfa
from .decorators import mfa_not_required
from .forms import EnrolmentForm, PasswordResetRequestForm, PasswordSetForm, VerificationForm
from .lockout import client_ip
from .ratelimit import rate_limit_hit
from .tasks import password_reset_mail

NEW_RECOVERY_CODES = "kk_new_recovery_codes"


def _next_url(request: HttpRequest) -> str:
    """Where to go after the MFA step: a safe `next`, else the home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url("home")


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def _verified(request: HttpRequest, device: Device) -> None:
    """Mark the session as having passed the second factor, under a new session id."""
    otp_login(request, device)
    request.session.cycle_key()


def _show_new_codes(request: HttpRequest, codes: list[str], next_url: str) -> HttpResponse:
    """Keep the new codes in the session until the one page that shows them (then dropped)."""
    request.session[NEW_RECOVERY_CODES] = codes
    return redirect(_with_next("security:recovery_codes", next_url))


@mfa_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def mfa_enrol(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Link an authenticator app: first login, or a verified user replacing their phone."""
    user = request.user
    next_url = _next_url(request)
    replacing = user.is_verified()
    if not replacing and mfa.has_second_factor(user):
        return redirect(_with_next("security:mfa_verify", next_url))
    form = EnrolmentForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                enrolment = mfa.totp_enrolment_confirm(
                    user=user,
                    device_id=request.session.get(mfa.ENROLMENT_DEVICE),
                    code=form.cleaned_data["code"],
                    replace=replacing,
                )
            except mfa.MFAError as error:
                form.add_error("code", error.message)
            else:
                mfa.totp_enrolment_forget(request.session)
                _verified(request, enrolment.device)
                messages.success(request, _("Tweestapsverificatie is ingesteld."))
                return _show_new_codes(request, enrolment.recovery_codes, next_url)
        status = 422
    # After the POST: an expired device was deleted there, and a new one is shown now.
    device = mfa.totp_enrolment_device(user=user, session=request.session)
    context = {
        "form": form,
        "next": next_url,
        "replacing": replacing,
        "secret": mfa.totp_secret(device),
        "qr_svg": mfa.totp_qr_svg(device, title=_("QR-code om de authenticator-app te koppelen")),
    }
    return render(request, "registration/mfa_enrol.html", context, status=status)


@mfa_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def mfa_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The second step of every login: a code from the app, or a recovery code."""
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    if not mfa.has_second_factor(user):
        return redirect(_with_next("security:mfa_enrol", next_url))
    form = VerificationForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                device = mfa.mfa_verify(user=user, code=form.cleaned_data["code"])
            except mfa.MFAError as error:
                form.add_error("code", error.message)
            else:
                _verified(request, device)
                left = mfa.recovery_codes_left(user)
                if not mfa.TOTP_CODE.fullmatch(form.cleaned_data["code"]):
                    messages.warning(
                        request,
                        _(
                            "Je hebt een herstelcode gebruikt; die werkt niet nog een keer. "
                            "Je hebt nog %(count)s herstelcodes."
                        )
                        % {"count": left},
                    )
                return redirect(next_url)
        status = 422
    return render(
        request, "registration/mfa_verify.html", {"form": form, "next": next_url}, status=status
    )


@never_cache
@require_GET
def recovery_codes(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Show new recovery codes once; a reload shows nothing."""
    codes = request.session.pop(NEW_RECOVERY_CODES, None)
    if not codes:
        return redirect("security:mfa_overview")
    return render(
        request,
        "registration/mfa_recovery_codes.html",
        {"codes": codes, "next": _next_url(request)},
    )


@never_cache
@require_GET
def mfa_overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own second factor: app linked, recovery codes left, new codes, new app."""
    user = request.user
    return render(
        request,
        "registration/mfa_overview.html",
        {
            "has_app": mfa.confirmed_totp_device(user) is not None,
            "codes_left": mfa.recovery_codes_left(user),
            "verified": user.is_verified(),
        },
    )


@require_POST
def recovery_codes_replace(request: AuthenticatedHttpRequest) -> HttpResponse:
    """New recovery codes; only for a session that passed the second factor."""
    if not request.user.is_verified():
        step = mfa.mfa_step(request.user)
        return redirect(_with_next(step, reverse("security:mfa_overview")))
    codes = mfa.recovery_codes_replace(user=request.user)
    messages.success(request, _("Je hebt nieuwe herstelcodes. De oude werken niet meer."))
    return _show_new_codes(request, codes, reverse("security:mfa_overview"))


# Password recovery. Public pages (login_not_required, so the MFA step does not apply): a
# reset sets the password only, it never logs in, and the next login still asks for the
# second factor.
PASSWORD_RESET_PER_ADDRESS = 10  # requests per client address per hour
PASSWORD_RESET_PER_EMAIL = 3  # requests per e-mail address per hour
PASSWORD_RESET_WINDOW = 60 * 60


def _too_many_password_requests(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "registration/password_reset_too_many.html",
        {"minutes": PASSWORD_RESET_WINDOW // 60},
        status=429,
    )


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def password_reset_request(request: HttpRequest) -> HttpResponse:
    """Ask for a password link by e-mail address.

    The answer is the same page whether or not an account has that address, and takes the same
    path: the lookup and the mail happen in a background task. Rate-limited per client address
    and per e-mail address (429); neither limit depends on whether the account exists.
    """
    form = PasswordResetRequestForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        address = client_ip(request) or "unknown"
        if not rate_limit_hit(
            scope="password-reset-address",
            value=address,
            limit=PASSWORD_RESET_PER_ADDRESS,
            window=PASSWORD_RESET_WINDOW,
        ):
            return _too_many_password_requests(request)
        if form.is_valid():
            email = form.cleaned_data["email"]
            if not rate_limit_hit(
                scope="password-reset-email",
                value=email,
                limit=PASSWORD_RESET_PER_EMAIL,
                window=PASSWORD_RESET_WINDOW,
            ):
                return _too_many_password_requests(request)
            password_reset_mail.enqueue(email)
            return redirect("password_reset_done")
        status = 422
    return render(request, "registration/password_reset_form.html", {"form": form}, status=status)


password_reset_done = login_not_required(
    auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html")
)
password_reset_confirm = login_not_required(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="registration/password_reset_confirm.html",
        form_class=PasswordSetForm,
        success_url=reverse_lazy("password_reset_complete"),
        # Never log in here: the next login asks for the password and the second factor.
        post_reset_login=False,
    )
)
password_reset_complete = login_not_required(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="registration/password_reset_complete.html"
    )
)
