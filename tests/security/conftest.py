import pytest
from django.db import transaction

from tests.security.world import World, world_build


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> World:
    """Acme and Globex (tests/security/world.py), built once per module.

    The rows live in a transaction opened here and rolled back when the module is done; every
    test (pytest.mark.django_db) runs in a savepoint inside it, so what one request writes is
    gone before the next test. The outer block is marked as Django's TestCase marks its
    class-wide one (setUpTestData), so the services' durable transactions may open inside it.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer._from_testcase = True
        outer.__enter__()
        try:
            yield world_build()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
