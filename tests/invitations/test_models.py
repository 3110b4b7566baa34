"""The database constraints and status of invitations (DOMAIN.md section 5), and the factories.

The factory check lives here, on the top floor, because it builds a row of every app's models.
"""

import inspect
from datetime import UTC, datetime, timedelta

import factory
import pytest
from django.db import IntegrityError, transaction

from invitations.models import InvitationStatus
from tests import factories
from tests.factories import InvitationFactory, MembershipFactory

pytestmark = pytest.mark.django_db

CREATED = datetime(2027, 3, 15, 9, 0, tzinfo=UTC)
EXPIRES = CREATED + timedelta(days=7)
TICK = timedelta(microseconds=1)


# --- Constraints ---------------------------------------------------------------------------------


def test_two_invitations_with_the_same_token_hash_are_refused():
    invitation = InvitationFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory(token_hash=invitation.token_hash)


def test_an_invitation_expiring_when_it_is_created_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory(created_at=CREATED, expires_at=CREATED)


def test_an_invitation_expiring_before_it_is_created_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory(created_at=CREATED, expires_at=CREATED - TICK)


def test_an_invitation_expiring_after_it_is_created_is_accepted():
    invitation = InvitationFactory(created_at=CREATED, expires_at=CREATED + TICK)

    invitation.refresh_from_db()
    assert invitation.expires_at == CREATED + TICK


def test_an_invitation_both_accepted_and_revoked_is_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        InvitationFactory(
            created_at=CREATED,
            expires_at=EXPIRES,
            accepted_at=CREATED + timedelta(days=1),
            revoked_at=CREATED + timedelta(days=2),
        )


# --- Status at a given instant -------------------------------------------------------------------


def _invitation(**fields):
    return InvitationFactory.build(created_at=CREATED, expires_at=EXPIRES, **fields)


def test_an_invitation_is_pending_until_just_before_its_expiry():
    assert _invitation().status_at(EXPIRES - TICK) == InvitationStatus.PENDING


def test_an_invitation_is_expired_at_the_instant_of_its_expiry():
    assert _invitation().status_at(EXPIRES) == InvitationStatus.EXPIRED


def test_an_invitation_is_expired_after_its_expiry():
    assert _invitation().status_at(EXPIRES + timedelta(days=30)) == InvitationStatus.EXPIRED


def test_an_accepted_invitation_stays_accepted_after_its_expiry():
    invitation = _invitation(accepted_at=CREATED + timedelta(days=1))

    assert invitation.status_at(EXPIRES - TICK) == InvitationStatus.ACCEPTED
    assert invitation.status_at(EXPIRES) == InvitationStatus.ACCEPTED


def test_a_revoked_invitation_is_revoked_before_and_after_its_expiry():
    invitation = _invitation(revoked_at=CREATED + timedelta(days=1))

    assert invitation.status_at(EXPIRES - TICK) == InvitationStatus.REVOKED
    assert invitation.status_at(EXPIRES) == InvitationStatus.REVOKED


# --- Every factory builds a valid row ------------------------------------------------------------

FACTORIES = sorted(
    (
        cls
        for _name, cls in inspect.getmembers(factories, inspect.isclass)
        if issubclass(cls, factory.django.DjangoModelFactory)
        and cls.__module__ == factories.__name__
    ),
    key=lambda cls: cls.__name__,
)


def test_the_factory_list_is_not_empty():
    # Guards the parametrisation below against silently running no case at all.
    assert len(FACTORIES) >= 13


@pytest.mark.parametrize("model_factory", FACTORIES, ids=lambda cls: cls.__name__)
def test_every_factory_builds_a_row_that_passes_full_clean(model_factory):
    row = model_factory()

    row.full_clean()


@pytest.mark.parametrize("trait", ["super_admin", "deactivated", "invited", "view_only"])
def test_every_membership_trait_builds_a_row_that_passes_full_clean(trait):
    membership = MembershipFactory(**{trait: True})

    membership.full_clean()
