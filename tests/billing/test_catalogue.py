"""The product catalogue: the shipped file says what DOMAIN.md says; a broken file names its key."""

import copy
import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from billing.catalogue import (
    CATALOGUE_PATH,
    Catalogue,
    CatalogueError,
    HubCode,
    SeatNotForSaleError,
    TierCode,
    catalogue_get,
    catalogue_load,
    enabled_seat_types,
    included_core_seats,
    period_price_cents,
    seat_price_cents,
    tier_offer_get,
    tier_rank,
)
from billing.catalogue_words import CATALOGUE_WORDS
from seats.catalogue import PAID_SEAT_TYPES


def _toml(data: dict[str, Any], prefix: str = "") -> str:
    """The subset of TOML the catalogue uses: scalars, lists of strings and arrays of tables."""

    def is_tables(value: Any) -> bool:
        return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)

    lines = [f"{key} = {json.dumps(value)}" for key, value in data.items() if not is_tables(value)]
    for key, rows in data.items():
        if is_tables(rows):
            for row in rows:
                lines += ["", f"[[{prefix}{key}]]", _toml(row, f"{prefix}{key}.")]
    return "\n".join(lines)


@pytest.fixture
def raw() -> dict[str, Any]:
    """The shipped catalogue as plain data, to break one key at a time."""
    return tomllib.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))


def _load(tmp_path: Path, data: dict[str, Any]) -> Catalogue:
    path = tmp_path / "catalogue.toml"
    path.write_text(_toml(data), encoding="utf-8")
    return catalogue_load(path)


# --- The shipped file ----------------------------------------------------------------------------


def test_shipped_catalogue_has_every_hub_at_every_tier_in_usd():
    catalogue = catalogue_get()

    assert catalogue.currency == "usd"
    assert list(catalogue.hubs) == list(HubCode)
    for hub in catalogue.hubs.values():
        assert list(hub.tiers) == list(TierCode)


def test_shipped_catalogue_is_read_once():
    assert catalogue_get() is catalogue_get()


def test_annual_billing_costs_ten_months():
    assert catalogue_get().annual_months == 10
    assert period_price_cents(80000, "monthly") == 80000
    assert period_price_cents(80000, "annual") == 800000


def test_unknown_billing_interval_is_refused():
    with pytest.raises(ValueError):
        period_price_cents(80000, "weekly")


def test_hub_names_and_tier_labels_are_the_products_words():
    catalogue = catalogue_get()

    assert [hub.name for hub in catalogue.hubs.values()] == [
        "Marketing Hub",
        "Sales Hub",
        "Service Hub",
        "CMS Hub",
        "Operations Hub",
    ]
    labels = [offer.label for offer in catalogue.hubs[HubCode.SALES].tiers.values()]
    assert labels == ["Free", "Starter", "Professional", "Enterprise"]


@pytest.mark.parametrize(
    ("hub", "tier", "price", "included", "seat_type", "seat_price"),
    [
        ("marketing", "free", 0, 0, None, 0),
        ("marketing", "starter", 0, 0, "core", 2000),
        ("marketing", "professional", 80000, 3, "core", 5000),
        ("marketing", "enterprise", 360000, 5, "core", 7500),
        ("sales", "starter", 0, 0, "core", 2000),
        ("sales", "professional", 0, 0, "sales", 10000),
        ("sales", "enterprise", 0, 0, "sales", 15000),
        ("service", "starter", 0, 0, "core", 2000),
        ("service", "professional", 0, 0, "service", 10000),
        ("service", "enterprise", 0, 0, "service", 13000),
        ("cms", "starter", 2500, 1, None, 0),
        ("cms", "professional", 45000, 3, "core", 5000),
        ("cms", "enterprise", 150000, 5, "core", 7500),
        ("operations", "starter", 2000, 1, None, 0),
        ("operations", "professional", 80000, 1, "core", 5000),
        ("operations", "enterprise", 200000, 1, "core", 7500),
    ],
)
def test_tier_prices_match_the_domain_table(hub, tier, price, included, seat_type, seat_price):
    offer = tier_offer_get(hub, tier)

    assert (offer.price_cents, offer.included_core_seats) == (price, included)
    assert (offer.seat_type, offer.seat_price_cents) == (seat_type, seat_price)


def test_free_tiers_cost_nothing_and_include_no_seats():
    for hub in HubCode:
        offer = tier_offer_get(hub, TierCode.FREE)
        assert (offer.price_cents, offer.included_core_seats, offer.seat_type) == (0, 0, None)


def test_every_tier_lists_its_main_limits():
    for hub in catalogue_get().hubs.values():
        for offer in hub.tiers.values():
            assert offer.limits, f"{hub.code} {offer.tier} has no limits"
    assert "Marketing contacts: 2,000" in tier_offer_get("marketing", "professional").limits


def test_add_ons_are_priced_per_unit():
    addons = catalogue_get().addons

    assert {"marketing_contacts", "transactional_email", "custom_objects"} <= set(addons)
    contacts = addons["marketing_contacts"]
    assert contacts.name == "Additional marketing contacts"
    assert contacts.unit_label == "1,000 marketing contacts"
    assert all(addon.price_cents > 0 for addon in addons.values())


def test_a_tier_may_enable_every_paid_seat_type_of_the_seat_catalogue(tmp_path, raw):
    _set(*SALES_PRO, "enables_seat_types", value=[str(s) for s in PAID_SEAT_TYPES])(raw)

    offer = _load(tmp_path, raw).hubs[HubCode.SALES].tiers[TierCode.PROFESSIONAL]

    assert offer.enables_seat_types == {"core", "sales", "service"}


def test_tiers_rank_from_free_to_enterprise():
    ranks = [tier_rank(tier) for tier in ("free", "starter", "professional", "enterprise")]

    assert ranks == [0, 1, 2, 3]


def test_unknown_hub_or_tier_code_is_refused():
    with pytest.raises(ValueError):
        tier_offer_get("website", "free")
    with pytest.raises(ValueError):
        tier_offer_get("marketing", "basic")


# --- Seats across several hubs -------------------------------------------------------------------


def test_included_core_seats_of_several_hubs_add_up():
    items = [("marketing", "professional"), ("cms", "professional")]

    assert included_core_seats(items) == 6


def test_no_hubs_include_no_seats():
    assert included_core_seats([]) == 0


def test_a_hub_owned_twice_is_refused():
    with pytest.raises(ValueError, match="marketing"):
        included_core_seats([("marketing", "starter"), ("marketing", "professional")])


def test_core_seats_are_always_enabled():
    assert enabled_seat_types([]) == {"core"}
    assert enabled_seat_types([("cms", "free")]) == {"core"}


@pytest.mark.parametrize("hub", list(HubCode))
@pytest.mark.parametrize("tier", list(TierCode))
def test_sales_seats_are_enabled_only_by_sales_hub_professional_or_enterprise(hub, tier):
    sales_pro = hub == HubCode.SALES and tier_rank(tier) >= tier_rank(TierCode.PROFESSIONAL)

    assert ("sales" in enabled_seat_types([(hub, tier)])) is sales_pro


@pytest.mark.parametrize("hub", list(HubCode))
@pytest.mark.parametrize("tier", list(TierCode))
def test_service_seats_are_enabled_only_by_service_hub_professional_or_enterprise(hub, tier):
    service_pro = hub == HubCode.SERVICE and tier_rank(tier) >= tier_rank(TierCode.PROFESSIONAL)

    assert ("service" in enabled_seat_types([(hub, tier)])) is service_pro


def test_enabled_seat_types_of_several_hubs_combine():
    items = [("sales", "enterprise"), ("service", "professional"), ("marketing", "free")]

    assert enabled_seat_types(items) == {"core", "sales", "service"}


def test_core_seat_price_follows_the_highest_tier_owned():
    items = [("sales", "starter"), ("marketing", "professional")]

    assert seat_price_cents(items, "core") == 5000
    assert seat_price_cents([("sales", "starter")], "core") == 2000
    assert seat_price_cents([*items, ("cms", "enterprise")], "core") == 7500


def test_sales_and_service_seats_are_priced_by_their_hub():
    items = [("sales", "enterprise"), ("service", "professional")]

    assert seat_price_cents(items, "sales") == 15000
    assert seat_price_cents(items, "service") == 10000


def test_seats_no_owned_tier_sells_are_not_for_sale():
    with pytest.raises(SeatNotForSaleError):
        seat_price_cents([("marketing", "free"), ("cms", "starter")], "core")
    with pytest.raises(SeatNotForSaleError):
        seat_price_cents([("sales", "starter")], "sales")


def test_free_seat_types_have_no_price():
    with pytest.raises(ValueError):
        seat_price_cents([("marketing", "professional")], "view_only")


# --- Broken files --------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(*path: Any, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path
        for step in parents:
            data = data[step]
        data[last] = value

    return mutate


def _delete(*path: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path
        for step in parents:
            data = data[step]
        del data[last]

    return mutate


def _duplicate(*path: Any) -> Mutation:
    """Append a copy of the list element at `path` to its list."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, index = path
        for step in parents:
            data = data[step]
        data.append(copy.deepcopy(data[index]))

    return mutate


# Shipped order: hubs marketing, sales, service, cms, operations; tiers free .. enterprise.
MARKETING_PRO = ("hubs", 0, "tiers", 2)
SALES_PRO = ("hubs", 1, "tiers", 2)


def test_an_unchanged_copy_of_the_shipped_file_loads_the_same(tmp_path, raw):
    assert _load(tmp_path, raw) == catalogue_get()


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        pytest.param(_set("hubs", 3, "code", value="website"), "hubs[website].code", id="hub"),
        pytest.param(
            _set("hubs", 0, "tiers", 1, "code", value="basic"),
            "hubs[marketing].tiers[basic].code",
            id="tier",
        ),
    ],
)
def test_unknown_codes_are_refused(tmp_path, raw, mutate, key):
    mutate(raw)

    with pytest.raises(CatalogueError, match=re.escape(key) + ": unknown"):
        _load(tmp_path, raw)


def test_a_missing_tier_is_refused(tmp_path, raw):
    _delete("hubs", 0, "tiers", 3)(raw)

    with pytest.raises(
        CatalogueError, match=r"hubs\[marketing\]\.tiers: missing tier 'enterprise'"
    ):
        _load(tmp_path, raw)


def test_a_missing_hub_is_refused(tmp_path, raw):
    _delete("hubs", 4)(raw)

    with pytest.raises(CatalogueError, match=r"hubs: missing hub 'operations'"):
        _load(tmp_path, raw)


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        pytest.param(_set(*MARKETING_PRO, "price_cents", value=-1), "price_cents", id="negative"),
        pytest.param(_set(*MARKETING_PRO, "price_cents", value=800.5), "price_cents", id="float"),
        pytest.param(_set(*MARKETING_PRO, "price_cents", value="800"), "price_cents", id="string"),
        pytest.param(_set(*MARKETING_PRO, "price_cents", value=True), "price_cents", id="bool"),
        pytest.param(
            _set(*MARKETING_PRO, "seat_price_cents", value=50.0), "seat_price_cents", id="seat"
        ),
        pytest.param(
            _set(*MARKETING_PRO, "included_core_seats", value=-3),
            "included_core_seats",
            id="seats",
        ),
    ],
)
def test_cents_must_be_non_negative_integers(tmp_path, raw, mutate, key):
    mutate(raw)

    with pytest.raises(
        CatalogueError, match=re.escape(f"hubs[marketing].tiers[professional].{key}")
    ):
        _load(tmp_path, raw)


def test_add_on_prices_must_be_non_negative_integers(tmp_path, raw):
    _set("addons", 2, "price_cents", value=-100)(raw)

    with pytest.raises(CatalogueError, match=re.escape("addons[custom_objects].price_cents")):
        _load(tmp_path, raw)


def test_an_unknown_seat_type_is_refused(tmp_path, raw):
    _set(*MARKETING_PRO, "seat_type", value="premium")(raw)

    with pytest.raises(
        CatalogueError,
        match=re.escape(
            "hubs[marketing].tiers[professional].seat_type: unknown seat type 'premium', "
            "expected one of core, sales, service"
        ),
    ):
        _load(tmp_path, raw)


@pytest.mark.parametrize("seat_type", ["premium", "view_only"])
def test_enabling_an_unknown_seat_type_is_refused(tmp_path, raw, seat_type):
    _set(*SALES_PRO, "enables_seat_types", value=["sales", seat_type])(raw)

    with pytest.raises(
        CatalogueError,
        match=re.escape(
            f"hubs[sales].tiers[professional].enables_seat_types: unknown seat type "
            f"{seat_type!r}, expected some of core, sales, service"
        ),
    ):
        _load(tmp_path, raw)


def test_selling_a_seat_type_the_tier_does_not_enable_is_refused(tmp_path, raw):
    _set(*SALES_PRO, "enables_seat_types", value=[])(raw)

    with pytest.raises(
        CatalogueError, match=re.escape("hubs[sales].tiers[professional].enables_seat_types")
    ):
        _load(tmp_path, raw)


def test_a_seat_price_without_a_seat_type_is_refused(tmp_path, raw):
    _set("hubs", 0, "tiers", 0, "seat_price_cents", value=100)(raw)

    with pytest.raises(CatalogueError, match=re.escape("hubs[marketing].tiers[free].seat_price")):
        _load(tmp_path, raw)


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        pytest.param(_duplicate("hubs", 1), "hubs[sales].code", id="hub"),
        pytest.param(
            _duplicate("hubs", 2, "tiers", 0), "hubs[service].tiers[free].code", id="tier"
        ),
        pytest.param(_duplicate("addons", 0), "addons[marketing_contacts].code", id="addon"),
    ],
)
def test_duplicate_codes_are_refused(tmp_path, raw, mutate, key):
    mutate(raw)

    with pytest.raises(CatalogueError, match=re.escape(key) + ".* listed twice"):
        _load(tmp_path, raw)


def test_an_add_on_may_not_reuse_a_hub_code(tmp_path, raw):
    _set("addons", 0, "code", value="cms")(raw)

    with pytest.raises(CatalogueError, match=re.escape("addons[cms].code")):
        _load(tmp_path, raw)


def test_a_missing_key_is_named(tmp_path, raw):
    _delete(*MARKETING_PRO, "included_core_seats")(raw)

    with pytest.raises(
        CatalogueError,
        match=re.escape("hubs[marketing].tiers[professional].included_core_seats: missing"),
    ):
        _load(tmp_path, raw)


def test_a_misspelt_key_is_named(tmp_path, raw):
    _set(*MARKETING_PRO, "price_cent", value=80000)(raw)

    with pytest.raises(
        CatalogueError,
        match=re.escape("hubs[marketing].tiers[professional].price_cent: unknown key"),
    ):
        _load(tmp_path, raw)


@pytest.mark.parametrize("months", [0, 13, 10.0])
def test_annual_months_must_be_a_whole_number_of_months_in_a_year(tmp_path, raw, months):
    raw["annual_months"] = months

    with pytest.raises(CatalogueError, match="annual_months"):
        _load(tmp_path, raw)


def test_a_file_that_is_not_toml_names_the_file(tmp_path):
    path = tmp_path / "catalogue.toml"
    path.write_text('currency = "usd\n', encoding="utf-8")

    with pytest.raises(CatalogueError, match=re.escape(str(path))):
        catalogue_load(path)


def test_every_word_of_the_catalogue_people_read_is_listed_for_the_translators():
    """A limit, an add-on or a unit added to catalogue.toml and not to
    billing.catalogue_words would reach a French page in English."""
    catalogue = catalogue_get()
    shown = {
        limit for hub in catalogue.hubs.values() for t in hub.tiers.values() for limit in t.limits
    }
    shown |= {
        text for addon in catalogue.addons.values() for text in (addon.name, addon.unit_label)
    }

    assert shown - set(CATALOGUE_WORDS) == set()
