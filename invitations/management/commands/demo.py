"""`manage.py demo`: load the "Demo Co." account so a first run shows a living product.

It lives on the top floor (invitations) because it uses every floor below. Safe to run twice:
a second run creates nothing and sets the demo sign-ins' password again.
"""

from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.commands import PersonCommand
from accounts.models import (
    Account,
    Membership,
    PartnerDomain,
    SeatType,
    SolutionsPartner,
    User,
)
from accounts.policy import ON, AccountPermission
from accounts.services import account_create
from accounts.teams.services import member_teams_set, team_create
from billing.catalogue import HubCode, TierCode
from billing.periods import BillingInterval
from billing.services.subscriptions import subscription_start
from invitations.parsing import ParsedPerson
from invitations.services.links import invitation_accept, invitation_issue
from invitations.services.members import members_invite
from seats.catalogue import seat_default_permissions
from seats.permissions.choice import BUILTIN_PREFIX, AccessChoice, AccessMode
from seats.permissions.services import member_access_set
from seats.users.services.lifecycle import member_deactivate

ACCOUNT_NAME = "Demo Co."
# A published demo password, for a local first run only (never a production account).
DEFAULT_PASSWORD = "demo-password-2026"  # noqa: S105
PARTNER_DOMAIN = "northwind-partners.example"

# (email, first, last, seat, status, extra): the fixed sign-ins first.
PEOPLE = [
    ("superadmin@demo.example.com", "Sam", "Rivera", SeatType.CORE, "active", "super_admin"),
    ("billing@demo.example.com", "Bea", "Lindqvist", SeatType.CORE, "active", "billing"),
    ("useradmin@demo.example.com", "Umar", "Haddad", SeatType.CORE, "active", "users"),
    ("viewer@demo.example.com", "Vera", "Okafor", SeatType.VIEW_ONLY, "active", ""),
    ("maria.marketing@demo.example.com", "Maria", "Santos", SeatType.CORE, "active", "marketer"),
    ("tom.content@demo.example.com", "Tom", "Becker", SeatType.CORE, "invited", ""),
    ("sofia.sales@demo.example.com", "Sofia", "Moreau", SeatType.SALES, "active", "sales_manager"),
    ("liam.sales@demo.example.com", "Liam", "Walsh", SeatType.SALES, "active", "sales_rep"),
    ("noah.sales@demo.example.com", "Noah", "Kim", SeatType.SALES, "invited", "sales_rep"),
    ("ava.ops@demo.example.com", "Ava", "Novak", SeatType.VIEW_ONLY, "active", ""),
    ("ethan.finance@demo.example.com", "Ethan", "Clarke", SeatType.VIEW_ONLY, "active", ""),
    ("mia.design@demo.example.com", "Mia", "Rossi", SeatType.VIEW_ONLY, "active", ""),
    ("lucas.support@demo.example.com", "Lucas", "Dubois", SeatType.VIEW_ONLY, "invited", ""),
    ("emma.legal@demo.example.com", "Emma", "Fischer", SeatType.VIEW_ONLY, "active", ""),
    ("oliver.intern@demo.example.com", "Oliver", "Brown", SeatType.VIEW_ONLY, "invited", ""),
    ("isla.former@demo.example.com", "Isla", "Murphy", SeatType.CORE, "deactivated", "keep"),
    ("jack.former@demo.example.com", "Jack", "Evans", SeatType.CORE, "deactivated", "release"),
    ("chloe.analyst@demo.example.com", "Chloe", "Martin", SeatType.VIEW_ONLY, "active", ""),
    ("henry.exec@demo.example.com", "Henry", "Wright", SeatType.VIEW_ONLY, "active", ""),
    (f"consultant@{PARTNER_DOMAIN}", "Pat", "Ng", SeatType.PARTNER, "active", ""),
]
SIGN_INS = [
    ("superadmin@demo.example.com", gettext_lazy("super admin")),
    ("billing@demo.example.com", gettext_lazy("Edit billing only")),
    ("useradmin@demo.example.com", gettext_lazy("Add and edit users, not super admin")),
    ("viewer@demo.example.com", gettext_lazy("View-only seat")),
]


class Command(PersonCommand):
    help = "Load the Demo Co. account (safe to run twice) and print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="Password for the demo sign-ins."
        )

    def handle(self, *args, password: str, **options):
        if Account.objects.filter(name=ACCOUNT_NAME).exists():
            self.stdout.write(
                _("%(account)s already exists; setting the demo passwords again.")
                % {"account": ACCOUNT_NAME}
            )
        else:
            # Loading the account fills its seat pools, which warns its admins that few seats
            # are left: in the app (the demo shows them) and by email. With tasks run in this
            # process (the embedded default), those emails would bury this command's output on
            # the console backend, so they are dropped; a real worker sends them as usual.
            quiet = settings.CELERY_TASK_ALWAYS_EAGER
            backend = "django.core.mail.backends.dummy.EmailBackend"
            with override_settings(EMAIL_BACKEND=backend) if quiet else nullcontext():
                self._create()
            self.stdout.write(
                self.style.SUCCESS(
                    _("Created the %(account)s account.") % {"account": ACCOUNT_NAME}
                )
            )
        self._set_passwords(password)
        self.stdout.write(_("Sign in at http://localhost:8000/ with any of:"))
        for email, role in SIGN_INS:
            self.stdout.write(f"  {email:<32} {role}")
        self.stdout.write("  " + _("password: %(password)s") % {"password": password})

    def _set_passwords(self, password: str) -> None:
        active_emails = [p[0] for p in PEOPLE if p[4] == "active"]
        with transaction.atomic():
            for user in User.objects.filter(email__in=active_emails):
                user.set_password(password)
                user.save(update_fields=["password"])

    def _create(self) -> None:
        now = timezone.now()
        account = account_create(name=ACCOUNT_NAME)
        subscription_start(
            account=account,
            hubs={HubCode.MARKETING: TierCode.PROFESSIONAL, HubCode.SALES: TierCode.PROFESSIONAL},
            interval=BillingInterval.MONTHLY,
            now=now - timedelta(days=12),
            actor=None,
            extra_seats={SeatType.CORE: 5, SeatType.SALES: 4},
        )
        partner = SolutionsPartner.objects.create(name="Northwind Partners")
        PartnerDomain.objects.create(partner=partner, domain=PARTNER_DOMAIN)
        partner.accounts.add(account)

        marketing = team_create(account=account, name="Marketing", actor=None)
        sales = team_create(account=account, name="Sales", actor=None)
        sales_emea = team_create(account=account, name="Sales EMEA", actor=None, parent=sales)
        team_for = {SeatType.SALES: sales, SeatType.CORE: marketing}

        admin = None
        for index, (email, first, last, seat, status, extra) in enumerate(PEOPLE):
            # Everyone joins as in the product: added by "Create user" (the first, the super
            # admin, by the system: nobody in the account could have added them), then, unless
            # still invited, through an invitation link of their own.
            [membership] = members_invite(
                account=account,
                actor_membership=admin,
                people=[ParsedPerson(email, first, last)],
                seat_type=seat,
                access=AccessChoice(
                    mode=AccessMode.SUPER_ADMIN if extra == "super_admin" else AccessMode.DEFAULTS
                ),
                send_email=False,
                now=now,
            ).memberships
            if status != "invited":
                membership = self._join(membership, now=now)
            admin = admin or membership
            self._access(membership, extra, actor=admin)
            if seat in team_for:
                extras = [sales_emea] if email.startswith("liam") else []
                member_teams_set(
                    membership=membership,
                    main_team=team_for[seat],
                    extra_teams=extras,
                    actor=admin.user,
                )
            if status == "invited":
                invitation_issue(membership=membership, created_by=admin.user, now=now)
            elif status == "deactivated":
                member_deactivate(
                    membership=membership,
                    release_seat=extra == "release",
                    note="Left the company",
                    actor=admin.user,
                )
            if status != "invited":
                # Spread "last active" over the past weeks so the list looks lived in.
                Membership.objects.filter(pk=membership.pk).update(
                    last_active_at=now - timedelta(hours=5 * index * index + 1)
                )

    def _join(self, membership: Membership, *, now) -> Membership:
        """The member accepts a link of their own (made by nobody, so that nobody is notified;
        their password is set afterwards, with every demo sign-in's)."""
        with transaction.atomic():
            _invitation, token = invitation_issue(membership=membership, created_by=None, now=now)
        return invitation_accept(token=token, user=membership.user, now=now)

    def _access(self, membership: Membership, extra: str, *, actor: Membership) -> None:
        if extra in ("billing", "users"):
            permission = (
                AccountPermission.BILLING if extra == "billing" else AccountPermission.USERS
            )
            permissions = {
                **seat_default_permissions(SeatType(membership.seat_type)),
                permission: ON,
            }
            member_access_set(
                membership=membership,
                choice=AccessChoice(mode=AccessMode.SCRATCH, permissions=permissions),
                actor_membership=actor,
            )
        elif extra in ("marketer", "sales_rep", "sales_manager"):
            member_access_set(
                membership=membership,
                choice=AccessChoice(mode=AccessMode.TEMPLATE, template=BUILTIN_PREFIX + extra),
                actor_membership=actor,
            )
