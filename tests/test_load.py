"""Many annotators at once against the REAL server (``launch.py`` in a subprocess, with logins).

20 annotators (gradio_client, one thread each, released together by a barrier) submit ratings at the
same time through the Rate tab's JSON API; then a shorter burst goes through the Rate tab's own buttons
(``/rate_next`` + ``/rate_submit``). The database must hold every acknowledged rating exactly once, no
item may have more than k annotators or one annotator twice, and nothing may say "database is locked".

Runs on SQLite, and on PostgreSQL too when WORKBENCH_TEST_PG_URL is set. The full 20 x 200 run is
``bench/annotator_load.py``; here each annotator submits WORKBENCH_LOAD_RATINGS (default 12) ratings,
so the test stays well under a minute on 2 cores.
"""

from __future__ import annotations

import os

import pytest
from server_support import DATABASES, database_url

from workbench.store.engine import Store
from workbench.testing import load as harness

pytestmark = pytest.mark.slow  # starts servers and drives many clients

ANNOTATORS = 20
PER_ANNOTATOR = int(os.environ.get("WORKBENCH_LOAD_RATINGS", "12"))
UI_ANNOTATORS, UI_PER_ANNOTATOR = 6, 2
K = 4


@pytest.mark.timeout(240)
@pytest.mark.parametrize("db", DATABASES)
def test_twenty_annotators_submit_at_once(db, tmp_path):
    url = database_url(db, tmp_path)
    store = Store(url)
    demand = ANNOTATORS * PER_ANNOTATOR + UI_ANNOTATORS * UI_PER_ANNOTATOR
    harness.seed_items(store, -(-demand // K) + PER_ANNOTATOR + UI_PER_ANNOTATOR)
    config = harness.write_config(tmp_path, url, K, concurrency=8)
    users, logins = harness.write_users(tmp_path, ANNOTATORS)
    server = harness.start_server(config, users, log_path=tmp_path / "server.log")
    try:
        api_results, _ = harness.run_annotators(server.url, logins, PER_ANNOTATOR, "api")
        ui_results, _ = harness.run_annotators(server.url, logins[:UI_ANNOTATORS], UI_PER_ANNOTATOR, "ui")
    finally:
        server.stop()
    results = api_results + ui_results
    errors = [e for r in results for e in r.errors]
    assert not errors, errors[:5]
    for r in api_results:
        assert len(r.acknowledged) == PER_ANNOTATOR, (r.username, r.acknowledged)
    for r in ui_results:
        assert len(r.acknowledged) == UI_PER_ANNOTATOR, (r.username, r.acknowledged)
    audit = harness.audit(store, results, K)
    store.dispose()
    assert audit.acknowledged == demand
    assert audit.lost == 0
    assert audit.duplicated == 0
    assert audit.over_k_items == 0
    # Every submitted rating in the database was acknowledged to its annotator, and no more.
    assert audit.submitted_in_db == demand
    assert harness.count_locked(results, server.log()) == 0
    # Latency is reported by the bench; here only a sanity bound that catches a serialisation collapse.
    submit_ms = sorted(x for r in api_results for x in r.submit_ms)
    assert harness.percentile(submit_ms, 50) < 5000
