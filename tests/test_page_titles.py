"""Every page's <title> is words, never markup that slipped into the title block (the Seats tab
once carried its <script> tags there, so the browser tab read "Seats <script src=…")."""

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User

PAGES = [
    "seats:users",
    "billing:seats",
    "billing:account",
    "billing:pricing",
    "seats:audit_log",
    "accounts:profile",
    "accounts:notifications",
    "accounts:account_defaults",
    "accounts:teams",
    "seats:permission_sets",
    "seats:presets",
    "seats:reclaim_policy",
    "invitations:create_user",
]


@pytest.mark.django_db
def test_page_titles_hold_no_markup():
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    client = Client()
    client.force_login(User.objects.get(email="superadmin@demo.example.com"))
    for name in PAGES:
        page = client.get(reverse(name)).content.decode()
        [title] = re.findall(r"<title>(.*?)</title>", page, flags=re.S)
        assert "<" not in title and title.endswith(" · seatmgr"), (name, title)
