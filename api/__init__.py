"""The JSON API (/api/v1/) and its API keys: the top floor, beside seatmgr's URLconf.

Scripts call the same services as the pages (invitations, seats, billing) through a key that
a super admin made on Settings → "API keys"; the API adds no rule of its own.
"""
