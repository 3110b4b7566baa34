"""The Audit log (super admins): every change in the account, filtered, paged, exported."""

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.access import SUPER_ADMIN, member_required
from accounts.pagination import page_of, query_without_page
from seats.audit_log.forms import AuditFilterForm
from seats.audit_log.selectors import audit_actor_choices, audit_event_list
from seats.changes import audit_csv_lines, audit_rows

AUDIT_PER_PAGE = 50


def _audit_events(request):
    account = request.membership.account
    form = AuditFilterForm(request.GET, actors=audit_actor_choices(account=account))
    return form, audit_event_list(account=account, filters=form.filters())


@member_required(SUPER_ADMIN)
@require_safe
def audit_log(request):
    """Every change in the account, newest first, filtered by actor, target, kind and dates."""
    form, events = _audit_events(request)
    page = page_of(request, events, AUDIT_PER_PAGE)
    return render(
        request,
        "seats/audit_log/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": audit_rows(page.object_list),
            "query": query_without_page(request),
        },
    )


@member_required(SUPER_ADMIN)
@require_safe
def audit_log_export(request):
    """ "Export CSV": the filtered list, streamed, formula-looking cells neutralised."""
    _form, events = _audit_events(request)
    response = StreamingHttpResponse(
        audit_csv_lines(events), content_type="text/csv; charset=utf-8"
    )
    stamp = timezone.now().strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
