"""The header nav: Sign in / Sign up for visitors; Dashboard, Review, Profile and Sign out once signed in."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

NAV_RE = re.compile(r'<nav class="site-nav".*?</nav>', re.DOTALL)


def nav(client: Client) -> str:
    html = client.get(reverse("courses:catalog")).content.decode()
    match = NAV_RE.search(html)
    assert match, "no site nav on the page"
    return match.group(0)


def test_anonymous_sees_sign_in_and_sign_up(client: Client) -> None:
    html = nav(client)

    assert f'href="{reverse("courses:catalog")}"' in html
    assert f'href="{reverse("login")}">Sign in</a>' in html
    assert f'href="{reverse("accounts:signup")}">Sign up</a>' in html
    for hidden in ("Dashboard", "Review", "Profile", "Sign out", "Admin"):
        assert hidden not in html


def test_student_sees_their_links_and_a_post_sign_out(student_client: Client) -> None:
    html = nav(student_client)

    assert f'href="{reverse("mastery:dashboard")}">Dashboard</a>' in html
    assert f'href="{reverse("mastery:review")}">Review</a>' in html
    assert f'href="{reverse("accounts:profile")}">Profile</a>' in html
    assert f'method="post" action="{reverse("logout")}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert ">Sign out</button>" in html
    assert "Sign in" not in html
    assert "Sign up" not in html
    assert "Admin" not in html


def test_instructor_also_sees_admin(instructor_client: Client) -> None:
    html = nav(instructor_client)

    assert f'href="{reverse("admin:index")}">Admin</a>' in html
    assert "Sign out" in html
    assert "Sign in" not in html
