"""SCIM 2.0 provisioning (/scim/v2/): the company's identity provider creates, changes and
removes users and teams, with the seats its provisioning settings choose. The top floor, above
the JSON API whose keys it uses (scope "scim")."""
