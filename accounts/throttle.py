"""Throttles for the doors into an account: sign-in (site and admin), sign-up, password reset.

One place decides every limit. Counts live in the cache (Redis in production, so every
web node sees the same counts; the local-memory cache in the embedded mode) through
django-ratelimit's counter, which keeps a fixed window per rule and key. A door checks
`retry_after()` before it does anything and answers 429 with when to retry; it records
with `hit()`: sign-in records only failed passwords (django.contrib.auth's
user_login_failed, which the admin's sign-in sends too), sign-up and reset every POST.

Per account *and* per client: the account rule stops a slow guess at one account from
many addresses; the client rule stops one address from trying many accounts.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address: the proxy's header when one is configured (nginx sets it), else the peer."""
    header = getattr(settings, "CLIENT_IP_HEADER", "")
    forwarded = request.META.get(header, "") if header else ""
    return (forwarded.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")) or "unknown"


def _posted(name: str) -> Callable[[str, HttpRequest], str]:
    def key(group: str, request: HttpRequest) -> str:
        # Case and spaces do not make a new account name or address, so they do not make a new budget.
        return str(request.POST.get(name, "")).strip().lower()[:254]

    return key


def _client(group: str, request: HttpRequest) -> str:
    return client_ip(request)


@dataclass(frozen=True)
class Rule:
    group: str
    rate: str  # django-ratelimit's notation: "5/15m" is five in each 15-minute window
    key: Callable[[str, HttpRequest], str]
    what: str  # how the message names what is limited


SIGNIN_ACCOUNT = Rule("signin-account", "5/15m", _posted("username"), "failed sign-ins for this account")
SIGNIN_CLIENT = Rule("signin-client", "20/15m", _client, "failed sign-ins from your network")
SIGNUP_CLIENT = Rule("signup-client", "10/h", _client, "sign-ups from your network")
RESET_CLIENT = Rule("reset-client", "5/h", _client, "password reset requests from your network")
RESET_ADDRESS = Rule("reset-address", "3/h", _posted("email"), "password reset requests for this address")

SIGNIN = (SIGNIN_ACCOUNT, SIGNIN_CLIENT)
SIGNUP = (SIGNUP_CLIENT,)
RESET = (RESET_CLIENT, RESET_ADDRESS)


def _usage(request: HttpRequest, rule: Rule, *, increment: bool) -> dict[str, Any] | None:
    try:
        return get_usage(request, group=rule.group, key=rule.key, rate=rule.rate, increment=increment)
    except Exception:
        # A cache that is down must not lock every learner out (nor answer 500): the door
        # stays open and the outage is logged; the password check still applies.
        logger.exception("Throttle %s could not reach the cache", rule.group)
        return None


@dataclass(frozen=True)
class Refusal:
    rule: Rule
    seconds: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.seconds / 60))


def retry_after(request: HttpRequest, rules: Iterable[Rule]) -> Refusal | None:
    """The longest wait any spent rule asks for, or None when every rule has budget left."""
    worst: Refusal | None = None
    for rule in rules:
        usage = _usage(request, rule, increment=False)
        if usage is None or usage["count"] < usage["limit"]:
            continue
        seconds = max(1, int(usage["time_left"]))
        if worst is None or seconds > worst.seconds:
            worst = Refusal(rule, seconds)
    return worst


def hit(request: HttpRequest, rules: Iterable[Rule]) -> None:
    for rule in rules:
        _usage(request, rule, increment=True)


def refused(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    """429 with the reason and when to retry, in words and in Retry-After."""
    response = render(request, "accounts/throttled.html", {"refusal": refusal}, status=429)
    response["Retry-After"] = str(refusal.seconds)
    return response


def throttled(rules: tuple[Rule, ...], *, count_every_post: bool) -> Callable[[Any], Any]:
    """Wrap a view: a POST when a rule is spent gets 429; count_every_post records each POST."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method == "POST":
                refusal = retry_after(request, rules)
                if refusal is not None:
                    return refused(request, refusal)
                if count_every_post:
                    hit(request, rules)
            return view(request, *args, **kwargs)

        wrapped.__name__ = getattr(view, "__name__", "view")
        wrapped.__doc__ = view.__doc__
        return wrapped

    return decorate


@receiver(user_login_failed)
def _count_failed_signin(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Only a wrong password spends the budget: a learner who signs in at the first try
    # many times a day is never slowed down.
    if request is not None:
        hit(request, SIGNIN)
