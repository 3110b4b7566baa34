"""The account's Salesforce connection, for "Create user" → "Import from Salesforce"."""

from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User
from invitations.crypto import secret_encrypt
from invitations.models import SalesforceConnection
from invitations.salesforce import SalesforcePerson, salesforce_connection_users


@transaction.atomic(durable=True)
def salesforce_connection_save(
    *, account: Account, instance_url: str, access_token: str, actor: User
) -> SalesforceConnection:
    """Save (or replace) the account's Salesforce connection; the token is stored encrypted."""
    connection, _created = SalesforceConnection.objects.update_or_create(
        account=account,
        defaults={
            "instance_url": instance_url,
            "access_token_encrypted": secret_encrypt(access_token),
            "saved_by": actor,
            "saved_at": timezone.now(),
        },
    )
    return connection


def salesforce_people_fetch(*, account: Account) -> list[SalesforcePerson]:
    """The account's active Salesforce users, read live through the saved connection."""
    connection = SalesforceConnection.objects.filter(account=account).first()
    return salesforce_connection_users(connection)
