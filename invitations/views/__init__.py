"""The invitations floor's pages, one module per room: create_user (the "Create user" wizard),
links (an admin's actions on an invited member's links), accept (the invitee's side)."""
