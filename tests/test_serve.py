"""``serve`` as the real OpenAI-compatible server: the API itself, then the project's own openai-compatible
backend, LLM patient and judge end to end against it, on the demo models."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from conftest import config_with_db
from fake_openai import FakeOpenAI
from sqlalchemy import func, select

from workbench.analysis.simulated import consultations_frame
from workbench.annotate.classifier import AGENT, RULES_AGENT, TURN_TYPES
from workbench.annotate.queue import open_item, sync_queue, take_next
from workbench.annotate.rubric import NA
from workbench.auth import upsert_user
from workbench.config import OpenAIColumn, parse_config
from workbench.dialogue import Dialogue
from workbench.errors import ConfigError
from workbench.judge import judge_agreement, judge_messages, parse_judgement, run_judge
from workbench.models.openai_compat import OpenAICompatible
from workbench.models.registry import ModelPool, build_backends
from workbench.serve import ServerThread, create_app, resolve_token
from workbench.services import build_services
from workbench.simulate.cases import load_cases
from workbench.simulate.run import run_simulation
from workbench.store.schema import Dialogue as DialogueRow
from workbench.store.schema import Generation, Rating, Suggestion
from workbench.vocab import GREETING_ROUTE, GenerationStatus

REPO = Path(__file__).resolve().parents[1]
DIALOGUE = Dialogue.of([("patient", "你好"), ("doctor", "您好"), ("patient", "我最近总是头疼。")])
MESSAGES = [{"role": "system", "content": "ignored"}, {"role": "user", "content": "你好"},
            {"role": "assistant", "content": "您好"}, {"role": "user", "content": "我最近总是头疼。"}]


@pytest.fixture(scope="module")
def api(demo_config):
    """The demo columns behind ``serve``'s app, on 127.0.0.1."""
    backends = build_backends(demo_config, ModelPool(demo_config.resolve_path(demo_config.cache_dir)))
    with ServerThread(create_app(demo_config, backends)) as url:
        yield url, backends


def served_column(url: str, model: str, name: str = "Served", **kw) -> dict:
    return {"name": name, "backend": "openai-compatible", "base_url": url, "model_name": model, "timeout_s": 300,
            "seed": 1234, **kw}


def test_models_and_chat_completions(api):
    url, backends = api
    models = httpx.get(f"{url}/models").json()
    assert [m["id"] for m in models["data"]] == list(backends) and models["object"] == "list"
    want, _ = backends["BianQue-2.0"].generate(DIALOGUE, seed=7)
    r = httpx.post(f"{url}/chat/completions", json={"model": "BianQue-2.0", "messages": MESSAGES, "seed": 7},
                   timeout=300)
    body = r.json()
    assert r.status_code == 200 and body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": want}
    assert body["usage"]["completion_tokens"] > 0
    # Streaming: the deltas add up to the same reply, then a stop chunk, the usage and [DONE].
    parts = [{"type": "text", "text": "我最近"}, {"type": "text", "text": "总是头疼。"}]
    stream_msgs = [*MESSAGES[:-1], {"role": "user", "content": parts}]
    with httpx.stream("POST", f"{url}/chat/completions", timeout=300,
                      json={"model": "BianQue-2.0", "messages": stream_msgs, "seed": 7, "stream": True,
                            "stream_options": {"include_usage": True}}) as r:
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == want
    assert [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]][-1] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] > 0


def test_a_first_message_gets_the_models_reply_not_the_chat_greeting(api):
    """The greeting is the Chat tab's convention: over the API every column calls its model, first message too."""
    from workbench.prompts import GREETING

    url, backends = api
    for model in backends:
        r = httpx.post(f"{url}/chat/completions", timeout=300, json={
            "model": model, "seed": 3, "messages": [{"role": "system", "content": "你是医生"},
                                                    {"role": "user", "content": "孩子发烧39度怎么办"}]})
        body = r.json()
        assert r.status_code == 200, body
        assert body["choices"][0]["message"]["content"] != GREETING, model
        assert body["usage"]["completion_tokens"] > 0, model


def test_bad_requests_get_clear_errors(api):
    url, _ = api
    post = lambda body: httpx.post(f"{url}/chat/completions", json=body, timeout=60)  # noqa: E731
    r = post({"model": "GPT-9", "messages": MESSAGES})
    assert r.status_code == 404 and "no model 'GPT-9'" in r.json()["error"]["message"]
    r = post({"model": "BianQue-1.0", "messages": [{"role": "user", "content": "a"}, {"role": "assistant",
                                                                                       "content": "b"}]})
    assert r.status_code == 400 and "must be from the user" in r.json()["error"]["message"]
    r = post({"model": "BianQue-1.0", "messages": [{"role": "tool", "content": "x"}]})
    assert r.status_code == 400 and "messages[0].role" in r.json()["error"]["message"]
    r = post({"model": "BianQue-1.0", "messages": [{"role": "user", "content": "长" * 5000}]})
    assert r.status_code == 400 and "limit is 4000" in r.json()["error"]["message"]
    r = httpx.post(f"{url}/chat/completions", content=b"{not json", timeout=60)
    assert r.status_code == 400 and r.json()["error"]["message"] == "the body must be JSON"


def test_bearer_token(demo_config, monkeypatch):
    app = create_app(demo_config, {}, token="s3cret-token")
    with ServerThread(app) as url:
        assert httpx.get(f"{url}/models").status_code == 401
        assert httpx.get(f"{url}/models", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert httpx.get(f"{url}/models", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    monkeypatch.delenv("WB_TEST_TOKEN", raising=False)
    assert resolve_token("127.0.0.1", "WB_TEST_TOKEN") is None  # loopback: no token needed
    with pytest.raises(ConfigError, match="needs a bearer token: set the environment variable WB_TEST_TOKEN"):
        resolve_token("0.0.0.0", "WB_TEST_TOKEN")
    monkeypatch.setenv("WB_TEST_TOKEN", "abc")
    assert resolve_token("0.0.0.0", "WB_TEST_TOKEN") == "abc"


def test_serve_command_refuses_the_network_without_a_token(monkeypatch, capsys):
    from workbench.cli import main

    monkeypatch.delenv("WORKBENCH_SERVE_TOKEN", raising=False)
    assert main(["serve", "--config", str(REPO / "configs" / "demo.yaml"), "--host", "0.0.0.0"]) == 2
    assert "needs a bearer token" in capsys.readouterr().err


def test_openai_compatible_backend_against_serve(api):
    url, backends = api
    col = OpenAICompatible(OpenAIColumn(**served_column(url, "BianQue-1.0"), max_concurrency=4))
    want = [backends["BianQue-1.0"].generate(d, seed=5)[0] for d in (DIALOGUE, DIALOGUE.append("doctor", "多久了？")
                                                                    .append("patient", "三天。"))]
    text, trace = col.generate(DIALOGUE, seed=5)
    assert text == want[0] and trace.output_tokens and trace.model_name == "BianQue-1.0"
    dialogues = [DIALOGUE, DIALOGUE.append("doctor", "多久了？").append("patient", "三天。")] * 3
    got = col.generate_batch(dialogues, seed=5)
    assert [t for t, _ in got] == want * 3


def test_llm_patient_end_to_end(demo_config, api, tmp_path):
    url, _ = api
    cfg = parse_config({**config_with_db(demo_config, f"sqlite:///{tmp_path / 'p.db'}").model_dump(exclude={"source"}),
                        "columns": [*[c.model_dump() for c in demo_config.columns],
                                    served_column(url, "BianQue-2.0", "Patient")]}, "<test>")
    svc = build_services(cfg)
    cases = load_cases(REPO / "annotations" / "cases")[:3]
    try:
        summary = run_simulation(svc, cases, ["BianQue-1.0"], "openai:Patient", max_turns=3, dataset="llm-patient")
        assert summary.patient == "openai:Patient" and summary.errors == 0
        assert summary.max_turns + summary.advised == len(cases)
        with svc.store.session() as s:
            for d in s.scalars(select(DialogueRow).where(DialogueRow.source == "simulated")):
                records = d.meta["patient_turns"]
                assert records and all(set(r["leaked"]) <= set(r["revealed"]) for r in records)
                # Every leak is logged as a simulator error of its consultation.
                assert len(d.meta.get("simulator_errors", [])) == sum(len(r["leaked"]) for r in records)
        frame = consultations_frame(svc.store, ["llm-patient"])
        assert len(frame) == len(cases) and summary.leaks == frame["simulator_errors"].sum()
    finally:
        svc.close()


def _judge_services(demo_config, tmp_path, judge_url: str, model: str):
    cfg = parse_config({**config_with_db(demo_config, f"sqlite:///{tmp_path / 'j.db'}").model_dump(exclude={"source"}),
                        "columns": [*[c.model_dump() for c in demo_config.columns],
                                    served_column(judge_url, model, "Judge")]}, "<test>")
    return build_services(cfg)


def _simulate_a_little(svc) -> tuple[int, int]:
    """Two short consultations; returns (doctor replies to judge, consultations that ended in advice).

    How many replies a consultation takes depends on what the demo model samples, which moves with a CPU's
    floating-point kernels (an AMX Xeon gave one more reply than a Zen 4), so the counts are read back."""
    cases = load_cases(REPO / "annotations" / "cases")[:2]
    summary = run_simulation(svc, cases, ["BianQue-2.0"], "rule", max_turns=3)
    with svc.store.session() as s:
        replies = s.scalar(select(func.count()).select_from(Generation).where(
            Generation.status == GenerationStatus.OK, Generation.route.is_distinct_from(GREETING_ROUTE)))
    assert replies >= len(cases) and summary.advised >= 1
    return replies, summary.advised


def test_judge_against_serve_stores_nothing_it_cannot_parse(demo_config, api, tmp_path):
    url, _ = api
    svc = _judge_services(demo_config, tmp_path, url, "BianQue-2.0")
    try:
        replies, advices = _simulate_a_little(svc)
        summary = run_judge(svc, "Judge")
        # The demo doctor model is no judge: its answers are not the JSON asked for, so nothing is stored.
        assert summary.planned == replies and summary.judged == 0 and summary.failed == replies
        assert summary.advice_failed == advices  # counted apart: more replies failed than were planned, it said
        assert f"failed {replies}; simulated advice scored 0, failed {advices}" in summary.describe()
        assert "JSON" in summary.describe()
        with svc.store.session() as s:
            assert s.scalar(select(func.count()).select_from(Suggestion).where(Suggestion.agent.like("judge:%"))) == 0
            assert s.scalar(select(func.count()).select_from(Rating)) == 0
    finally:
        svc.close()


def test_judge_scores_are_suggestions_and_agreement_is_reported(demo_config, tmp_path):
    answer = '好的。{"questioning": "NA", "suggestion": 4, "key_points": ["a"], "red_flags": []}'
    with FakeOpenAI([answer]) as judge:
        svc = _judge_services(demo_config, tmp_path, judge.base_url, "fake-judge")
        try:
            replies, advices = _simulate_a_little(svc)
            first = run_judge(svc, "Judge")
            assert first.judged == replies and first.advice_judged == advices and first.failed == 0
            again = run_judge(svc, "Judge")  # resumable: nothing is asked twice
            assert again.planned == 0 and again.skipped == replies
            # Rubric and advice requests run concurrently, so their order varies: find the rubric ones.
            systems = [r["body"]["messages"][0]["content"] for r in judge.requests]
            rubric_prompts = [c for c in systems if "问诊质量" in c]
            assert rubric_prompts and all("评分指南" in c for c in rubric_prompts)
            with svc.store.session() as s:
                rows = s.execute(select(Suggestion.question, Suggestion.value, Suggestion.agent)
                                 .where(Suggestion.agent.like("judge:%"))).all()
                assert s.scalar(select(func.count()).select_from(Rating)) == 0  # never a human answer
            assert {(q, v) for q, v, _a in rows} >= {("questioning", "NA"), ("suggestion", "4")}
            assert {a for _q, _v, a in rows} == {"judge:fake-judge"}
            frame = consultations_frame(svc.store)
            assert frame["key_point_coverage_judge"].notna().all()
            # Annotators rating these replies see the classifier's pre-fill only, never the judge.
            ann = upsert_user(svc.store, "ann", "secret-pass-ann", "annotator")
            with svc.store.session() as s:
                sync_queue(s)
                claim = take_next(s, ann, 1)
                item = open_item(s, ann, claim.item_id)
            assert item.replies and all(r.suggestion is None or not r.suggestion.agent.startswith("judge:")
                                        for r in item.replies)
            # (a pre-fill holds a turn type, a confidence and who made it: the classifier, never a score; the check
            # that no "4" appeared in it failed on a confidence of 0.9744 once the model was retrained)
            suggested = [r.suggestion for r in item.replies if r.suggestion]
            assert suggested and all(x.agent in (AGENT, RULES_AGENT) and x.turn_type in TURN_TYPES for x in suggested)
        finally:
            svc.close()


def test_judge_human_agreement(tmp_path):
    from workbench.auth import upsert_user
    from workbench.store.engine import Store

    store = Store(f"sqlite:///{tmp_path / 'a.db'}")
    users = [upsert_user(store, n, "secret-pass-" + n, "annotator") for n in ("ann", "bob")]
    judge_scores = [1, 2, 3, 4, 5, 2, 4, 5]
    human = [[1, 2], [2, 2], [3, 4], [4, 4], [5, 5], [1, 2], [4, 5], [5, 4]]
    with store.session() as s:
        d = DialogueRow(source="live")
        s.add(d)
        s.flush()
        for i, (j, hs) in enumerate(zip(judge_scores, human, strict=True)):
            g = Generation(dialogue_id=d.id, turn_index=2 * i + 1, column_name="A", backend="t", output="x",
                           status="ok")
            s.add(g)
            s.flush()
            s.add(Suggestion(generation_id=g.id, question="suggestion", value=str(j), score=float(j),
                             agent="judge:m"))
            for u, h in zip(users, hs, strict=True):
                s.add(Rating(generation_id=g.id, user_id=u.id, status="submitted", scores={"questioning": NA, "suggestion": h}))
    table = judge_agreement(store, n_boot=300)
    store.dispose()
    row = table.set_index("axis").loc["suggestion"]
    means = [sum(h) / 2 for h in human]
    import krippendorff
    from scipy.stats import spearmanr

    assert row["n"] == 8 and row["judge"] == "judge:m"
    assert row["alpha"] == pytest.approx(krippendorff.alpha(reliability_data=[judge_scores, means],
                                                            level_of_measurement="interval"))
    assert row["spearman"] == pytest.approx(spearmanr(judge_scores, means).statistic)
    assert row["alpha_low"] <= row["alpha"] <= row["alpha_high"]
    assert "questioning" not in set(table["axis"])  # no item has both a judge and a human score there


def test_judge_prompt_and_parser():
    from workbench.annotate.rubric import load_rubric

    rubric = load_rubric(REPO / "annotations" / "rubric.yaml")
    msgs = judge_messages(rubric, "指南", [("patient", "头疼")], "多久了？")
    assert msgs[1]["content"].endswith("多久了？") and "病人：头疼" in msgs[1]["content"]
    assert parse_judgement('{"questioning": 4, "suggestion": "NA"}', rubric.axes) == {"questioning": 4,
                                                                                      "suggestion": None}
    # A reasoning model's braces before its answer: the last top-level object is the answer.
    thought = '<think>先看{问诊}是否充分，再看 {"建议": 1} 的部分</think>{"questioning": 3, "suggestion": {"x": 1}}'
    with pytest.raises(Exception, match="whole number"):
        parse_judgement(thought, rubric.axes)  # the inner {"x": 1} is not taken for the answer
    assert parse_judgement(thought.replace('{"x": 1}', "2"), rubric.axes) == {"questioning": 3, "suggestion": 2}
    for bad in ("四分", '{"questioning": 9, "suggestion": 1}', '{"questioning": 4}', "{问诊", '{"a": 1'):
        with pytest.raises(Exception, match="judge|outside|JSON"):
            parse_judgement(bad, rubric.axes)


def test_simulate_a_served_column_and_judge_from_the_command_line(demo_config, api, tmp_path, monkeypatch, capsys):
    """An OpenAI-compatible doctor column (serve's BianQue-2.0) through ``simulate``, then ``judge``."""
    import yaml

    from workbench.cli import main

    url, _ = api
    answer = '{"questioning": "NA", "suggestion": 3, "key_points": [], "red_flags": []}'
    with FakeOpenAI([answer]) as judge:
        cfg = {"database_url": f"sqlite:///{tmp_path / 'cli.db'}", "cache_dir": str(REPO / ".cache"),
               "annotation": {"users_file": None},
               "columns": [served_column(url, "BianQue-2.0", "Doctor", max_concurrency=2),
                           served_column(judge.base_url, "fake-judge", "Judge")]}
        path = tmp_path / "cfg.yaml"
        path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
        monkeypatch.delenv("WORKBENCH_DB_URL", raising=False)
        cases = tmp_path / "cases"
        cases.mkdir()
        for c in load_cases(REPO / "annotations" / "cases")[:2]:
            (cases / f"{c.id}.yaml").write_text(yaml.safe_dump(c.model_dump(), allow_unicode=True), encoding="utf-8")
        assert main(["simulate", "--config", str(path), "--cases", str(cases), "--columns", "Doctor",
                     "--max-turns", "3"]) == 0
        assert "advised 2" in capsys.readouterr().out  # the served BianQue-2.0 advises after the greeting
        # --limit caps the replies judged (and so the requests sent), whatever else is wanted.
        assert main(["judge", "--config", str(path), "--judge", "Judge", "--columns", "Doctor", "--limit", "1",
                     "--no-advice"]) == 0
        assert "1 reply to judge, judged 1, already judged 0, failed 0" in capsys.readouterr().out
        assert len(judge.requests) == 1
        assert main(["judge", "--config", str(path), "--judge", "Judge", "--columns", "Doctor"]) == 0
        # One reply per consultation (the served model answers the first message itself, and advises at once) and
        # two advices.
        assert "judged 1, already judged 1, failed 0; simulated advice scored 2" in capsys.readouterr().out
