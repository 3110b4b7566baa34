"""The seat invariant over random sequences of what admins do (#13 point 1), on PostgreSQL.

A hypothesis state machine buys seats, schedules and cancels removals, changes the plan
(upgrades now, downgrades and hub removals at the renewal date) and cancels those changes,
assigns and releases seats, adds people, deactivates and reactivates them, and renews the
subscription, each through the service an admin's click goes through. After every step, for
every paid seat type: nobody holds a seat the account does not have now, nor one the next
period won't have, and a type the plan no longer enables is held by nobody.

Every action may be refused (a DomainError, shown to the admin at the field): refusals are the
rules at work. So that the test cannot pass by refusing everything, it counts what each action
did and requires every kind to have succeeded at least once across the run.
"""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from accounts.errors import DomainError
from accounts.models import Membership, MembershipStatus, SeatType
from billing.catalogue import HubCode, TierCode, enabled_seat_types, included_core_seats
from billing.models import SubscriptionItem
from billing.periods import BillingInterval
from billing.selectors import subscription_live_get
from billing.services.bundles import Bundle
from billing.services.cards import card_save
from billing.services.changes import subscription_change_cancel
from billing.services.checkout import bundle_checkout
from billing.services.purchases import seats_purchase
from billing.services.removals import seat_removal_cancel, seat_removal_schedule
from billing.services.renewals.batches import renewals_run
from billing.services.subscriptions import subscription_start
from invitations.parsing import ParsedPerson
from invitations.services.members import members_invite
from seats.models import SeatPool
from seats.permissions.choice import AccessChoice, AccessMode
from seats.users.services.lifecycle import member_deactivate, member_reactivate
from seats.users.services.seat import member_seat_change
from tests.factories import AccountFactory
from tests.invitations.helpers import partner_super_admins

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

PAID = (SeatType.CORE, SeatType.SALES)
MARKETING_TIERS = (TierCode.STARTER, TierCode.PROFESSIONAL, TierCode.ENTERPRISE)
SALES_TIERS = (None, TierCode.STARTER, TierCode.PROFESSIONAL)  # None: Sales Hub removed
succeeded: Counter = Counter()


class SeatsUnderAdmins(RuleBasedStateMachine):
    """One account per example: Marketing Hub Professional (3 Core seats included) and Sales Hub
    Professional (Sales seats), 2 Core and 2 Sales seats bought, a card on file, and three
    people on View-only seats; its super admin holds a Partner seat (no pool), so the pools hold
    only the people the machine moves onto them."""

    def __init__(self):
        super().__init__()
        self.now = timezone.now().replace(microsecond=0)
        self.account = AccountFactory()
        subscription_start(
            account=self.account,
            hubs={HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL},
            interval=BillingInterval.MONTHLY,
            now=self.now - timedelta(days=1),
            actor=None,
            extra_seats={SeatType.CORE: 2, SeatType.SALES: 2},
        )
        [self.admin] = partner_super_admins(self.account, 1)
        members_invite(
            account=self.account,
            actor_membership=self.admin,
            people=[ParsedPerson(f"viewer{i}@example.com") for i in range(3)],
            seat_type=SeatType.VIEW_ONLY,
            access=AccessChoice(mode=AccessMode.DEFAULTS),
            send_email=False,
            now=self.now,
        )
        card_save(
            account=self.account,
            number="4242 4242 4242 4242",
            exp_month=12,
            exp_year=self.now.year + 3,
            cvc="123",
            actor=self.admin.user,
            now=self.now,
        )
        self.counter = 0

    def _tick(self) -> str:
        self.counter += 1
        self.now += timedelta(minutes=1)
        return f"step-{self.counter}"

    def _try(self, kind: str, call) -> None:
        try:
            call()
        except DomainError:
            return
        succeeded[kind] += 1

    def _member(self, index: int, **filters) -> Membership | None:
        members = list(
            Membership.objects.filter(account=self.account, **filters)
            .exclude(pk=self.admin.pk)
            .order_by("pk")
        )
        return members[index % len(members)] if members else None

    # --- Billing admins -------------------------------------------------------------------------

    @rule(seat_type=st.sampled_from(PAID), quantity=st.integers(1, 3))
    def buy(self, seat_type, quantity):
        key = self._tick()
        self._try(
            "buy",
            lambda: seats_purchase(
                account=self.account,
                seat_type=seat_type,
                quantity=quantity,
                idempotency_key=key,
                actor=self.admin.user,
                now=self.now,
            ),
        )

    @rule(seat_type=st.sampled_from(PAID), quantity=st.integers(1, 3))
    def remove(self, seat_type, quantity):
        self._tick()
        self._try(
            "remove",
            lambda: seat_removal_schedule(
                account=self.account,
                seat_type=seat_type,
                quantity=quantity,
                actor=self.admin.user,
                now=self.now,
            ),
        )

    @rule(index=st.integers(0, 1))
    def cancel_removal(self, index):
        self._tick()
        pending = [p for p in SeatPool.objects.filter(account=self.account) if p.pending_removal]
        if pending:
            seat_type = pending[index % len(pending)].seat_type
            self._try(
                "cancel_removal",
                lambda: seat_removal_cancel(
                    account=self.account, seat_type=seat_type, actor=self.admin.user, now=self.now
                ),
            )

    @rule(marketing=st.sampled_from(MARKETING_TIERS), sales=st.sampled_from(SALES_TIERS))
    def change_plan(self, marketing, sales):
        key = self._tick()
        hubs = {HubCode.MARKETING: marketing}
        if sales is not None:
            hubs[HubCode.SALES] = sales
        bundle = Bundle(hubs=hubs, addons={}, interval=BillingInterval.MONTHLY)
        self._try(
            "change_plan",
            lambda: bundle_checkout(
                account=self.account,
                bundle=bundle,
                idempotency_key=key,
                actor=self.admin.user,
                now=self.now,
            ),
        )

    @rule(index=st.integers(0, 5))
    def cancel_change(self, index):
        self._tick()
        pending = [
            item
            for item in SubscriptionItem.objects.filter(subscription__account=self.account)
            if item.has_pending_change
        ]
        if pending:
            item = pending[index % len(pending)]
            self._try(
                "cancel_change",
                lambda: subscription_change_cancel(
                    account=self.account, item_id=item.pk, actor=self.admin.user, now=self.now
                ),
            )

    @rule()
    def renew(self):
        subscription = subscription_live_get(account=self.account)
        self.now = subscription.current_period_end + timedelta(minutes=1)
        if renewals_run(now=self.now)["renewed"]:
            succeeded["renew"] += 1

    # --- User admins ----------------------------------------------------------------------------

    @rule(seat_type=st.sampled_from(PAID))
    def invite(self, seat_type):
        email = f"{self._tick()}@example.com"
        self._try(
            "invite",
            lambda: members_invite(
                account=self.account,
                actor_membership=self.admin,
                people=[ParsedPerson(email)],
                seat_type=seat_type,
                access=AccessChoice(mode=AccessMode.DEFAULTS),
                send_email=False,
                now=self.now,
            ),
        )

    @rule(index=st.integers(0, 20), seat_type=st.sampled_from((*PAID, SeatType.VIEW_ONLY)))
    def change_seat(self, index, seat_type):
        self._tick()
        if seat_type == SeatType.VIEW_ONLY:  # release a paid seat
            member = self._member(index, seat_type__in=PAID)
        else:
            member = self._member(index, seat_type__in=[SeatType.VIEW_ONLY, *PAID])
        if member is not None and member.seat_type != seat_type:
            self._try(
                f"seat_to_{seat_type}",
                lambda: member_seat_change(
                    membership=member,
                    seat_type=seat_type,
                    actor_membership=self.admin,
                    now=self.now,
                ),
            )

    @rule(index=st.integers(0, 20), release_seat=st.booleans())
    def deactivate(self, index, release_seat):
        self._tick()
        member = self._member(index, status=MembershipStatus.ACTIVE) or self._member(
            index, status=MembershipStatus.INVITED
        )
        if member is not None:
            self._try(
                "deactivate",
                lambda: member_deactivate(
                    membership=member,
                    release_seat=release_seat,
                    actor=self.admin.user,
                    actor_membership=self.admin,
                    now=self.now,
                ),
            )

    @rule(index=st.integers(0, 20))
    def reactivate(self, index):
        self._tick()
        member = self._member(index, status=MembershipStatus.DEACTIVATED)
        if member is not None:
            self._try(
                "reactivate",
                lambda: member_reactivate(
                    membership=member, actor_membership=self.admin, now=self.now
                ),
            )

    # --- The invariant --------------------------------------------------------------------------

    @invariant()
    def nobody_holds_a_seat_the_account_does_not_have_now_or_next_period(self):
        """Checked against the subscription itself (its items and the catalogue), not against
        the pool fields the code under test keeps, so a pool that forgets a pending change is
        caught before the renewal makes it visible."""
        items = SubscriptionItem.objects.filter(
            subscription=subscription_live_get(account=self.account), kind="hub"
        )
        hubs_next = [
            (i.product, i.tier_at_renewal or i.tier) for i in items if not i.remove_at_renewal
        ]
        for pool in SeatPool.objects.filter(account=self.account):
            assigned = Membership.objects.filter(
                account=self.account, seat_type=pool.seat_type
            ).count()
            core = pool.seat_type == SeatType.CORE
            included_next = included_core_seats(hubs_next) if core else 0
            enabled_next = pool.seat_type in enabled_seat_types(hubs_next)
            next_period = included_next + (pool.purchased_at_renewal if enabled_next else 0)
            state = (
                f"{pool.seat_type}: {assigned} assigned, {pool.total} now "
                f"({pool.included} included + {pool.purchased} bought, enabled={pool.enabled}), "
                f"{next_period} at renewal (enabled={enabled_next})"
            )
            assert assigned <= pool.total, state
            assert assigned <= next_period, state
            assert pool.enabled or assigned == 0, state


def test_the_seat_invariant_holds_over_random_admin_sessions():
    succeeded.clear()
    run_state_machine_as_test(
        SeatsUnderAdmins,
        settings=settings(
            max_examples=20,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # Every kind of action really happened somewhere in the run (the invariant was not kept by
    # refusing everything).
    kinds = {
        "buy",
        "remove",
        "cancel_removal",
        "change_plan",
        "cancel_change",
        "renew",
        "invite",
        "seat_to_core",
        "seat_to_sales",
        "seat_to_view_only",
        "deactivate",
        "reactivate",
    }
    assert kinds <= set(succeeded), f"never succeeded: {sorted(kinds - set(succeeded))}"
