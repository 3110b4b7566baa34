"""Where a page's time goes: a sampling profile (pyinstrument) of many requests of it, its time
shared out among the parts a reader can act on.

A sampler, not cProfile: cProfile's cost per function call inflates the parts made of many
small calls (a row's escaping and translation lookups) against those that wait (PostgreSQL),
and the shares would be wrong. The shares are of the profiled requests; the milliseconds are
those shares of the page's unprofiled median, measured in the same run.
"""

from collections.abc import Callable
from dataclasses import dataclass

# A part of the page: its label, and the function (name, end of its file's path) whose
# time it is. The first match on a call path takes the time below it (nothing is counted twice).
Part = tuple[str, str, str]


@dataclass(frozen=True)
class Share:
    label: str
    share: float  # of the whole request


def _matches(frame, function: str, path_end: str) -> bool:
    return frame.function == function and (frame.file_path or "").endswith(path_end)


def _find_all(frame, function: str, path_end: str) -> list:
    """Every frame of `function` under `frame` (the same call reached by several paths, as
    the sampler saw it), not looking inside a match."""
    if _matches(frame, function, path_end):
        return [frame]
    return [found for child in frame.children for found in _find_all(child, function, path_end)]


def _collect(frame, parts: list[Part], totals: dict[str, float]) -> None:
    for label, function, path_end in parts:
        if _matches(frame, function, path_end):
            totals[label] = totals.get(label, 0.0) + frame.time
            return
    for child in frame.children:
        _collect(child, parts, totals)


def profile(request: Callable[[], object], *, requests: int):
    """The call tree (pyinstrument's root frame) of `requests` calls of `request`, sampled
    once a millisecond; `shares` reads it, as many times as there are ways to cut it."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.001)
    profiler.start()
    for _ in range(requests):
        request()
    profiler.stop()
    return profiler.last_session.root_frame()


def shares(
    root, *, view: tuple[str, str], parts: list[Part], rest_label: str, outside_label: str
) -> list[Share]:
    """The profiled time shared out: `parts` (inside the view), the view's remainder
    (`rest_label`) and everything outside the view function (`outside_label`: the middleware,
    the session and sign-in, the test client)."""
    total = root.time
    view_frames = _find_all(root, *view)
    if not view_frames or total <= 0:
        raise RuntimeError(f"the profile shows no call of the view {view[0]} ({view[1]})")
    totals: dict[str, float] = {}
    for frame in view_frames:
        _collect(frame, parts, totals)
    view_time = sum(frame.time for frame in view_frames)
    inside = sum(totals.values())
    return [
        *(Share(label, totals.get(label, 0.0) / total) for label, *_ in parts),
        Share(rest_label, (view_time - inside) / total),
        Share(outside_label, (total - view_time) / total),
    ]
