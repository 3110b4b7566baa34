"""Users & Teams pages. Thin: check permission, read through a selector, render."""

from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.access import member_required
from accounts.policy import AccountPermission
from accounts.selectors import member_list
from seats.selectors import seat_pool_summaries

USERS_PER_PAGE = 50


@member_required(AccountPermission.USERS)
def users(request):
    account = request.membership.account
    page = Paginator(member_list(account=account), USERS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "seats/users.html",
        {"page": page, "pools": seat_pool_summaries(account=account)},
    )
