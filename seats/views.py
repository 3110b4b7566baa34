"""Users & Teams pages. Thin: check permission, read through a selector, render."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.access import member_required
from accounts.models import Membership, SeatType
from accounts.policy import AccountPermission
from accounts.selectors import member_list
from seats.catalogue import SEAT_RULES
from seats.errors import SeatsError
from seats.forms_user import SeatChangeForm
from seats.selectors import seat_choices_for, seat_pool_summaries
from seats.services import member_seat_change, seat_change_preview

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


@member_required(AccountPermission.USERS)
def user_detail(request, membership_id: int):
    """A user's page: their seat ("Assign a seat"); more of the user's settings come here."""
    account = request.membership.account
    member = get_object_or_404(
        Membership.objects.select_related("user", "main_team", "permission_set"),
        pk=membership_id,
        account=account,
    )
    choices = seat_choices_for(account=account)
    if member.seat_type not in dict(choices):
        choices.append((member.seat_type, str(SEAT_RULES[SeatType(member.seat_type)].label)))
    form = SeatChangeForm(
        request.POST or None, initial={"seat_type": member.seat_type}, seat_choices=choices
    )
    removed = []
    if request.method == "POST" and form.is_valid():
        seat_type = form.cleaned_data["seat_type"]
        removed = seat_change_preview(membership=member, seat_type=seat_type)
        if not removed or form.cleaned_data["confirmed"]:
            try:
                member_seat_change(
                    membership=member, seat_type=seat_type, actor_membership=request.membership
                )
            except SeatsError as problem:
                form.add_error("seat_type", str(problem))
                removed = []
            else:
                messages.success(
                    request,
                    _("%(email)s is now on a %(seat)s.")
                    % {"email": member.user.email, "seat": SEAT_RULES[SeatType(seat_type)].label},
                )
                return redirect("seats:user", membership_id=member.pk)
    return render(
        request,
        "seats/user.html",
        {"member": member, "form": form, "removed": removed},
    )
