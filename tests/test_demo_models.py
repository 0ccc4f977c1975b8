"""The shipped demo corpus and the tiny offline demo models built from it (workbench.demo)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
from dataclasses import asdict
from pathlib import Path

import pytest

from workbench import demo, prompts
from workbench.demo import dialogues as make_demo_dialogues
from workbench.errors import DatasetError

REPO = Path(__file__).resolve().parents[1]

# Patient messages written for these tests only: similar to the corpus, never in it.
UNSEEN = [
    ([], "我这几天晚上老是睡不踏实，一点点声音就醒。"),
    ([], "孩子六岁，大便很干，八九天才拉一次。"),
    ([("你好", prompts.GREETING)], "我咳嗽快两周了，晚上咳得睡不着。"),
    ([], "早上起来头特别疼，还有点恶心。"),
    ([("我肚子不舒服", prompts.GREETING)], "吃完饭胃就胀痛，老打嗝。"),
    ([], "最近血压老是一百五左右，要紧吗？"),
]

# A tiny recipe for the cache tests: seconds to build, not meant to be readable.
TINY = demo.DemoRecipe(
    t5=demo.T5Recipe(
        vocab_size=400, d_model=32, d_ff=64, d_kv=8, num_layers=1, num_decoder_layers=1, epochs=3
    ),
    glm=demo.GLMRecipe(hidden_size=32, inner_hidden_size=64, num_layers=1, epochs=3),
    greeting_variants=False,
)


def _cjk_bigrams(text: str) -> list[str]:
    return [text[i : i + 2] for i in range(len(text) - 1)]


@pytest.fixture(scope="module")
def corpus() -> list[demo.DemoDialogue]:
    return demo.load_corpus()


@pytest.fixture(scope="module")
def corpus_bigrams(corpus) -> set[str]:
    return {b for d in corpus for p, doc in d.rounds for b in _cjk_bigrams(p) + _cjk_bigrams(doc)}


# ------------------------------------------------------------------------------------------------ corpus
def test_corpus_has_the_bianque_shape(corpus):
    assert len(corpus) >= 120
    assert len({d.id for d in corpus}) == len(corpus)
    assert len({d.topic for d in corpus}) >= 20
    for d in corpus:
        doctor = [doc for _, doc in d.rounds]
        # 1-4 short follow-up questions first, then one piece of concrete advice.
        assert 1 <= len(doctor) - 1 <= 4, d.id
        assert all(demo.is_question(q) and 6 <= len(q) <= 30 for q in doctor[:-1]), d.id
        assert not demo.is_question(doctor[-1]) and 30 <= len(doctor[-1]) <= 120, d.id
        assert all(re.search(r"[\u4e00-\u9fff]", p) for p, _ in d.rounds), d.id


def test_corpus_covers_the_seed_examples(corpus):
    openings = [d.rounds[0][0] for d in corpus]
    assert any("失眠" in o for o in openings)
    assert any("熬夜" in o for o in openings)
    assert any("六岁" in o and "十天" in o for o in openings)


def test_committed_corpus_is_what_the_generator_writes():
    text = make_demo_dialogues.render_jsonl(make_demo_dialogues.build_dialogues())
    assert demo.CORPUS_PATH.read_text(encoding="utf-8") == text


# sha256 of what the generator wrote when its templates were Python code (before demo_topics.yaml).
DIALOGUES_DIGEST = "af41a6066fd32db625e54a868577bd51087f75b3a03ab1285ebc9cc9032f2cbd"


def test_yaml_templates_compose_the_same_dialogues_as_the_python_templates():
    text = make_demo_dialogues.render_jsonl(make_demo_dialogues.build_dialogues())
    assert hashlib.sha256(text.encode("utf-8")).hexdigest() == DIALOGUES_DIGEST
    assert make_demo_dialogues.main(["--check"]) == 0


def test_bad_corpus_rows_are_reported():
    good = json.dumps(
        {"id": "a", "turns": [{"role": "patient", "text": "x"}, {"role": "doctor", "text": "y"}]}
    )
    bad_order = json.dumps({"id": "b", "turns": [{"role": "doctor", "text": "y"}]})
    with pytest.raises(DatasetError) as err:
        demo.parse_corpus("\n".join([good, bad_order, "{not json", good]))
    assert len(err.value.row_errors) == 3  # wrong order, bad JSON, duplicate id


def test_held_out_dialogues_are_not_trained_on(corpus):
    train, held = demo.split_corpus(corpus)
    assert held and not {d.id for d in held} & {d.id for d in train}
    assert len(train) + len(held) == len(corpus)
    assert len({d.topic for d in held}) >= 10


def test_v1_pairs_are_escaped_app_inputs_to_questions(corpus):
    groups = demo.v1_pairs(corpus[:5])
    d = corpus[0]
    n_questions = sum(demo.is_question(doc) for c in corpus[:5] for _, doc in c.rounds)
    assert len(groups) == n_questions
    plain, hello, repeated = groups[0]
    assert plain == (prompts.bianque_v1_input([], d.rounds[0][0]), prompts.escape_v1(d.rounds[0][1]))
    assert hello[0] == prompts.bianque_v1_input([("你好", prompts.GREETING)], d.rounds[0][0])
    assert repeated[0].startswith(f"病人：{d.rounds[0][0]}\\n医生：{prompts.GREETING}\\n")
    for group in groups:
        for src, tgt in group:
            assert "\n" not in src and src.endswith("\\n医生：")
            assert demo.is_question(tgt)


def test_v2_pairs_are_unescaped_app_inputs_to_advice(corpus):
    groups = demo.v2_pairs(corpus[:5], greeting_variants=False, earlier_positions=False)
    assert len(groups) == 5  # one advice turn per dialogue
    for d, [(src, tgt)] in zip(corpus[:5], groups, strict=True):
        assert src == prompts.bianque_v2_input(list(d.rounds[:-1]), d.rounds[-1][0])
        assert tgt == d.rounds[-1][1] and not demo.is_question(tgt)
    # The advice is also taught after every earlier patient message of its dialogue.
    d, [group] = corpus[0], demo.v2_pairs(corpus[:1], greeting_variants=False)
    assert group == [
        (prompts.bianque_v2_input(list(d.rounds[:i]), d.rounds[i][0]), d.rounds[-1][1])
        for i in range(len(d.rounds))
    ]


def test_recipe_hash_tracks_corpus_and_hyperparameters():
    base = demo.recipe_hash(b"corpus", demo.DemoRecipe())
    assert base == demo.recipe_hash(b"corpus", demo.DemoRecipe())
    assert base != demo.recipe_hash(b"corpus!", demo.DemoRecipe())
    assert base != demo.recipe_hash(b"corpus", demo.DemoRecipe(t5=demo.T5Recipe(epochs=3)))
    assert base != demo.recipe_hash(b"corpus", demo.DemoRecipe(greeting_variants=False))


# ------------------------------------------------------------------------------------------------ models
@pytest.fixture(scope="module")
def v1(demo_models):
    from transformers import T5ForConditionalGeneration, T5Tokenizer

    tok = T5Tokenizer.from_pretrained(str(demo_models.v1_path))
    model = T5ForConditionalGeneration.from_pretrained(str(demo_models.v1_path)).eval()
    return tok, model


@pytest.fixture(scope="module")
def v2(demo_models):
    from workbench.chatglm import ChatGLMForConditionalGeneration, ChatGLMTokenizer

    tok = ChatGLMTokenizer.from_pretrained(demo_models.v2_path)
    model = ChatGLMForConditionalGeneration.from_pretrained(
        demo_models.v2_path, dtype="float32", device="cpu"
    )
    return tok, model


def _v1_reply(v1, rounds, last, sample: bool, seed: int = 0) -> str:
    import torch

    tok, model = v1
    enc = tok(prompts.bianque_v1_input(rounds, last), return_tensors="pt")
    torch.manual_seed(seed)
    # BianQue-1.0's original settings; greedy otherwise.
    kw = (
        dict(do_sample=True, top_p=1.0, temperature=0.7, no_repeat_ngram_size=3)
        if sample
        else {"do_sample": False}
    )
    out = model.generate(**enc, max_new_tokens=64, **kw)
    return prompts.unescape_v1(tok.decode(out[0], skip_special_tokens=True))


def _v2_reply(v2, rounds, last, sample: bool, seed: int = 0) -> str:
    import torch

    tok, model = v2
    torch.manual_seed(seed)
    kw = dict(do_sample=True, top_p=0.7, temperature=0.95) if sample else {"do_sample": False}
    reply, _ = model.chat(tok, prompts.bianque_v2_input(rounds, last), history=None, max_length=2048, **kw)
    return reply


def test_v1_folder_loads_like_bianque_1(demo_models, v1):
    from transformers import T5Tokenizer

    tok, model = v1
    assert isinstance(tok, T5Tokenizer)
    assert (demo_models.v1_path / "spiece.model").is_file()
    assert model.config.is_encoder_decoder and model.config.vocab_size >= len(tok)
    text = prompts.bianque_v1_input([("你好", prompts.GREETING)], "我最近失眠了，晚上睡不着。")
    ids = tok(text)["input_ids"]
    assert ids[-1] == tok.eos_token_id and tok.unk_token_id not in ids
    assert tok.decode(ids, skip_special_tokens=True) == text
    assert tok.decode(tok("体温38.5度？")["input_ids"], skip_special_tokens=True) == "体温38.5度？"


def test_v2_folder_loads_like_bianque_2(demo_models, v2):
    tok, model = v2
    for name in ("config.json", "tokenizer_config.json", "ice_text.model"):
        assert (demo_models.v2_path / name).is_file()
    ids = tok("病人：我头疼\n医生：")["input_ids"]
    assert ids[-2:] == [tok.gmask_token_id, tok.bos_token_id]
    assert model.config.vocab_size >= tok.vocab_size
    assert model.config.eos_token_id == tok.eos_token_id


@pytest.fixture(scope="module")
def replies(corpus, v1, v2):
    """Replies of both models to held-out and unseen prompts, greedy and with the original sampling."""
    _, held = demo.split_corpus(corpus)
    cases = demo.eval_prompts(held)[::2] + UNSEEN
    out: dict[tuple[str, bool], list[str]] = {}
    for sample in (False, True):
        out["v1", sample] = [_v1_reply(v1, r, last, sample, seed=i) for i, (r, last) in enumerate(cases)]
        out["v2", sample] = [_v2_reply(v2, r, last, sample, seed=i) for i, (r, last) in enumerate(cases)]
    return out


def _question_rate(texts: list[str]) -> float:
    return sum(demo.is_question(t) for t in texts) / len(texts)


@pytest.mark.parametrize("sample", [False, True], ids=["greedy", "sampled"])
def test_v1_mostly_asks_and_v2_mostly_advises(replies, sample):
    v1_rate, v2_rate = _question_rate(replies["v1", sample]), _question_rate(replies["v2", sample])
    assert v1_rate >= 0.75, replies["v1", sample]
    assert v2_rate <= 0.25, replies["v2", sample]
    assert v1_rate > v2_rate


@pytest.mark.parametrize("model", ["v1", "v2"])
@pytest.mark.parametrize("sample", [False, True], ids=["greedy", "sampled"])
def test_replies_are_readable_chinese(replies, corpus_bigrams, model, sample):
    texts = replies[model, sample]
    # Sampling may now and then cut a reply short; nearly all must still be real sentences.
    assert sum(bool(re.search(r"[\u4e00-\u9fff]{4}", t)) for t in texts) >= 0.9 * len(texts), texts
    assert not any("<unk>" in t or "⁇" in t or "\ufffd" in t for t in texts), texts
    # Random tokens almost never form character pairs that occur in the corpus; memorised text does.
    pairs = [b for t in texts for b in _cjk_bigrams(t)]
    known = sum(b in corpus_bigrams for b in pairs) / len(pairs)
    assert known >= 0.8, (known, texts)
    # Advice is long, questions are short: the two models keep the shapes they were trained on.
    mean = sum(map(len, texts)) / len(texts)
    assert (mean <= 40) if model == "v1" else (mean >= 25), texts


# ------------------------------------------------------------------------------------------------ cache
def test_second_call_reuses_the_cache(demo_models):
    stamps = [(p / demo.STAMP_NAME).read_bytes() for p in (demo_models.v1_path, demo_models.v2_path)]
    files = sorted(p for folder in (demo_models.v1_path, demo_models.v2_path) for p in folder.iterdir())
    written = [(p, p.stat().st_mtime_ns) for p in files]
    again = demo.ensure_demo_models(demo_models.v1_path.parent)
    # A cache hit rewrites nothing: every file keeps its modification time, and no file appears.
    assert sorted(p for folder in (again.v1_path, again.v2_path) for p in folder.iterdir()) == files
    assert [(p, p.stat().st_mtime_ns) for p in files] == written
    assert not again.built
    assert (again.v1_path, again.v2_path) == (demo_models.v1_path, demo_models.v2_path)
    assert [(p / demo.STAMP_NAME).read_bytes() for p in (again.v1_path, again.v2_path)] == stamps


def test_cli_prints_paths_from_the_cache(demo_models):
    out = subprocess.run(
        [sys.executable, "-m", "workbench.demo", "--cache", str(demo_models.v1_path.parent)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert f"v1: {demo_models.v1_path}" in out and f"v2: {demo_models.v2_path}" in out
    assert "cached" in out


@pytest.fixture
def small_corpus(tmp_path, corpus) -> Path:
    path = tmp_path / "corpus.jsonl"
    lines = demo.CORPUS_PATH.read_text(encoding="utf-8").splitlines()[:12]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_stale_or_forced_cache_is_rebuilt(tmp_path, small_corpus):
    cache = tmp_path / "cache"
    first = demo.ensure_demo_models(cache, recipe=TINY, corpus_path=small_corpus)
    assert first.built
    hash1 = demo.read_stamp(first.v1_path)["hash"]
    assert demo.read_stamp(first.v2_path)["hash"] == hash1
    assert not demo.ensure_demo_models(cache, recipe=TINY, corpus_path=small_corpus).built

    small_corpus.write_text(small_corpus.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # new bytes
    second = demo.ensure_demo_models(cache, recipe=TINY, corpus_path=small_corpus)
    assert second.built and demo.read_stamp(second.v1_path)["hash"] != hash1
    assert demo.ensure_demo_models(cache, recipe=TINY, corpus_path=small_corpus, force=True).built
    assert sorted(p.name for p in cache.iterdir()) == [".lock", "v1", "v2"]


_BUILD_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from workbench import demo
    r = json.loads(sys.argv[3])
    recipe = demo.DemoRecipe(demo.T5Recipe(**r["t5"]), demo.GLMRecipe(**r["glm"]), r["greeting_variants"])
    demo.ensure_demo_models(Path(sys.argv[1]), recipe=recipe, corpus_path=Path(sys.argv[2]),
                            progress=lambda m: print(m, flush=True))
    """
)


def _kill_build_at(cache: Path, corpus: Path, marker: str) -> None:
    """Start a build in another process and SIGKILL it once it prints ``marker``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _BUILD_SCRIPT, str(cache), str(corpus), json.dumps(asdict(TINY))],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        for line in proc.stdout:
            if marker in line:
                break
        else:
            pytest.fail(f"the build finished without printing {marker!r}")
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=60)


def _complete(folder: Path, key: str) -> bool:
    return demo.is_fresh(folder, key) and (folder / "config.json").is_file()


def test_a_killed_build_never_leaves_a_half_cache(tmp_path, small_corpus):
    cache = tmp_path / "cache"
    old = demo.ensure_demo_models(cache, recipe=TINY, corpus_path=small_corpus)
    old_key = demo.read_stamp(old.v1_path)["hash"]
    v1_files = sorted(p.name for p in old.v1_path.iterdir())

    # Killed while training v1 of a newer corpus: the old, complete folders stay as they were.
    small_corpus.write_text(small_corpus.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    _kill_build_at(cache, small_corpus, "demo v1: training T5")
    assert _complete(cache / "v1", old_key) and _complete(cache / "v2", old_key)
    assert sorted(p.name for p in (cache / "v1").iterdir()) == v1_files

    # Killed after v1 was swapped in: v1 is new and whole, v2 is still the old one (stale, so rebuilt).
    _kill_build_at(cache, small_corpus, "demo v2: training ChatGLM")
    new_v1 = demo.read_stamp(cache / "v1")
    assert new_v1["hash"] != old_key and _complete(cache / "v1", new_v1["hash"])
    assert _complete(cache / "v2", old_key)

    done = demo.ensure_demo_models(cache, recipe=TINY, corpus_path=small_corpus)
    assert done.built
    assert demo.read_stamp(done.v1_path) == new_v1  # the finished v1 was not trained again
    assert demo.read_stamp(done.v2_path)["hash"] == new_v1["hash"]
    # Leftovers of the killed builds are cleaned up by the next build.
    assert sorted(p.name for p in cache.iterdir()) == [".lock", "v1", "v2"]


def test_a_build_says_it_is_building_before_it_starts_and_the_registry_logs_it(tmp_path, small_corpus, monkeypatch,
                                                                                caplog):
    """walk s66: a first `launch.py --demo` said only "loading models…" for 5 to 14 minutes while the models built."""
    said: list[str] = []
    demo.ensure_demo_models(tmp_path / "cache", recipe=TINY, corpus_path=small_corpus, progress=said.append)
    assert said[0].startswith("building the demo models in ")
    assert any("built in" in m for m in said[1:])

    import logging

    from workbench.config import ModelSource
    from workbench.models.registry import ModelPool

    def fake(cache_dir, *, progress=None, **_kw):
        progress("building the demo models in somewhere")
        return demo.DemoModels(tmp_path / "v1", tmp_path / "v2")

    monkeypatch.setattr(demo, "ensure_demo_models", fake)
    with caplog.at_level(logging.INFO, logger="workbench.models.registry"):
        ModelPool(tmp_path).resolve(ModelSource(path="demo://v1"))
    assert "building the demo models in somewhere" in caplog.text
