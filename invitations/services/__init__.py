"""The writes of the invitations floor, one module per domain; import each from its module.

members: "Create user" (members_invite). links: an invited member's links (issue, copy, resend,
revoke) and accepting one. codes: the one-time code that confirms the mailbox behind a copied
link. salesforce: the account's Salesforce connection.
"""
