"""What the organisation pages share (Teams, Permission sets, Presets, Audit log).

Their views are thin: check permission (member_required), look every object up inside the
current account (an id from another account is a 404), validate a form, call one service,
render or redirect. A domain error becomes a message at the field it concerns, never a 500.
"""

from django.core.paginator import Paginator

PER_PAGE = 50


def posted(request):
    """The submitted data of a POST, even an empty one (an empty POST is still a submission)."""
    return request.POST if request.method == "POST" else None


def page_of(request, items, per_page: int = PER_PAGE):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
