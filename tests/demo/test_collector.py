"""The garbage-collector setting of a bulk run is undone after it, and leaves alone what the
process had frozen before."""

import gc

from masthead.demo.services import YOUNG_OBJECTS, collector_relaxed


def test_a_bulk_run_restores_the_collector_and_unfreezes_what_it_froze():
    # A test before this one may have loaded Masthead as a process starts
    # (`masthead.collector.paused_while_loading` freezes what it loaded).
    gc.unfreeze()
    threshold = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    with collector_relaxed():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold()[0] == YOUNG_OBJECTS
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == threshold


def test_a_process_that_froze_its_objects_keeps_them_frozen():
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        with collector_relaxed():
            pass
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
