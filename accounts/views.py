"""Sign up and the learner's profile. Log in/out and passwords are django.contrib.auth's views."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.middleware import HtmxDetails

from accounts.forms import EMAIL_UNAVAILABLE, AccountDeleteForm, ProfileForm, SignupForm
from accounts.learner_data import as_csv_zip, as_json, learner_data
from accounts.services import account_create, account_delete, email_in_use, profile_for
from accounts.throttle import SIGNUP, throttled

PROFILE_FRAGMENT = "accounts/profile.html#profile-form"


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails
    user: User


def _safe_next(request: HttpRequest) -> str:
    """Where to go after signing up: the `next` asked for if it stays on this site, else the dashboard."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@require_http_methods(["GET", "POST"])
@throttled(SIGNUP, count_every_post=True)
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        # A URL, never a view name: redirect() would reverse `?next=dashboard` and fail.
        return HttpResponseRedirect(_safe_next(request))
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method != "POST":
        return render(request, "accounts/signup.html", {"form": SignupForm(), "next": next_url})

    form = SignupForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            user = account_create(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                time_zone=data["time_zone"],
            )
        except IntegrityError:
            # The form checked name and address were free, but a concurrent sign-up (a double
            # click, a script) won the insert; the unique indexes decided, say which one.
            if email_in_use(data["email"]):
                form.add_error("email", EMAIL_UNAVAILABLE)
            else:
                form.add_error("username", "This username was just taken. Please choose another.")
        else:
            # The site's one backend (settings.AUTHENTICATION_BACKENDS): the session names it.
            login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
            return HttpResponseRedirect(_safe_next(request))
    # A bound form with errors is a bad request; the page still shows every message next to its field.
    return render(request, "accounts/signup.html", {"form": form, "next": next_url}, status=400)


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HtmxHttpRequest) -> HttpResponse:
    account = profile_for(request.user)
    template = PROFILE_FRAGMENT if request.htmx else "accounts/profile.html"
    if request.method != "POST":
        return render(request, template, {"form": ProfileForm(instance=account), "profile": account})

    form = ProfileForm(request.POST, instance=account)
    if not form.is_valid():
        return render(request, template, {"form": form, "profile": account}, status=400)
    form.save()
    if request.htmx:
        return render(
            request,
            PROFILE_FRAGMENT,
            {"form": ProfileForm(instance=account), "profile": account, "saved": True},
        )
    messages.success(request, "Your settings are saved.")
    return redirect("accounts:profile")


@require_GET
@login_required
def data_export(request: HtmxHttpRequest, fmt: str) -> HttpResponse:
    """Everything held about the learner: `json` as one document, `csv` as a zip of one file per table."""
    if fmt not in ("json", "csv"):
        raise Http404("Exports come as .json or .csv.")
    data = learner_data(request.user)
    stamp = timezone.now().strftime("%Y%m%d")
    if fmt == "json":
        response = HttpResponse(as_json(data), content_type="application/json; charset=utf-8")
        name = f"studyhall-{request.user.username}-{stamp}.json"
    else:
        response = HttpResponse(as_csv_zip(data), content_type="application/zip")
        name = f"studyhall-{request.user.username}-{stamp}-csv.zip"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    # Personal data: never kept by a shared cache or the browser's back-forward store.
    response["Cache-Control"] = "no-store, private"
    return response


@require_http_methods(["GET", "POST"])
@login_required
def account_delete_view(request: HtmxHttpRequest) -> HttpResponse:
    """Delete the account after the password is confirmed; GET only shows what will happen."""
    if request.method != "POST":
        return render(request, "accounts/delete.html", {"form": AccountDeleteForm(user=request.user)})
    form = AccountDeleteForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(request, "accounts/delete.html", {"form": form}, status=400)
    account_delete(user=request.user)
    logout(request)
    messages.success(request, "Your account is deleted. Your answers remain only as anonymous statistics.")
    return redirect("courses:catalog")
