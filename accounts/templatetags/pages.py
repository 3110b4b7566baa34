"""The pager's links: the page's own query string (search, filters, sort) with another page."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_query(context, number: int) -> str:
    """`?<the current filters>&page=<number>`, so that page 2 is page 2 of the same list."""
    query = context["request"].GET.copy()
    query["page"] = number
    return "?" + query.urlencode()
