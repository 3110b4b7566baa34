"""Every write of the billing floor, one module per part of the domain (STYLE.md item 14).

Import a service from its module (`from billing.services.purchases import seats_purchase`): this
package re-exports nothing, so importing one service never imports them all (nor the tasks some
of them dispatch).
"""
