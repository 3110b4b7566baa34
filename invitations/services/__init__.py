"""The writes of the invitations floor, one module per domain; import each from its module.

members: "Create user" (members_invite). links: an invited member's links (issue, copy, resend,
revoke) and accepting one. salesforce: the account's Salesforce connection.
"""
