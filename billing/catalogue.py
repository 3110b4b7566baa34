"""The product catalogue: hubs, their tiers and prices, seat prices and add-ons.

The numbers live in billing/data/catalogue.toml; this module reads that file once, checks every
key, and hands out frozen dataclasses. A malformed file fails at load with a CatalogueError whose
message names the offending key, e.g. `hubs[marketing].tiers[professional].price_cents`.

All prices are integer cents per month in `Catalogue.currency`; `period_price_cents` turns a
monthly price into the price of a billing period.

The seat types a tier may sell or enable are the paid ones of the seat catalogue
(seats.catalogue.PAID_SEAT_TYPES: Core, Sales and Service); the file names them by their values,
"core", "sales" and "service", and the offers keep those plain strings.
"""

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from billing.periods import BillingInterval
from seats.catalogue import PAID_SEAT_TYPES

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "catalogue.toml"

# "core" is always assignable; "sales" and "service" only while a tier that enables them is owned.
CORE_SEAT_TYPE = "core"


# Neither is a domain error (billing.errors): no customer ever sees one.


class CatalogueError(ValueError):
    """The catalogue file is malformed (a configuration error, found at start-up for an operator
    to fix); the message names the offending key."""


class SeatNotForSaleError(LookupError):
    """None of the hubs and tiers owned sells extra seats of the asked type: `seat_price_cents`'s
    lookup miss, which its callers turn into billing.errors.SeatsNotForSale or leave unpriced."""


class HubCode(TextChoices):
    MARKETING = "marketing", _("Marketing Hub")
    SALES = "sales", _("Sales Hub")
    SERVICE = "service", _("Service Hub")
    CMS = "cms", _("CMS Hub")
    OPERATIONS = "operations", _("Operations Hub")


class TierCode(TextChoices):
    # Declared from cheapest to richest: the order is the tier's rank.
    FREE = "free", _("Free")
    STARTER = "starter", _("Starter")
    PROFESSIONAL = "professional", _("Professional")
    ENTERPRISE = "enterprise", _("Enterprise")


_TIER_ORDER: tuple[TierCode, ...] = tuple(TierCode)


def tier_rank(tier: str) -> int:
    """Rank of a tier from cheapest to richest: free 0, starter 1, professional 2, enterprise 3."""
    return _TIER_ORDER.index(TierCode(tier))


@dataclass(frozen=True, slots=True)
class TierOffer:
    """One hub at one tier: what it costs per month and which seats come and go with it.

    `seat_type` is the paid seat the tier sells beyond its included Core seats, at
    `seat_price_cents` each per month (None and 0 when it sells none). `enables_seat_types` are the
    paid seat types besides "core" that may be assigned while the tier is owned.
    """

    hub: HubCode
    tier: TierCode
    label: str
    price_cents: int
    included_core_seats: int
    seat_type: str | None
    seat_price_cents: int
    enables_seat_types: frozenset[str]
    limits: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class HubProduct:
    """A hub with its four tiers, in TierCode order."""

    code: HubCode
    name: str
    tiers: Mapping[TierCode, TierOffer]


@dataclass(frozen=True, slots=True)
class AddOn:
    """An add-on sold by the unit: `price_cents` per month for one `unit_label`."""

    code: str
    name: str
    unit_label: str
    price_cents: int


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The whole catalogue. Mappings are read-only: the loaded catalogue is shared and cached."""

    currency: str
    annual_months: int
    hubs: Mapping[HubCode, HubProduct]
    addons: Mapping[str, AddOn]


# --- Loading -------------------------------------------------------------------------------------


@functools.cache
def catalogue_get() -> Catalogue:
    """The shipped catalogue (billing/data/catalogue.toml), read and checked once per process."""
    return catalogue_load(CATALOGUE_PATH)


def catalogue_load(path: Path | str) -> Catalogue:
    """Read and check a catalogue file, without caching (tests load variants with it)."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = tomllib.load(file)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from None
    try:
        return _catalogue_parse(data)
    except CatalogueError as exc:
        raise CatalogueError(f"{path}: {exc}") from None


_ADDON_CODE = re.compile(r"[a-z][a-z0-9_]*")
_CURRENCY = re.compile(r"[a-z]{3}")


def _catalogue_parse(data: dict[str, Any]) -> Catalogue:
    _keys_check(data, "", required={"currency", "annual_months", "hubs", "addons"})
    currency = _text(data, "currency", "")
    if not _CURRENCY.fullmatch(currency):
        raise CatalogueError(f"currency: must be a lower-case ISO 4217 code, got {currency!r}")
    annual_months = _cents(data, "annual_months", "")
    if not 1 <= annual_months <= 12:
        raise CatalogueError(f"annual_months: must be between 1 and 12, got {annual_months}")

    hubs: dict[HubCode, HubProduct] = {}
    for index, raw in enumerate(_tables(data, "hubs", "")):
        hub = _hub_parse(raw, index)
        if hub.code in hubs:
            raise CatalogueError(f"hubs[{hub.code}].code: hub {hub.code!r} is listed twice")
        hubs[hub.code] = hub
    for code in HubCode:
        if code not in hubs:
            raise CatalogueError(f"hubs: missing hub {code.value!r}")

    addons: dict[str, AddOn] = {}
    for index, raw in enumerate(_tables(data, "addons", "")):
        addon = _addon_parse(raw, index)
        if addon.code in addons:
            raise CatalogueError(
                f"addons[{addon.code}].code: add-on {addon.code!r} is listed twice"
            )
        addons[addon.code] = addon

    return Catalogue(
        currency=currency,
        annual_months=annual_months,
        hubs=MappingProxyType({code: hubs[code] for code in HubCode}),
        addons=MappingProxyType(addons),
    )


def _hub_parse(raw: dict[str, Any], index: int) -> HubProduct:
    where = _where("hubs", raw, index)
    _keys_check(raw, where, required={"code", "name", "tiers"})
    code = _text(raw, "code", where)
    if code not in HubCode.values:
        raise CatalogueError(
            f"{where}.code: unknown hub {code!r}, expected one of {', '.join(HubCode.values)}"
        )
    hub = HubCode(code)
    name = _text(raw, "name", where)

    tiers: dict[TierCode, TierOffer] = {}
    for tier_index, tier_raw in enumerate(_tables(raw, "tiers", where)):
        offer = _tier_parse(tier_raw, hub, f"{where}.tiers", tier_index)
        if offer.tier in tiers:
            raise CatalogueError(
                f"{where}.tiers[{offer.tier}].code: tier {offer.tier.value!r} is listed twice"
            )
        tiers[offer.tier] = offer
    for tier in TierCode:
        if tier not in tiers:
            raise CatalogueError(f"{where}.tiers: missing tier {tier.value!r}")
    return HubProduct(
        code=hub, name=name, tiers=MappingProxyType({tier: tiers[tier] for tier in TierCode})
    )


def _tier_parse(raw: dict[str, Any], hub: HubCode, where_list: str, index: int) -> TierOffer:
    where = _where(where_list, raw, index)
    _keys_check(
        raw,
        where,
        required={"code", "label", "price_cents", "included_core_seats", "limits"},
        optional={"seat_type", "seat_price_cents", "enables_seat_types"},
    )
    code = _text(raw, "code", where)
    if code not in TierCode.values:
        raise CatalogueError(
            f"{where}.code: unknown tier {code!r}, expected one of {', '.join(TierCode.values)}"
        )

    seat_type: str | None = None
    seat_price = 0
    if "seat_type" in raw:
        seat_type = _text(raw, "seat_type", where)
        if seat_type not in PAID_SEAT_TYPES:
            raise CatalogueError(
                f"{where}.seat_type: unknown seat type {seat_type!r}, "
                f"expected one of {', '.join(sorted(PAID_SEAT_TYPES))}"
            )
        if "seat_price_cents" not in raw:
            raise CatalogueError(f"{where}.seat_price_cents: missing (the tier sells {seat_type})")
        seat_price = _cents(raw, "seat_price_cents", where)
    elif "seat_price_cents" in raw:
        raise CatalogueError(f"{where}.seat_price_cents: given without a seat_type")

    enables = _texts(raw, "enables_seat_types", where) if "enables_seat_types" in raw else ()
    for enabled in enables:
        if enabled not in PAID_SEAT_TYPES:
            raise CatalogueError(
                f"{where}.enables_seat_types: unknown seat type {enabled!r}, "
                f"expected some of {', '.join(sorted(PAID_SEAT_TYPES))}"
            )
    if len(set(enables)) != len(enables):
        raise CatalogueError(f"{where}.enables_seat_types: a seat type is listed twice")
    # Selling a seat that can never be assigned would take money for nothing.
    if seat_type not in (None, CORE_SEAT_TYPE) and seat_type not in enables:
        raise CatalogueError(
            f"{where}.enables_seat_types: must include {seat_type!r}, the seat type this tier sells"
        )

    return TierOffer(
        hub=hub,
        tier=TierCode(code),
        label=_text(raw, "label", where),
        price_cents=_cents(raw, "price_cents", where),
        included_core_seats=_cents(raw, "included_core_seats", where),
        seat_type=seat_type,
        seat_price_cents=seat_price,
        enables_seat_types=frozenset(enables),
        limits=_texts(raw, "limits", where),
    )


def _addon_parse(raw: dict[str, Any], index: int) -> AddOn:
    where = _where("addons", raw, index)
    _keys_check(raw, where, required={"code", "name", "unit_label", "price_cents"})
    code = _text(raw, "code", where)
    if not _ADDON_CODE.fullmatch(code):
        raise CatalogueError(f"{where}.code: must be lower_snake_case, got {code!r}")
    # Subscription items key hubs and add-ons by the same `product` column.
    if code in HubCode.values:
        raise CatalogueError(f"{where}.code: {code!r} is already a hub code")
    return AddOn(
        code=code,
        name=_text(raw, "name", where),
        unit_label=_text(raw, "unit_label", where),
        price_cents=_cents(raw, "price_cents", where),
    )


def _where(where_list: str, raw: dict[str, Any], index: int) -> str:
    """How errors name a table of an array: by its code when it has one, else by position."""
    code = raw.get("code")
    return (
        f"{where_list}[{code}]"
        if isinstance(code, str) and code.strip()
        else f"{where_list}[{index}]"
    )


def _key(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _keys_check(
    raw: dict[str, Any],
    where: str,
    *,
    required: set[str],
    optional: frozenset[str] | set[str] = frozenset(),
) -> None:
    for key in sorted(set(raw) - required - set(optional)):
        raise CatalogueError(f"{_key(where, key)}: unknown key")
    for key in sorted(required - set(raw)):
        raise CatalogueError(f"{_key(where, key)}: missing")


def _text(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"{_key(where, key)}: must be a non-empty string, got {value!r}")
    return value


def _texts(raw: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw[key]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CatalogueError(f"{_key(where, key)}: must be a list of non-empty strings")
    return tuple(value)


def _cents(raw: dict[str, Any], key: str, where: str) -> int:
    value = raw[key]
    # bool is an int in Python; `true` is no price.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise CatalogueError(f"{_key(where, key)}: must be a non-negative integer, got {value!r}")
    return value


def _tables(raw: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    value = raw[key]
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise CatalogueError(f"{_key(where, key)}: must be an array of tables ([[{key}]])")
    return value


# --- Questions about what an account owns --------------------------------------------------------
# `items` are the (hub, tier) pairs an account owns, one per hub. Each function reads the shipped
# catalogue unless a `catalogue` is passed.


def tier_offer_get(hub: str, tier: str, *, catalogue: Catalogue | None = None) -> TierOffer:
    """The offer for one hub at one tier; ValueError for an unknown hub or tier code."""
    catalogue = catalogue if catalogue is not None else catalogue_get()
    return catalogue.hubs[HubCode(hub)].tiers[TierCode(tier)]


def _offers(items: Iterable[tuple[str, str]], catalogue: Catalogue | None) -> list[TierOffer]:
    offers: list[TierOffer] = []
    for hub, tier in items:
        offer = tier_offer_get(hub, tier, catalogue=catalogue)
        if any(owned.hub == offer.hub for owned in offers):
            raise ValueError(
                f"hub {offer.hub.value!r} listed twice: an account owns one tier of it"
            )
        offers.append(offer)
    return offers


def included_core_seats(
    items: Iterable[tuple[str, str]], *, catalogue: Catalogue | None = None
) -> int:
    """Core seats the owned tiers include, added up across hubs (Marketing Pro + CMS Pro = 6)."""
    return sum(offer.included_core_seats for offer in _offers(items, catalogue))


def enabled_seat_types(
    items: Iterable[tuple[str, str]], *, catalogue: Catalogue | None = None
) -> frozenset[str]:
    """Paid seat types assignable with these tiers: always "core", plus what the tiers enable."""
    enabled = {CORE_SEAT_TYPE}
    for offer in _offers(items, catalogue):
        enabled |= offer.enables_seat_types
    return frozenset(enabled)


def seat_price_cents(
    items: Iterable[tuple[str, str]], seat_type: str, *, catalogue: Catalogue | None = None
) -> int:
    """Monthly price of one extra seat of `seat_type` for an account owning these tiers.

    Rule: of the owned offers that sell this seat type, the one of the highest tier sets the price
    (a Core seat's level follows the highest tier owned); between hubs at the same tier, the higher
    price. When no owned offer sells it (e.g. only Free tiers, or Sales seats without Sales Hub
    Professional), SeatNotForSaleError is raised: never 0, so a seat is never handed out free by
    accident. ValueError for a seat type that is not a paid one.
    """
    if seat_type not in PAID_SEAT_TYPES:
        raise ValueError(f"{seat_type!r} is not a paid seat type")
    sellers = [offer for offer in _offers(items, catalogue) if offer.seat_type == seat_type]
    if not sellers:
        raise SeatNotForSaleError(f"No tier owned sells extra {seat_type} seats.")
    best = max(sellers, key=lambda offer: (tier_rank(offer.tier), offer.seat_price_cents))
    return best.seat_price_cents


def period_price_cents(
    monthly_cents: int, interval: str, *, catalogue: Catalogue | None = None
) -> int:
    """Price of one billing period for a monthly price: monthly as is, annual × annual_months."""
    if isinstance(monthly_cents, bool) or not isinstance(monthly_cents, int) or monthly_cents < 0:
        raise ValueError(f"monthly_cents must be a non-negative integer, got {monthly_cents!r}")
    if BillingInterval(interval) == BillingInterval.MONTHLY:
        return monthly_cents
    catalogue = catalogue if catalogue is not None else catalogue_get()
    return monthly_cents * catalogue.annual_months
