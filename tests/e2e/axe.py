"""axe-core in the browser tests: inject the vendored axe.min.js into a page and list what it finds.

axe-core is vendored under tests/e2e/vendor/axe-core/ (see its README.md): it is loaded into the
page under test only, never served by the product.
"""

from pathlib import Path

AXE_SOURCE = (Path(__file__).with_name("vendor") / "axe-core" / "axe.min.js").read_text()
# What the product must never ship: axe's two worst impact levels.
BLOCKING = {"serious", "critical"}
# WCAG 2.x A and AA plus axe's best practices (landmarks, headings, regions...).
RUN_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


def axe_violations(page) -> list[dict]:
    """axe's violations on the page as it is now (after any dialog opened or form submitted)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated rather than added as a <script>: the product's Content-Security-Policy
        # (script-src 'self') rightly refuses an inline script tag, and it stays on under test.
        page.evaluate(AXE_SOURCE)
    return page.evaluate(RUN_IN_FLOW, RUN_OPTIONS)


# axe treats a position: sticky element (the permission editor's bar, a sticky table header) as
# if it stayed where it is drawn now, so whatever it happens to cover at this scroll position
# fails target-size as "partially obscured" (dequelabs/axe-core#3720, open). axe runs with
# sticky elements in their place in the flow, as a person sees them after scrolling; their own
# controls are checked there too. Nothing else changes.
RUN_IN_FLOW = """options => {
  const sticky = [...document.querySelectorAll("body *")]
    .filter(element => getComputedStyle(element).position === "sticky")
    .map(element => [element, element.style.getPropertyValue("position"),
                     element.style.getPropertyPriority("position")]);
  sticky.forEach(([element]) => element.style.setProperty("position", "static", "important"));
  return axe.run(document, options)
    .then(result => result.violations)
    .finally(() => sticky.forEach(([element, value, priority]) => value
      ? element.style.setProperty("position", value, priority)
      : element.style.removeProperty("position")));
}"""


def blocking(violations: list[dict]) -> list[dict]:
    return [v for v in violations if v["impact"] in BLOCKING]


def violations_report(violations: list[dict]) -> str:
    """One line per rule and up to three offending elements: what failed, where, and why."""
    lines = []
    for violation in violations:
        lines.append(
            f"[{violation['impact']}] {violation['id']}: {violation['help']} "
            f"({len(violation['nodes'])} element(s))"
        )
        for node in violation["nodes"][:3]:
            target = " ".join(str(t) for t in node["target"])
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            lines.append(f"    {target}: {summary[:240]}")
    return "\n".join(lines)


DANGLING_IDREFS = """() => [...document.querySelectorAll("[aria-describedby], [aria-labelledby]")]
  .flatMap(element => ["aria-describedby", "aria-labelledby"].flatMap(name =>
    (element.getAttribute(name) || "").split(/\\s+/)
      .filter(id => id && !document.getElementById(id))
      .map(id => `<${element.tagName.toLowerCase()} id="${element.id}"> ${name}="${id}"`)))"""


def dangling_idrefs(page) -> list[str]:
    """Every aria-describedby or aria-labelledby id that no element on the page has (axe only
    fails an attribute when none of its ids resolves)."""
    return page.evaluate(DANGLING_IDREFS)
