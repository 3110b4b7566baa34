"""A crawl of seatmgr's pages with Django's test client: every same-site link (and htmx `hx-get`)
a signed-in person's pages lead to, once per URL name and set of query keys, and the forms of a
page, read well enough to submit them as a person who fills nothing in would."""

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from django.urls import Resolver404, resolve

# Links the crawl does not follow: they end the session, switch the account or the person, or
# download a file rather than show a page.
NOT_PAGES = {
    "accounts:logout",
    "accounts:switch_account",
    "invitations:switch_user",
    "seats:users_export",
    "seats:audit_log_export",
}


@dataclass
class Form:
    action: str
    method: str
    in_main: bool
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (tag/type, name, value)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (name, value) of submits

    def emptied(self, button: str | None = None) -> dict[str, list[str]]:
        """The data of this form submitted with every typed field left empty (numbers 0): hidden
        fields, ticked boxes and chosen options as the page has them; `button` is the name=value
        of the submit button pressed, else the last one's."""
        data: dict[str, list[str]] = {}
        for kind, name, value in self.fields:
            if kind in {"text", "email", "password", "textarea", "search", "url", "tel", ""}:
                value = ""
            elif kind == "number":
                value = "0"
            data.setdefault(name, []).append(value)
        pressed = [b for b in self.buttons if f"{b[0]}={b[1]}" == button] or self.buttons[-1:]
        for name, value in pressed:
            if name:
                data.setdefault(name, []).append(value)
        return data

    @property
    def typed(self) -> bool:
        return any(kind not in {"hidden", "checkbox", "radio"} for kind, _, _ in self.fields)


class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.main_depth = 0
        self.select: str | None = None
        self.options: list[tuple[str, bool]] = []
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "main":
            self.main_depth += 1
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if attrs.get("hx-get"):
            self.links.append(attrs["hx-get"])
        if tag == "form":
            self.form = Form(
                attrs.get("action") or "",
                (attrs.get("method") or "get").lower(),
                self.main_depth > 0,
            )
            self.forms.append(self.form)
        form = self.forms[-1] if self.form is None and attrs.get("form") else self.form
        if form is None:
            return
        name = attrs.get("name")
        if tag == "input":
            kind = (attrs.get("type") or "").lower()
            if kind in {"submit", "image"}:
                form.buttons.append((name or "", attrs.get("value") or ""))
            elif name and (kind not in {"checkbox", "radio"} or "checked" in attrs):
                form.fields.append((kind, name, attrs.get("value") or ""))
        elif tag == "button" and (attrs.get("type") or "submit") == "submit":
            form.buttons.append((name or "", attrs.get("value") or ""))
        elif tag == "select" and name:
            self.select, self.options = name, []
        elif tag == "option" and self.select:
            self.options.append((attrs.get("value") or "", "selected" in attrs))
        elif tag == "textarea" and name:
            form.fields.append(("textarea", name, ""))

    def handle_endtag(self, tag):
        if tag == "main":
            self.main_depth -= 1
        if tag == "form":
            self.form = None
        if tag == "select" and self.select and self.form is not None:
            chosen = [value for value, selected in self.options if selected] or [
                value for value, _ in self.options[:1]
            ]
            for value in chosen:
                self.form.fields.append(("select", self.select, value))
            self.select = None


def page_parts(html: str) -> tuple[list[str], list[Form]]:
    parser = _Page()
    parser.feed(html)
    return parser.links, parser.forms


def view_name(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


def crawl_key(url: str) -> tuple | None:
    parts = urlsplit(url)
    if parts.scheme and parts.netloc not in {"testserver"}:
        return None
    name = view_name(url)
    if name is None or name in NOT_PAGES or name.startswith("admin:"):
        return None
    keys = tuple(sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair}))
    return (name, keys)


def absolute(base: str, href: str) -> str:
    joined = urljoin("http://testserver" + base, href)
    parts = urlsplit(joined)
    if parts.netloc != "testserver":
        return joined
    return parts.path + (f"?{parts.query}" if parts.query else "")
