"""factory-boy factories for every model. Build valid rows; tests state what differs."""

from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import (
    Access,
    Account,
    AuditEvent,
    AuditVerb,
    Membership,
    MembershipStatus,
    Notification,
    PartnerDomain,
    PermissionSet,
    Preset,
    SeatType,
    SolutionsPartner,
    Team,
    User,
)
from billing.models import (
    BillingContact,
    CardOnFile,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    ItemKind,
    Subscription,
    SubscriptionItem,
)
from billing.periods import BillingInterval, nth_period_bounds
from invitations.crypto import secret_encrypt
from invitations.models import Invitation, SalesforceConnection
from invitations.tokens import token_hash
from seats.catalogue import seat_default_permissions
from seats.models import LedgerReason, SeatLedgerEntry, SeatPool

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save(update_fields=["password"])


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Company {n}")


class SolutionsPartnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SolutionsPartner

    name = factory.Sequence(lambda n: f"Partner {n}")


class PartnerDomainFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerDomain

    partner = factory.SubFactory(SolutionsPartnerFactory)
    domain = factory.Sequence(lambda n: f"partner{n}.example")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class PermissionSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PermissionSet

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Set {n}")
    permissions = factory.LazyFunction(lambda: seat_default_permissions(SeatType.CORE))


class PresetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Preset

    account = factory.SubFactory(AccountFactory)
    name = factory.Sequence(lambda n: f"Preset {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    """An active member on a Core seat with the seat's defaults (pools are not checked here:
    tests about seat counts go through seats.services)."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    account = factory.SubFactory(AccountFactory)
    seat_type = SeatType.CORE
    status = MembershipStatus.ACTIVE
    # The name the account typed when adding them: the person's own, unless a test says not.
    first_name = factory.SelfAttribute("user.first_name")
    last_name = factory.SelfAttribute("user.last_name")
    access = Access.SEAT_DEFAULTS
    permissions = factory.LazyAttribute(lambda m: seat_default_permissions(SeatType(m.seat_type)))

    class Params:
        super_admin = factory.Trait(is_super_admin=True)
        deactivated = factory.Trait(
            status=MembershipStatus.DEACTIVATED, deactivated_at=factory.LazyFunction(timezone.now)
        )
        invited = factory.Trait(status=MembershipStatus.INVITED)
        view_only = factory.Trait(seat_type=SeatType.VIEW_ONLY)


class SeatPoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeatPool

    account = factory.SubFactory(AccountFactory)
    seat_type = SeatType.CORE
    included = 0
    purchased = 0
    purchased_at_renewal = factory.SelfAttribute("purchased")
    # No plan change pending unless a test says so.
    included_at_renewal = factory.SelfAttribute("included")


class SeatLedgerEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SeatLedgerEntry

    pool = factory.SubFactory(SeatPoolFactory)
    reason = LedgerReason.CREATED
    included = factory.SelfAttribute("pool.included")
    purchased = factory.SelfAttribute("pool.purchased")
    purchased_at_renewal = factory.SelfAttribute("pool.purchased_at_renewal")


def _period(subscription, index: int):
    return nth_period_bounds(subscription.anchor, 0, subscription.interval)[index]


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    account = factory.SubFactory(AccountFactory)
    interval = BillingInterval.MONTHLY
    anchor = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0))
    current_period_start = factory.LazyAttribute(lambda s: _period(s, 0))
    current_period_end = factory.LazyAttribute(lambda s: _period(s, 1))


class SubscriptionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubscriptionItem

    subscription = factory.SubFactory(SubscriptionFactory)
    kind = ItemKind.HUB
    product = "marketing"
    tier = "professional"


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    membership = factory.SubFactory(MembershipFactory, invited=True)
    email = factory.SelfAttribute("membership.user.email")
    token_hash = factory.Sequence(lambda n: token_hash(f"token-{n}"))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class AuditEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditEvent

    account = factory.SubFactory(AccountFactory)
    verb = AuditVerb.MEMBER_ADDED


class CardOnFileFactory(factory.django.DjangoModelFactory):
    """A card as the test gateway describes it (billing.gateway.TestGateway): its token carries
    how charges behave, never the number."""

    class Meta:
        model = CardOnFile

    account = factory.SubFactory(AccountFactory)
    gateway_token = factory.Sequence(lambda n: f"tok_test_ok_{n:016x}")
    brand = "Visa"
    last4 = "4242"
    exp_month = 12
    exp_year = 2035

    class Params:
        declined = factory.Trait(
            gateway_token=factory.Sequence(lambda n: f"tok_test_decline_{n:016x}"), last4="0002"
        )
        unavailable = factory.Trait(
            gateway_token=factory.Sequence(lambda n: f"tok_test_unavailable_{n:016x}"), last4="0119"
        )


class InvoiceFactory(factory.django.DjangoModelFactory):
    """A paid purchase invoice for one day."""

    class Meta:
        model = Invoice

    account = factory.SubFactory(AccountFactory)
    kind = InvoiceKind.PURCHASE
    status = InvoiceStatus.PAID
    total_cents = 5000
    period_start = factory.LazyFunction(lambda: timezone.now().replace(microsecond=0))
    period_end = factory.LazyAttribute(lambda i: i.period_start + timedelta(days=1))
    paid_at = factory.SelfAttribute("period_start")


class InvoiceLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InvoiceLine

    invoice = factory.SubFactory(InvoiceFactory)
    description = "Core seat"
    quantity = 1
    unit_cents = 5000
    amount_cents = 5000


class BillingContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingContact

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")
    email = factory.Sequence(lambda n: f"billing{n}@example.com")


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    membership = factory.SubFactory(MembershipFactory)
    kind = "billing"
    text = "Two Core seats were bought."


class SalesforceConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesforceConnection

    account = factory.SubFactory(AccountFactory)
    instance_url = "https://acme.my.salesforce.com"
    access_token_encrypted = factory.LazyFunction(lambda: secret_encrypt("00Dfake!token"))


def subscribed_account(
    name: str = "Acme",
    *,
    hubs: dict[str, str] | None = None,
    extra_seats: dict[str, int] | None = None,
    now=None,
) -> Account:
    """An account on a live monthly subscription, as buying a plan leaves it
    (billing.services.subscriptions.subscription_start: its pools, periods and ledger):
    Marketing Hub Professional unless `hubs` says otherwise, with `extra_seats` bought beside
    the seats the plan includes, started `now` (default: now)."""
    from billing.services.subscriptions import subscription_start

    account = AccountFactory(name=name)
    subscription_start(
        account=account,
        hubs=hubs or {"marketing": "professional"},
        interval="monthly",
        now=now or timezone.now(),
        actor=None,
        extra_seats=extra_seats or {},
    )
    return account
