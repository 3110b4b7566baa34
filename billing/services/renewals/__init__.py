"""Renewal: at the end of a period, the scheduled changes take effect and the next period is
invoiced and charged. `batches` renews due subscriptions in batches (the beat job),
`subscription` one at a time (catch-up, pending changes, retries of declined invoices), `prices`
prices a renewal, `charges` charges its invoices after commit with no lock held.
"""
