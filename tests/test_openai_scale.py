"""The OpenAI-compatible backend at scale: requests in flight, retries with back-off, the per-minute cap."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workbench.batch import run_batch
from workbench.config import OpenAIColumn, parse_config
from workbench.dialogue import Dialogue
from workbench.errors import GenerationError
from workbench.models.openai_compat import OpenAICompatible
from workbench.services import build_services
from workbench.store.schema import Dataset, Generation, Turn
from workbench.store.schema import Dialogue as DialogueRow

REPO = Path(__file__).resolve().parents[1]


def _latency_module():
    name = "latency_openai"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "bench" / "latency_openai.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
    return sys.modules[name]


def server(**kw):
    return _latency_module().LatencyOpenAI(**kw)


def column(url: str, **kw) -> OpenAICompatible:
    return OpenAICompatible(OpenAIColumn(name="S", backend="openai-compatible", base_url=url, model_name="m", **kw))


DIALOGUES = [Dialogue.of([("patient", f"我头疼{i}天了")]) for i in range(12)]


def test_a_batch_keeps_max_concurrency_requests_in_flight():
    with server(latency_s=0.3, tokens=3) as srv:
        got = column(srv.base_url, max_concurrency=4).generate_batch(DIALOGUES, seed=1)
    assert [t for t, _ in got] == ["字字字"] * len(DIALOGUES)
    assert all(tr.output_tokens == 3 for _, tr in got)
    assert srv.peak_in_flight == 4  # never more than the cap, and the cap is used
    with server(latency_s=0.05, tokens=1) as srv:
        column(srv.base_url, max_concurrency=1).generate_batch(DIALOGUES[:4])
    assert srv.peak_in_flight == 1


def test_default_max_concurrency_is_16():
    assert OpenAIColumn(name="S", backend="openai-compatible", base_url="x", model_name="m").max_concurrency == 16


def test_429_and_5xx_are_retried_with_back_off():
    with server(latency_s=0.0, tokens=2, fail=[429, 503], retry_after=0) as srv:
        text, _ = column(srv.base_url, max_retries=3).generate(DIALOGUES[0])
    assert text == "字字" and srv.statuses == [429, 503, 200]
    with server(latency_s=0.0, fail=[500, 502, 503], retry_after=0) as srv:
        with pytest.raises(GenerationError, match=r"503.*after 3 attempt"):
            column(srv.base_url, max_retries=2).generate(DIALOGUES[0])
    with server(latency_s=0.0, fail=[400]) as srv:  # a client error is not retried
        with pytest.raises(GenerationError, match="400"):
            column(srv.base_url, max_retries=3).generate(DIALOGUES[0])
    assert srv.statuses == [400]


def test_requests_per_minute_cap_spaces_request_starts():
    with server(latency_s=0.0, tokens=1) as srv:
        column(srv.base_url, max_concurrency=8, requests_per_minute=600).generate_batch(DIALOGUES[:5])
    # 600/min = one start every 0.1 s. The server sees each start a scheduling delay late, which can shorten
    # one gap by that much (and lengthen the next; on a loaded CI machine one gap was 0.028 s): a limiter that
    # does not space starts leaves every gap near 0, and the first and last starts less than 0.37 s apart.
    gaps = [b - a for a, b in zip(srv.starts, srv.starts[1:], strict=False)]
    assert len(srv.starts) == 5 and min(gaps) >= 0.015 and srv.starts[-1] - srv.starts[0] >= 0.37


def test_batch_runs_an_openai_column_concurrently(tmp_path):
    with server(latency_s=0.2, tokens=4) as srv:
        cfg = parse_config({"database_url": f"sqlite:///{tmp_path / 'b.db'}", "annotation": {"users_file": None},
                            "columns": [{"name": "S", "backend": "openai-compatible", "base_url": srv.base_url,
                                         "model_name": "m", "max_concurrency": 8}]}, "<test>")
        svc = build_services(cfg)
        with svc.store.session() as s:
            ds = Dataset(name="d", format="test")
            s.add(ds)
            s.flush()
            s.add_all([DialogueRow(source="dataset", dataset_id=ds.id, turns=[
                Turn(idx=0, role="patient", text=f"咳嗽{i}天"), Turn(idx=1, role="doctor", text="有痰吗？")])
                for i in range(40)])
        summary = run_batch(svc, "d", ["S"], "all")
        with svc.store.session() as s:
            stored = s.scalar(select(func.count()).select_from(Generation).where(Generation.status == "ok"))
        svc.close()
    assert summary.generated == stored == 40 and summary.errors == 0
    assert srv.peak_in_flight == 8
