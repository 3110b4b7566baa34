"""Issue #18: billing admins are told in their own language, dates and amounts included, also
when one job tells the admins of many accounts at once (the renewal batch: each text is bound
to its own invoice, and written for each admin)."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from accounts.models import Account, Membership, SeatType
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.renewals.batches import renewals_run
from billing.services.savings import unassigned_seats_notify_run
from billing.services.subscriptions import subscription_start
from tests.billing.renewals.test_subscription import NOW as SUBSCRIBED
from tests.billing.renewals.test_subscription import (
    RENEWAL,
    admin_of,
    billing_texts,
    renewal_invoices,
    subscribe,
)
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def speaking(account: Account, language: str) -> Account:
    account.default_language = language
    account.save(update_fields=["default_language"])
    return account


def test_a_renewal_batch_tells_each_billing_admin_of_their_own_invoice_in_their_language(
    time_machine, mailoutbox, django_capture_on_commit_callbacks
):
    time_machine.move_to(SUBSCRIBED, tick=False)
    initech, globex, umbrella = subscribe("Initech"), subscribe("Globex"), subscribe("Umbrella")
    speaking(initech.account, "fr")
    speaking(umbrella.account, "fr")
    # Globex speaks English, but one of its billing admins chose French.
    marie = MembershipFactory(account=globex.account, super_admin=True, user__language="fr")

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        assert renewals_run(now=RENEWAL)["renewed"] == 3

    def told(admin: Membership, subscription) -> str:
        [invoice] = renewal_invoices(subscription)
        [text] = billing_texts(admin)
        assert invoice.number in text  # its own invoice, not the batch's last one
        [email] = [m for m in mailoutbox if m.to == [admin.user.email]]
        assert text in email.body
        return text

    for admin, subscription in (
        (admin_of(initech), initech),
        (admin_of(umbrella), umbrella),
        (marie, globex),
    ):
        french = told(admin, subscription)
        assert "1 mars 2027" in french and "facture" in french
    [english_admin] = [m for m in globex.account.memberships.all() if m.pk != marie.pk]
    english = told(english_admin, globex)
    assert "Mar 1, 2027" in english and "invoice" in english


def test_the_savings_notice_writes_the_amount_as_the_billing_admin_reads_it(
    time_machine, mailoutbox, django_capture_on_commit_callbacks
):
    start, ten_days_before = datetime(2027, 4, 1, tzinfo=UTC), datetime(2027, 4, 21, tzinfo=UTC)
    account = AccountFactory(name="Initech", default_language="fr")
    subscription_start(
        account=account,
        hubs={HubCode.MARKETING: TierCode.PROFESSIONAL},
        interval=BillingInterval.MONTHLY,
        now=start,
        actor=None,
        extra_seats={SeatType.CORE: 2},
    )
    french = MembershipFactory(account=account, super_admin=True, user__email="fr@initech.x")
    english = MembershipFactory(
        account=account, super_admin=True, user__email="en@initech.x", user__language="en"
    )
    time_machine.move_to(ten_days_before, tick=False)

    with django_capture_on_commit_callbacks(execute=True):
        unassigned_seats_notify_run(now=ten_days_before)

    [french_text] = billing_texts(french)
    assert "100,00" in french_text and "$US" in french_text and "$100" not in french_text
    assert "sièges principaux" in french_text
    [english_text] = billing_texts(english)
    assert english_text == (
        "2 Core seats are unassigned: remove them at renewal to save $100 a month."
    )


def test_a_renewal_invoices_lines_are_written_in_its_accounts_language(time_machine):
    # The batch prices a plan once per language: two accounts on the same plan, one French.
    time_machine.move_to(SUBSCRIBED, tick=False)
    initech, globex = subscribe("Initech"), subscribe("Globex")
    speaking(initech.account, "fr")

    with translation.override("en"):
        assert renewals_run(now=RENEWAL)["renewed"] == 2

    def lines(subscription) -> list[str]:
        [invoice] = renewal_invoices(subscription)
        return [line.description for line in invoice.lines.all()]

    french, english = lines(initech), lines(globex)
    assert french == ["Marketing Hub Professional", "Siège principal", "Siège Ventes"]
    assert english == ["Marketing Hub Professional", "Core seat", "Sales seat"]
