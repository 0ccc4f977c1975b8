"""Messages built at run time in the native ChatGLM (workbench/chatglm), the demo models (workbench/demo) and
the loaders that carry them to the UI reach a Chinese session in Chinese: every such message has an error
pattern (workbench/ui/locales/errors*.yaml), and a column whose checkpoint cannot be loaded says why in the
session's language, through the real server."""

from __future__ import annotations

import ast
import html
import importlib
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from workbench.chatglm.tokenization import TokenizerInputError
from workbench.errors import WorkbenchError
from workbench.ui.i18n import catalogue

ROOT = Path(__file__).resolve().parents[1]
#: where the messages are built, and the loaders that wrap them on their way to the UI
MODULES = [*sorted((ROOT / "workbench" / "chatglm").glob("*.py")), *sorted((ROOT / "workbench" / "demo").glob("*.py")),
           *(ROOT / "workbench" / p for p in ("models/bianque_v1.py", "models/bianque_v2.py", "models/resources.py", "models/registry.py",
                                              "checkpoints.py", "devices.py"))]
#: never shown in the UI: forward()'s argument checks fire only when code calls the network wrongly, and
#: prequantize is a command-line tool whose messages go to a terminal
NOT_SHOWN = {"workbench/chatglm/modeling.py", "workbench/chatglm/prequantize.py"}
#: the tokenizer's argument errors (what transformers callers expect) are for code, not users
API_ERRORS = (TokenizerInputError,)
CJK = re.compile("[\u4e00-\u9fff]")
#: workbench/plural.py's helpers: the word that fits a count, sampled in both forms
PLURALS = ("plural", "counted")
#: values a message's field takes that give it its meaning, so the sample needs a real one: the label of
#: a model resource (workbench/models/registry.py names each tokenizer and model it loads)
FIELD_VALUES = {"self.label": ("tokenizer /models/v2", "model /models/v2 (cpu, float32)")}


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _samples(message: ast.expr, module) -> list[tuple[str, list[str]]]:
    """The messages an error call builds, each run-time value replaced by a distinct token (module constants
    such as ``VOCAB_FILE_NAME`` keep their value, and :data:`FIELD_VALUES` give theirs); none when the
    message is not written out there."""
    if isinstance(message, ast.Constant) and isinstance(message.value, str):
        return [(message.value, [])]
    if not isinstance(message, ast.JoinedStr):
        return []
    samples: list[tuple[str, list[str]]] = [("", [])]
    for value in message.values:
        if isinstance(value, ast.Constant):
            samples = [(text + str(value.value), tokens) for text, tokens in samples]
            continue
        assert isinstance(value, ast.FormattedValue)
        expr = value.value
        constant = getattr(module, expr.id, None) if isinstance(expr, ast.Name) and expr.id.isupper() else None
        if isinstance(constant, str):
            samples = [(text + constant, tokens) for text, tokens in samples]
        elif (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in PLURALS
              and all(isinstance(a, ast.Constant) for a in expr.args[1:])):
            # a count's word (workbench/plural.py): both forms are messages to translate
            words = [a.value for a in expr.args[1:]]
            forms = [words[0], words[1] if len(words) > 1 else words[0] + "s"]
            count = expr.func.id == "counted"
            samples = [(text + (f"v{len(tokens)}x " if count else "") + form,
                        [*tokens, f"v{len(tokens)}x"] if count else tokens)
                       for text, tokens in samples for form in forms]
        elif ast.unparse(expr) in FIELD_VALUES:
            samples = [(text + v, tokens) for text, tokens in samples for v in FIELD_VALUES[ast.unparse(expr)]]
        else:
            samples = [(text + f"v{len(tokens)}x", [*tokens, f"v{len(tokens)}x"]) for text, tokens in samples]
    return samples


def _shown_messages() -> Iterator[tuple[str, int, str, list[str]]]:
    """(file, line, sample message, tokens) of every WorkbenchError these modules build with a written message."""
    for path in MODULES:
        rel = str(path.relative_to(ROOT))
        if rel in NOT_SHOWN:
            continue
        module = importlib.import_module(_module_name(path))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            cls = getattr(module, name, None) if name else None
            if not (isinstance(cls, type) and issubclass(cls, WorkbenchError)) or issubclass(cls, API_ERRORS):
                continue
            for sample, tokens in _samples(node.args[0], module):
                yield rel, node.lineno, sample, tokens


def test_every_message_these_modules_show_has_a_chinese_pattern():
    found = list(_shown_messages())
    assert len(found) > 60  # the scan reads the modules (a broken scan would find nothing to check)
    missing = []
    for rel, line, sample, tokens in found:
        zh = catalogue().translate(sample, "zh")
        # translated, in Chinese, and every run-time value kept
        if zh == sample or not CJK.search(zh) or not all(t in zh for t in tokens):
            missing.append(f"{rel}:{line}: {sample!r} -> {zh!r}")
        assert catalogue().translate(sample, "en") == sample
    assert not missing, "\n".join(missing)


# ------------------------------------------------------------------------------------ through the server
#: what each broken checkpoint must say, in each language (the English is the raised text)
EXPECTED = {
    "t5": {"zh": ["无法从", "加载 ChatGLM 分词器", "这不是 ChatGLM-6B 检查点"],
           "en": ["cannot load the ChatGLM tokenizer", "not a ChatGLM-6B checkpoint"]},
    "tokenizer_class": {"zh": ["tokenizer_class", "不是 ChatGLMTokenizer"], "en": ["is not ChatGLMTokenizer"]},
    "quantization": {"zh": ["不支持 quantization_bit=3", "请用 0、4 或 8"], "en": ["quantization_bit=3 is not supported"]},
    "no_weights": {"zh": ["中没有权重", "model.safetensors"], "en": ["no weights in"]},
    "shape": {"zh": ["加载 ChatGLM 模型", "必须能被", "整除"], "en": ["must be divisible by num_attention_heads"]},
}
#: English words of those messages; none may be left in the Chinese ones (paths and identifiers aside)
ENGLISH = ("cannot", "load", " from ", "has no", "is not", "not supported", "must be", "checkpoint", "no weights",
           "expected", "divisible", "use 0")


def _broken_checkpoints(tmp_path: Path, demo_models) -> dict[str, Path]:
    """One folder per way a BianQue-2.0 checkpoint can fail to load, made from the demo checkpoints."""
    def copy_v2(name: str) -> Path:
        return Path(shutil.copytree(demo_models.v2_path, tmp_path / name))

    def edit_json(path: Path, **changes) -> None:
        path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), **changes}), encoding="utf-8")

    folders = {"t5": Path(shutil.copytree(demo_models.v1_path, tmp_path / "t5"))}  # not ChatGLM at all
    folders["tokenizer_class"] = copy_v2("llama-tokenizer")
    edit_json(folders["tokenizer_class"] / "tokenizer_config.json", tokenizer_class="LlamaTokenizer")
    folders["quantization"] = copy_v2("int3")
    edit_json(folders["quantization"] / "config.json", quantization_bit=3)
    folders["no_weights"] = copy_v2("no-weights")
    (folders["no_weights"] / "model.safetensors").unlink()
    folders["shape"] = copy_v2("bad-heads")
    config = json.loads((folders["shape"] / "config.json").read_text(encoding="utf-8"))
    edit_json(folders["shape"] / "config.json", num_attention_heads=config["hidden_size"] + 1)
    return folders


@pytest.fixture
def broken_services(demo_models, tmp_path):
    from workbench.config import parse_config
    from workbench.services import build_services

    folders = _broken_checkpoints(tmp_path, demo_models)
    columns = [{"name": f"Broken-{kind}", "backend": "bianque-v2", "greeting": None,
                "model": {"path": str(folder), "device": "cpu", "dtype": "float32"},
                "generation": {"max_new_tokens": 8}} for kind, folder in folders.items()]
    config = parse_config({"database_url": f"sqlite:///{tmp_path / 'broken.db'}", "cache_dir": str(tmp_path / "cache"),
                           "columns": columns, "annotation": {"users_file": None}}, "<broken checkpoints>")
    svc = build_services(config)
    yield svc, list(folders)
    svc.close()


def _statuses(streamed: list, prefix: str) -> list[str]:
    """Every error status line the server sent (the handler streams: each column's arrives when it ends)."""
    return [o for outputs in streamed for o in outputs if isinstance(o, str) and o.startswith(prefix)]


@pytest.mark.parametrize("lang,accept", [("zh", "zh-CN,zh;q=0.9"), ("en", "en-US,en;q=0.9")])
def test_a_column_whose_model_fails_to_load_says_why_in_the_sessions_language(broken_services, lang, accept):
    from tests.ui_server import client, running_app

    svc, kinds = broken_services
    with running_app(svc) as url:
        job = client(url, headers={"Accept-Language": accept}).submit("我头痛三天了，还有点发烧", api_name="/send")
        job.result()
        streamed = job.outputs()
    prefix = catalogue().t("chat.status.error", lang, error="")
    # the status line is Markdown with every character of the message made inert (HTML entities)
    statuses = [html.unescape(s) for s in _statuses(streamed, prefix)]
    assert len(statuses) == len(kinds), streamed  # one error line per column
    for kind, column in zip(kinds, svc.config.columns, strict=True):
        # each checkpoint's line says what is wrong with it (in any order: each arrives when its column ends)
        matching = [s for s in statuses if all(part in s for part in EXPECTED[kind][lang])]
        assert len(matching) == 1, (kind, statuses)
        if lang == "zh":
            bare = matching[0].replace(str(column.model.path), "")
            leftovers = [w for w in ENGLISH if w in bare]
            assert not leftovers, (kind, leftovers, matching[0])


@pytest.mark.browser
def test_chromium_in_chinese_shows_why_each_model_failed_to_load(broken_services):
    """The same, as a Chinese browser sees it: every column's status line reads Chinese."""
    from playwright.sync_api import expect, sync_playwright

    from tests.browser import launch, require_chromium
    from tests.chat_browser_support import open_page, wait_loaded
    from tests.ui_login import BROWSER_TIMEOUT_MS
    from tests.ui_server import running_app

    require_chromium()
    svc, kinds = broken_services
    with running_app(svc) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = open_page(browser, url.page, "zh-CN")
        wait_loaded(page, "zh")
        page.locator("#patient-message textarea").fill("孩子咳嗽两天了，晚上更厉害")
        page.locator("#send").click()
        for i, (kind, column) in enumerate(zip(kinds, svc.config.columns, strict=True)):
            status = page.locator(f"#column-status-{i}")
            expect(status).to_contain_text("出错", timeout=BROWSER_TIMEOUT_MS)
            text = status.inner_text()
            for part in EXPECTED[kind]["zh"]:
                assert part in text, (kind, text)
            bare = text.replace(str(column.model.path), "")
            assert not [w for w in ENGLISH if w in bare], (kind, text)
        browser.close()
