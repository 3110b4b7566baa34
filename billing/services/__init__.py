"""Every write of the billing floor, one module per part of the domain (STYLE.md item 14).

Import a service from its module (`from billing.services.purchases import seats_purchase`): this
package re-exports nothing, so importing one service never imports them all (nor the tasks some
of them dispatch).

Charging a card, one policy (billing.services.charges, where both charge functions live): an
admin's purchase or checkout charges inside its transaction while holding the account's lock,
so two admins can't sell the same seats twice and what was bought is granted in the same commit
as the payment (a refused card rolls it all back); the renewal job charges after its renewal has
committed, with no lock held, and records the outcome in a second short transaction, so a batch
never holds hundreds of accounts while a provider answers (a declined renewal takes nothing away:
its invoice stays open and is retried). Every charge's idempotency key names what is paid for.
"""
