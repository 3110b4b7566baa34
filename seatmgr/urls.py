from django.contrib import admin
from django.urls import include, path

from api.v1 import urls as api_v1_urls

# Django tries the patterns in order: the JSON API first, so that a call to it is not first
# tried against the pages' patterns (about 140 before it, when it came last).
urlpatterns = [
    path("api/v1/", api_v1_urls()),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("", include("seats.urls")),
    path("", include("billing.urls")),
    path("", include("invitations.urls")),
    path("", include("api.urls")),
    path("", include("scim.urls")),
    path("", include("ops.urls")),
]
