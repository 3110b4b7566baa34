"""Names vulture cannot see used: each is reached by name, never by a Python reference.

vulture counts a name as used wherever it is read, so reading `_.name` here keeps it. Generic
Django, Celery and Python hooks (Meta options, admin options, `clean_*`, `handle`, ...) are
ignored by pattern in pyproject.toml's [tool.vulture]; only this project's own names are here.
Never executed: vulture only parses it.
"""

_ = object  # a stand-in: vulture only looks at the attribute names read below

# Dotted strings in seatmgr/settings.py (INSTALLED_APPS finds the AppConfigs in apps.py;
# AUTHENTICATION_BACKENDS, AXES_USERNAME_CALLABLE, TEMPLATES' context_processors, MIDDLEWARE,
# PAYMENT_GATEWAY / billing.gateway.DEFAULT_GATEWAY, FORM_RENDERER).
_.AccountsConfig, _.SeatsConfig, _.BillingConfig, _.InvitationsConfig, _.ApiConfig
_.ScimConfig, _.OpsConfig
_.default_auto_field  # api.apps.ApiConfig: Django reads it
_.EmailBackend, _.axes_username, _.settings_shell
_.get_user  # EmailBackend.get_user: django.contrib.auth calls it for each signed-in request
_._render  # accounts.widgets.PlainSelect, PlainInput: Django's Widget.render calls it
_.encoder_class  # api.v1.base._Renderer: ninja's JSONRenderer.render reads it
_.CurrentAccountMiddleware, _.DenyByDefaultMiddleware, _.AllowedMethodsMiddleware
_.NoStoreWhenSignedInMiddleware, _.ProductErrorPagesMiddleware, _.process_exception
_.LanguageMiddleware
_.TestGateway
_.ops_class  # seatmgr.postgresql.base.DatabaseWrapper: Django builds its operations from it
_.prepare_threshold, _.prepared_max  # seatmgr.postgresql: psycopg reads them
_.FormRenderer, _.field_template_name  # FORM_RENDERER; Django reads the attribute
_.bound_field_class  # FormRenderer: Django reads it
_.as_described_widget  # billing/seats_add.html

# Model fields that only the ORM, the admin or a template reads (written as attributes,
# filtered on by string, or just stored for the record).
_.is_active  # User.is_active (auth), Membership.is_active (templates: base, shell, choose_account)
_.deactivated_at, _.deactivation_note, _.sort_name, _.read_at  # accounts
_.updated_by, _.paid_at, _.requested_by, _.emailed_at  # billing
_.sent_at, _.saved_by, _.saved_at  # invitations

# Form fields, read back through cleaned_data["..."] and rendered by templates.
_.password1, _.password2, _.csv_file, _.no_invite, _.payment, _.confirmed, _.adjusted

# TextChoices members: values stored in rows or named in billing/data/catalogue.toml.
_.IN_APP, _.CMS, _.OPERATIONS, _.FREE, _.STARTER, _.ENTERPRISE

# Read only by templates.
_.limits, _.unit_label  # billing/pricing.html, bundle.html (catalogue loaded from TOML)
_.hub_rows, _.addon_rows  # billing/bundle.html
_.changes_anything  # billing/checkout.html
_.renewal_date  # billing/_remove_form.html
_.extra_refunded_cents  # billing/invoice.html: a second payment given back
_.why_not  # invitations/create_user.html, salesforce_connect.html
_.depth_class  # seats/teams.html
_.fits  # seats/permission_set_users.html
_.subject_email  # seats/audit_log.html: the target's address under their name
_.get_full_name  # User: Django auth's hook, and emails/sales_request.*
_.has_previous, _.has_next, _.num_pages, _.end_index  # the pagers (Django's Page interface)
_.has_other_pages, _.previous_page_number, _.next_page_number, _.paginator  # DirectoryPage

# The JSON API (api/): scopes a key may hold though no operation of v1 needs them yet (keys made
# now keep them for the operations to come, issue 15); fields of schemas that django-ninja and
# pydantic read by name; the expiry the API keys page reads.

_.api_key  # IdempotencyRecord.api_key: the ORM's foreign key, written by keyword
_.title, _.next_cursor, _.created_people, _.links_revoked  # api.problems.Problem, api.schemas
_.render_page  # ninja's DocsBase hook: /api/v1/docs
_.param_name, _.allow_request, _.wait  # ninja's cookie auth and throttle hooks (api.v1.base)
_.expired  # templates/api/api_keys.html
_.main_members, _.extra_members  # api.v1.teams.TeamOut (pydantic reads them by name)
_.effective_on, _.removal, _.removals, _.next_renewal  # api.v1.billing's schemas
_.tier_label, _.removed_at_renewal, _.auto_renew  # api.v1.billing's schemas
_.ReclaimConfig  # seats.reclaim's AppConfig: Django finds it in INSTALLED_APPS
_.exempt_emails  # seats.reclaim.forms: a form field, read by name in its template
_.warned_at, _.restored_at  # ReclaimNotice: read by templates/seats/reclaim/reclaim_policy.html
_.reclaimed_note  # an inclusion tag: templates/seats/users/user.html calls it by name
_.decided_by, _.decided_at  # SeatRequest: templates/seats/requests/*.html read them

# The Stripe gateway (issue 17).
_.received_at  # WebhookEvent.received_at, stored for the record
_._csp_update  # billing.payment_views: django-csp's middleware reads it from the response
_.app_configs  # billing.checks.stripe_keys_check: Django passes it by name

# Attributes a library reads.
_.mutability  # scim2-models' Attribute: the Schemas document publishes it (scim.resources)
_.trust_env  # requests.Session: invitations/salesforce.py turns off the environment's proxies
_.get_client, _._class  # seatmgr.cache: Django's RedisCache calls and reads them by name
# accounts.sessions and its model: Django's database session store calls and sets them by name.
_.get_session_store_class, _.get_model_class, _._get_session_from_db, _._session_key

# Read by makemessages (the translators' list of the catalogue's words) and by its test.
_.CATALOGUE_WORDS

# ---------------------------------------------------------------------------------------------
# TO DELETE (issue 12): dead code vulture found. Delete the code, then its line here; this
# section must end up empty. (The unreachable tail of seats/services.py member_seat_change is
# the "return" entry of ignore_names in pyproject.toml: vulture cannot allow-list it here.)
_.deleted_at  # billing.PaymentCustomer: read through ORM lookups (deleted_at__isnull)
