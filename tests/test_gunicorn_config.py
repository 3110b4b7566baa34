"""docker/gunicorn.conf.py's worker hook: once a worker has loaded seatmgr, everything then alive
is moved out of the garbage collector's full passes (gc.freeze)."""

import gc
import runpy
from pathlib import Path

CONFIG = Path(__file__).resolve().parent.parent / "docker" / "gunicorn.conf.py"


def test_a_worker_freezes_what_it_loaded_and_collects_only_what_came_later():
    hook = runpy.run_path(str(CONFIG))["post_worker_init"]
    assert gc.get_freeze_count() == 0
    try:
        hook(worker=None)
        frozen = gc.get_freeze_count()
        assert frozen > 10_000  # the modules, settings, models and apps of this process
        gc.collect()
        assert gc.get_freeze_count() == frozen  # a full pass leaves the frozen objects be
    finally:
        gc.unfreeze()
