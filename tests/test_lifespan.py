"""What the app does when it starts and stops, beside serving."""

import gc

from sqlalchemy import Engine

from tests.helpers import client_for


def test_start_up_heap_is_frozen_out_of_the_collector_while_serving(
    seeded_engine: Engine,
) -> None:
    gc.unfreeze()
    with client_for(seeded_engine) as client:
        assert gc.get_freeze_count() > 10_000  # modules, routes, schemas: all of start-up
        assert client.get("/health/live").status_code == 200
    assert gc.get_freeze_count() == 0
