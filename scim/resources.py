"""What SCIM reads and writes, as scim2-models resources: a member as a User (with seatmgr's
extension for the seat and super admin), a team as a Group, and the discovery documents
(ServiceProviderConfig, ResourceTypes, Schemas) saying exactly what is supported."""

from typing import Annotated

from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Email,
    ETag,
    Extension,
    Filter,
    Group,
    GroupMember,
    GroupMembership,
    Meta,
    Mutability,
    Name,
    Patch,
    Required,
    ResourceType,
    SchemaExtension,
    ServiceProviderConfig,
    Sort,
    User,
)

from accounts.models import Membership, MembershipStatus, Team

EXTENSION_URN = "urn:ietf:params:scim:schemas:extension:seatmgr:2.0:User"
# The most resources one list answers (ServiceProviderConfig filter.maxResults).
MAX_RESULTS = 200


class SeatmgrUser(Extension):
    """seatmgr's User extension: the seat the user holds and whether they are a super admin,
    for identity providers that map attributes to them."""

    __schema__ = URN(EXTENSION_URN)

    seat_type: Annotated[str | None, Mutability.read_write, Required.false] = None
    """The seat: core, sales, service, view_only or partner."""

    super_admin: Annotated[bool | None, Mutability.read_write, Required.false] = None
    """Whether the user is a super admin of the account."""


ScimUser = User[SeatmgrUser]


def user_resource(member: Membership, *, location: str, groups: list[Team]) -> ScimUser:
    """A member of the account as a SCIM User. `id` is the member's id in this account."""
    scim = getattr(member, "scim", None)
    resource = ScimUser(
        id=str(member.pk),
        external_id=(scim.external_id or None) if scim else None,
        user_name=member.user.email,
        name=Name(
            given_name=member.first_name or None,
            family_name=member.last_name or None,
            formatted=member.full_name or None,
        ),
        display_name=member.display_name,
        emails=[Email(value=member.user.email, type="work", primary=True)],
        active=member.status != MembershipStatus.DEACTIVATED,
        groups=[
            GroupMembership(value=str(team.pk), display=team.name, type="direct") for team in groups
        ]
        or None,
        meta=Meta(
            resource_type="User",
            created=member.created_at,
            last_modified=member.updated_at,
            location=location,
        ),
    )
    resource[SeatmgrUser] = SeatmgrUser(
        seat_type=member.seat_type, super_admin=member.is_super_admin
    )
    return resource


def group_resource(
    team: Team, *, location: str, members: list[Membership] | None, users_url: str
) -> Group:
    """A team as a SCIM Group; `members` None leaves them out (excludedAttributes=members)."""
    scim = getattr(team, "scim", None)
    return Group(
        id=str(team.pk),
        external_id=(scim.external_id or None) if scim else None,
        display_name=team.name,
        members=(
            [
                GroupMember(value=str(m.pk), display=m.display_name, ref=f"{users_url}/{m.pk}")
                for m in members
            ]
            if members is not None
            else None
        ),
        meta=Meta(
            resource_type="Group",
            created=team.created_at,
            last_modified=team.created_at,
            location=location,
        ),
    )


def service_provider_config(*, documentation: str, location: str) -> ServiceProviderConfig:
    return ServiceProviderConfig(
        documentation_uri=documentation,
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[
            AuthenticationScheme(
                type="oauthbearertoken",
                name="API key",
                description="A key of scope “scim” from Settings → Provisioning (SCIM), sent as "
                "Authorization: Bearer smk_...",
                primary=True,
            )
        ],
        meta=Meta(resource_type="ServiceProviderConfig", location=location),
    )


def resource_types(base: str) -> list[ResourceType]:
    return [
        ResourceType(
            id="User",
            name="User",
            endpoint="/Users",
            description="A user of the account (a membership), on a seat.",
            schema_=URN("urn:ietf:params:scim:schemas:core:2.0:User"),
            schema_extensions=[SchemaExtension(schema_=URN(EXTENSION_URN), required=False)],
            meta=Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/User"),
        ),
        ResourceType(
            id="Group",
            name="Group",
            endpoint="/Groups",
            description="A team of the account.",
            schema_=URN("urn:ietf:params:scim:schemas:core:2.0:Group"),
            meta=Meta(resource_type="ResourceType", location=f"{base}/ResourceTypes/Group"),
        ),
    ]


# The core attributes seatmgr stores and returns; the others a client sends are accepted and not
# kept (Schemas lists only these, as RFC 7643 §7 asks).
USER_ATTRIBUTES = {"userName", "name", "displayName", "active", "emails", "groups", "externalId"}
NAME_SUBATTRIBUTES = {"givenName", "familyName", "formatted"}
EMAIL_SUBATTRIBUTES = {"value", "type", "primary"}
GROUP_ATTRIBUTES = {"displayName", "members", "externalId"}


def _trimmed(schema, keep: set[str], sub: dict[str, set[str]]):
    schema.attributes = [a for a in schema.attributes if a.name in keep]
    for attribute in schema.attributes:
        if attribute.name in sub and attribute.sub_attributes:
            attribute.sub_attributes = [
                s for s in attribute.sub_attributes if s.name in sub[attribute.name]
            ]
        if attribute.name == "userName":
            # People are global in seatmgr: a user's sign-in is not changed by one account.
            attribute.mutability = Mutability.immutable
    return schema


def schemas(base: str) -> list:
    user = _trimmed(
        User.to_schema(),
        USER_ATTRIBUTES,
        {"name": NAME_SUBATTRIBUTES, "emails": EMAIL_SUBATTRIBUTES},
    )
    group = _trimmed(Group.to_schema(), GROUP_ATTRIBUTES, {})
    extension = SeatmgrUser.to_schema()
    extension.name = "seatmgr User"
    extension.description = "The seat a user holds and whether they are a super admin."
    out = []
    for schema in (user, group, extension):
        schema.meta = Meta(resource_type="Schema", location=f"{base}/Schemas/{schema.id}")
        out.append(schema)
    return out
