"""Pages of a long list: which page a request asks for, and its query string without the page.

The pager itself is one template, partials/pager.html, whose links keep the query string
(accounts/templatetags/pages.py), so that page 2 is page 2 of the same filtered list.
"""

from django.core.paginator import Paginator

PER_PAGE = 50


def page_of(request, items, per_page: int = PER_PAGE):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
