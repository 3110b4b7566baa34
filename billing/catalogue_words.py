"""The words of billing/data/catalogue.toml that people read (tiers' limits, add-ons' names and
units), listed for the translators: makemessages reads Python, not TOML. Pages translate them
where they show them (`{% translate limit %}`, `gettext(addon.name)`); the catalogue itself and
what is recorded from it (invoice lines, audit events) stay in the catalogue's words.

tests/billing/test_catalogue.py holds this list to the file: a word added there and not here
fails, so that it cannot reach a French page in English.
"""

from django.utils.translation import gettext_noop

CATALOGUE_WORDS = (
    # Add-ons
    gettext_noop("Additional marketing contacts"),
    gettext_noop("1,000 marketing contacts"),
    gettext_noop("Custom objects"),
    gettext_noop("Transactional email"),
    gettext_noop("month"),
    # Tiers' limits
    gettext_noop("Blog posts: 100"),
    gettext_noop("Connected domains: 1"),
    gettext_noop("Custom field mappings"),
    gettext_noop("Customer feedback surveys"),
    gettext_noop("Data quality automation"),
    gettext_noop("Data sync integrations: 1"),
    gettext_noop("Datasets: 1,000"),
    gettext_noop("Deal pipelines: 1"),
    gettext_noop("Deal pipelines: 2"),
    gettext_noop("Deal pipelines: 15"),
    gettext_noop("Deal pipelines: 100"),
    gettext_noop("Default field mappings"),
    gettext_noop("Email templates: 5"),
    gettext_noop("Email templates: 5,000"),
    gettext_noop("Forecasting"),
    gettext_noop("Help desk inboxes: 1"),
    gettext_noop("Help desk inboxes: 2"),
    gettext_noop("Historical sync"),
    gettext_noop("Knowledge base articles: 2,000"),
    gettext_noop("Knowledge base articles: 10,000"),
    gettext_noop("Live chat"),
    gettext_noop("Marketing contacts: 1,000"),
    gettext_noop("Marketing contacts: 2,000"),
    gettext_noop("Marketing contacts: 10,000"),
    gettext_noop("Marketing emails: 2,000 per month"),
    gettext_noop("Marketing emails: 5x contact tier per month"),
    gettext_noop("Marketing emails: 10x contact tier per month"),
    gettext_noop("Marketing emails: 20x contact tier per month"),
    gettext_noop("Meeting links: 1"),
    gettext_noop("Meeting links: 1,000"),
    gettext_noop("Memberships"),
    gettext_noop("Multiple brand domains"),
    gettext_noop("No provider branding"),
    gettext_noop("Playbooks: 5,000"),
    gettext_noop("Programmable automation"),
    gettext_noop("Provider branding"),
    gettext_noop("Provider branding on forms and emails"),
    gettext_noop("SEO recommendations"),
    gettext_noop("Sandbox accounts"),
    gettext_noop("Scheduled workflows"),
    gettext_noop("Sequences: 5,000"),
    gettext_noop("Smart content"),
    gettext_noop("Snowflake data share"),
    gettext_noop("Ticket pipelines: 1"),
    gettext_noop("Ticket pipelines: 2"),
    gettext_noop("Ticket pipelines: 15"),
    gettext_noop("Ticket pipelines: 100"),
    gettext_noop("Two-way data sync"),
    gettext_noop("Website pages: 25"),
    gettext_noop("Website pages: 50"),
    gettext_noop("Website pages: 10,000"),
    gettext_noop("Workflows: 300"),
    gettext_noop("Workflows: 1,000"),
)
