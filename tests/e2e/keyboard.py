"""Keyboard helpers for the browser tests: Tab to a control the way a keyboard user does, and
check what a sighted keyboard user sees of focus."""

import re

from playwright.sync_api import Locator, Page

IS_FOCUSED = "element => element === document.activeElement"
# The ring the focused element draws: its outline (width, style, colour) as the browser computes it.
# and the colour it is drawn on: the nearest opaque background around the element.
FOCUS_RING = """element => {
  const style = getComputedStyle(element);
  let around = element.parentElement, background = "rgb(255, 255, 255)";
  for (; around; around = around.parentElement) {
    const color = getComputedStyle(around).backgroundColor;
    if (color !== "transparent" && !color.startsWith("rgba(0, 0, 0, 0)")) {
      background = color;
      break;
    }
  }
  return {width: parseFloat(style.outlineWidth) || 0, style: style.outlineStyle,
          color: style.outlineColor, background};
}"""
ACTIVE = """() => {
  const element = document.activeElement;
  return `<${element.tagName.toLowerCase()} id="${element.id}" name="${element.name || ""}">`;
}"""


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    light, dark = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def rgb(css: str) -> tuple[int, int, int]:
    red, green, blue = (int(v) for v in re.findall(r"\d+", css)[:3])
    return red, green, blue


def focus_ring_problem(element: Locator) -> str | None:
    """Why the focused `element`'s ring is not plainly visible (WCAG 2.4.7 and 1.4.11: a solid
    ring at least 2px wide, 3:1 against what it is drawn on), or None."""
    return ring_problem(element.evaluate(FOCUS_RING))


def ring_problem(ring: dict) -> str | None:
    if ring["style"] in {"none", "hidden"} or ring["width"] < 2:
        return f"no solid focus ring 2px or wider: {ring}"
    ratio = contrast(rgb(ring["color"]), rgb(ring["background"]))
    if ratio < 3:
        return f"focus ring {ring['color']} on {ring['background']}: contrast {ratio:.2f} < 3"
    return None


def focus_walk_problems(page: Page, *, limit: int = 250) -> list[str]:
    """Tab from the top of the page through every stop (up to `limit`): each control whose focus
    ring is not plainly visible, once per kind of element."""
    page.evaluate(
        "() => { document.activeElement?.blur(); window.getSelection()?.removeAllRanges(); }"
    )
    problems, first = {}, None
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(
            f"() => {{ const element = document.activeElement;"
            f" if (!element || element === document.body) return null;"
            f" return {{describe: ({ACTIVE})(), ring: ({FOCUS_RING})(element),"
            f" same: element.outerHTML.slice(0, 200)}}; }}"
        )
        if stop is None or stop["same"] == first:
            break
        first = first or stop["same"]
        problem = ring_problem(stop["ring"])
        kind = stop["describe"].split(" ")[0]
        if problem and kind not in problems:
            problems[kind] = f"{stop['describe']}: {problem}"
    return list(problems.values())


def tab_to(page: Page, target: Locator, *, limit: int = 80, backwards: bool = False) -> None:
    """Press Tab (Shift+Tab backwards) until `target` has focus; every control passed on the way
    must show a visible focus ring."""
    for _ in range(limit):
        if target.evaluate(IS_FOCUSED):
            break
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focused = page.locator("*:focus")
        problem = focus_ring_problem(focused)
        assert problem is None, f"{page.evaluate(ACTIVE)} on {page.url}: {problem}"
    else:
        raise AssertionError(f"{limit} Tab presses never reached {target}")


def focused(page: Page) -> str:
    """The focused element, as `<tag id="…" name="…">`: for a readable assertion message."""
    return page.evaluate(ACTIVE)
