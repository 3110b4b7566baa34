"""The bench-only URLconf: seatmgr.urls with its admin/ served by the bench admin site, plus a
trivial public view as the load test's floor. Selected by overriding ROOT_URLCONF in the
benchmark process and in bench/wsgi.py; the application never sees it."""

from django.http import HttpResponse
from django.urls import path

from accounts.access import public
from bench.admin_site import site as bench_admin_site
from seatmgr import urls as seatmgr_urls


@public
def trivial(request):
    return HttpResponse(b"ok", content_type="text/plain")


# seatmgr's patterns in their order (the API's first), the admin's replaced by the bench's.
urlpatterns = [
    path("bench/trivial/", trivial, name="bench_trivial"),
    *[
        path("admin/", bench_admin_site.urls) if getattr(p, "namespace", None) == "admin" else p
        for p in seatmgr_urls.urlpatterns
    ],
]
