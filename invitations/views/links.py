"""An admin's actions on an invited member's links, from the Users list: "Copy invite link",
"Resend invite", "Revoke invite". (The invitee's side is invitations.views.accept.)"""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.access import member_required
from accounts.errors import DomainError
from accounts.models import Membership, MembershipStatus, SeatType
from accounts.policy import AccountPermission
from accounts.text import person
from invitations.errors import InvitationInvalid, InvitationResendTooOften
from invitations.services.links import invitation_link_copy, invitation_resend, invitation_revoke
from seats.catalogue import SEAT_RULES, seat_is_paid


def _member_or_404(request, membership_id: int) -> Membership:
    return get_object_or_404(Membership, pk=membership_id, account=request.membership.account)


@member_required(AccountPermission.USERS)
@require_POST
def invite_link_copy(request, membership_id: int):
    membership = _member_or_404(request, membership_id)
    try:
        url = invitation_link_copy(
            account=request.membership.account, membership_id=membership.pk, actor=request.user
        )
    except InvitationInvalid:
        return JsonResponse({"error": _("This user has already joined.")}, status=409)
    return JsonResponse({"url": url})


@member_required(AccountPermission.USERS)
@require_POST
def invite_resend(request, membership_id: int):
    membership = _member_or_404(request, membership_id)
    try:
        invitation_resend(
            account=request.membership.account, membership_id=membership.pk, actor=request.user
        )
    except InvitationInvalid:
        messages.error(request, _("%(name)s has already joined.") % {"name": person(membership)})
    except InvitationResendTooOften as problem:
        messages.error(request, str(problem))
    else:
        messages.success(
            request,
            _("A new invitation is on its way to %(person)s.")
            % {"person": person(membership, with_email=True)},
        )
    return redirect("seats:users")


@member_required(AccountPermission.USERS)
def invite_revoke(request, membership_id: int):
    membership = _member_or_404(request, membership_id)
    if membership.status != MembershipStatus.INVITED:
        messages.error(request, _("%(name)s has already joined.") % {"name": person(membership)})
        return redirect("seats:users")
    if request.method == "POST":
        try:
            revocation = invitation_revoke(
                account=request.membership.account,
                membership_id=membership.pk,
                actor=request.user,
                actor_membership=request.membership,
            )
        except DomainError as problem:
            messages.error(request, str(problem))
            return redirect("seats:users")
        message = _("Every invitation link for %(name)s has stopped working.") % {
            "name": person(membership)
        }
        if revocation.seat_released:
            message += " " + _("Their %(seat)s was released and is free for someone else.") % {
                "seat": SEAT_RULES[SeatType(revocation.seat_released)].label
            }
        messages.success(request, message)
        return redirect("seats:users")
    return render(
        request,
        "invitations/revoke_confirm.html",
        {"member": membership, "paid_seat": seat_is_paid(membership.seat_type)},
    )
