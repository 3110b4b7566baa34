"""SCIM filters (RFC 7644 §3.4.2.2) as Django queries: scim2-filter-parser parses and
transpiles; this module says which attributes map to which columns, and refuses (invalidFilter)
any filter naming an attribute it doesn't map, or comparing one with a value of the wrong type,
rather than letting the transpiler drop that part and match more than was asked."""

from django.db.models import Q
from scim2_filter_parser import ast as scim_ast
from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser
from scim2_filter_parser.transpilers.django_q_object import Transpiler
from scim2_models import InvalidFilterException

from scim.resources import EXTENSION_URN

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:user"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:group"
MAX_FILTER_LENGTH = 1000

# (attribute, sub-attribute, schema URN), lower-cased as the transpiler looks them up:
# (column, the comparison value's type).
USER_ATTRIBUTES = {
    ("username", None): ("user__email", str),
    ("emails", None): ("user__email", str),
    ("emails", "value"): ("user__email", str),
    ("externalid", None): ("scim__external_id", str),
    ("active", None): ("scim_active", bool),
    ("name", "givenname"): ("first_name", str),
    ("name", "familyname"): ("last_name", str),
    ("displayname", None): ("sort_name", str),
}
USER_EXTENSION_ATTRIBUTES = {
    ("seattype", None): ("seat_type", str),
    ("superadmin", None): ("is_super_admin", bool),
}
GROUP_ATTRIBUTES = {
    ("displayname", None): ("name", str),
    ("externalid", None): ("scim__external_id", str),
}


def _attr_map(core: dict, core_urn: str, extension: dict | None = None) -> dict:
    out = {}
    for (name, sub), (column, _type) in core.items():
        out[(name, sub, None)] = column
        out[(name, sub, core_urn)] = column
    for (name, sub), (column, _type) in (extension or {}).items():
        out[(name, sub, EXTENSION_URN.lower())] = column
    return out


def _types(core: dict, core_urn: str, extension: dict | None = None) -> dict:
    out = {}
    for (name, sub), (_column, kind) in core.items():
        out[(name, sub, None)] = out[(name, sub, core_urn)] = kind
    for (name, sub), (_column, kind) in (extension or {}).items():
        out[(name, sub, EXTENSION_URN.lower())] = kind
    return out


USER_MAP = _attr_map(USER_ATTRIBUTES, CORE_USER, USER_EXTENSION_ATTRIBUTES)
USER_TYPES = _types(USER_ATTRIBUTES, CORE_USER, USER_EXTENSION_ATTRIBUTES)
GROUP_MAP = _attr_map(GROUP_ATTRIBUTES, CORE_GROUP)
GROUP_TYPES = _types(GROUP_ATTRIBUTES, CORE_GROUP)


def _key(path: scim_ast.AttrPath) -> tuple:
    if not isinstance(path.attr_name, str):
        raise InvalidFilterException(detail="Value filters inside a filter are not supported.")
    sub = path.sub_attr.value.lower() if path.sub_attr else None
    return (path.attr_name.lower(), sub, path.uri.lower() if path.uri else None)


def _check(node, types: dict) -> None:
    """Every comparison names a mapped attribute with a value of its type."""
    if isinstance(node, scim_ast.AttrExpr):
        key = _key(node.attr_path)
        if key not in types:
            name = ".".join(p for p in key[:2] if p)
            raise InvalidFilterException(detail=f"Filtering on “{name}” is not supported.")
        operator = node.value.lower()
        if operator == "pr":
            return
        value = Transpiler.visit_CompValue(node.comp_value) if node.comp_value else None
        kind = types[key]
        if value is None or not isinstance(value, kind):
            expected = "true or false" if kind is bool else "a quoted string"
            raise InvalidFilterException(detail=f"“{key[0]}” is compared with {expected}.")
        if isinstance(value, str) and "\x00" in value:
            # No column holds one, and PostgreSQL refuses one in a query.
            raise InvalidFilterException(detail="A filter value holds a NUL character.")
        if kind is bool and operator not in ("eq", "ne"):
            raise InvalidFilterException(detail="A boolean is compared with eq or ne only.")
        return
    for field in getattr(node, "_fields", ()):
        child = getattr(node, field, None)
        if isinstance(child, scim_ast.AST):
            _check(child, types)


def filter_q(text: str, *, resource: str) -> Q:
    """The Q object of a SCIM filter on Users or Groups, or InvalidFilterException."""
    if len(text) > MAX_FILTER_LENGTH:
        raise InvalidFilterException(detail=f"A filter is at most {MAX_FILTER_LENGTH} characters.")
    attr_map, types = (USER_MAP, USER_TYPES) if resource == "User" else (GROUP_MAP, GROUP_TYPES)
    try:
        tree = SCIMParser().parse(SCIMLexer().tokenize(text))
    except Exception as error:  # the parser's errors have no common base
        raise InvalidFilterException(detail="This filter can't be read.") from error
    if tree is None:
        raise InvalidFilterException(detail="This filter can't be read.")
    _check(tree, types)
    query = Transpiler(attr_map).transpile(tree)
    if not isinstance(query, Q):
        raise InvalidFilterException(detail="This filter can't be read.")
    return query
