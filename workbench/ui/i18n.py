"""The UI's two languages: one message catalogue, the session's language, and labels that follow it.

* The catalogue is data: ``workbench/ui/locales/*.yaml``, one file per area (``chat.yaml``, ``rate.yaml``…),
  each key holding its text in every language of :data:`LANGUAGES`. Keys are prefixed by their area.
* A session's language is decided on the server, for every request alike: the ``wb_lang`` cookie set by the
  language switch, else the browser's ``Accept-Language``, else English. Handlers ask :func:`language`.
* The Blocks are built once, in English. :class:`Localizer` remembers which property of which component
  holds which key, and page load (:meth:`Localizer.updates`) rewrites them in the session's language.
* A word that follows a count is written ``{n:dialogue|dialogues}`` (the singular when ``n`` is 1, else the
  plural; ``workbench/plural.py`` for English written in code); a language without plurals writes ``{n}`` alone.
* Error texts written in English deep in the code are translated by pattern (``errors*.yaml``, one per area
  too): keys there
  are English templates such as ``"{column} has no finished reply"``; :meth:`Catalogue.translate`
  matches a message against them. A message with no pattern stays English rather than being lost.
"""

from __future__ import annotations

import logging
import re
import string
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.context import LocalContext

from workbench.errors import ConfigError
from workbench.plural import plural
from workbench.yaml_files import read_yaml

log = logging.getLogger(__name__)

LANGUAGES = ("zh", "en")
#: the language the Blocks are built in and the one a missing translation falls back to
BUILD_LANGUAGE = "en"
COOKIE = "wb_lang"
LOCALES = Path(__file__).parent / "locales"
#: the switch's choices, each in its own language
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
#: area files named so hold English error templates as keys rather than dotted keys
ERRORS_PREFIX = "errors"
#: how deep messages nest inside messages' fields ("file: 2 bad rows: row 3, turn 1: ...")
MAX_NESTED_MESSAGES = 4
#: how the code joins several messages into one, and how each language writes that
LIST_SEPARATOR = "; "
LIST_SEPARATORS = {"zh": "；"}


#: a field's format spec that picks a word by the count: ``{n:reply|replies}``
PLURAL_SPEC = "|"


class _Formatter(string.Formatter):
    """``str.format`` plus ``{n:one|other}``: the word that fits the count ``n`` (:func:`workbench.plural.plural`)."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if PLURAL_SPEC in format_spec:
            one, _, other = format_spec.partition(PLURAL_SPEC)
            return plural(value, one, other)
        return super().format_field(value, format_spec)


FORMATTER = _Formatter()

#: languages written without spaces between words, where a space belongs only between a Han character and a Latin
#: letter or digit
_UNSPACED_LANGUAGES = frozenset({"zh"})
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9]")


def _gap(left: str, right: str) -> str | None:
    """The space between two characters that meet at a field's edge: "" between two Han characters, " " between a
    Han character and a Latin letter or digit, None (as the template has it) otherwise."""
    if _HAN.fullmatch(left) and _HAN.fullmatch(right):
        return ""
    if (_HAN.fullmatch(left) and _LATIN_OR_DIGIT.fullmatch(right)
            or _LATIN_OR_DIGIT.fullmatch(left) and _HAN.fullmatch(right)):
        return " "
    return None


def format_spaced(lang: str, template: str, params: dict[str, Any], spaced: frozenset[str]) -> str:
    """``template`` formatted with ``params``. In a language written without spaces, where a field named in
    ``spaced`` meets the text around it, the space follows what the field turned out to be: a template cannot know
    whether a nested message's field will be translated words or stay an English identifier ("最低一致性必须是 0 到 1
    之间的数", not "最低一致性 必须是0 到 1"). Other fields (a name, a value) keep the template's spaces, which set
    them apart from the words around them."""
    if lang not in _UNSPACED_LANGUAGES or not spaced:
        return FORMATTER.format(template, **params)
    pieces: list[tuple[str, bool]] = []  # (text, is a spaced field's value)
    for literal, name, spec, conversion in FORMATTER.parse(template):
        if literal:
            pieces.append((literal, False))
        if name is not None:
            value, _ = FORMATTER.get_field(name, (), params)
            text = str(FORMATTER.format_field(FORMATTER.convert_field(value, conversion), spec or ""))
            if text:
                pieces.append((text, name in spaced))
    out, after_field = "", False
    for text, is_field in pieces:
        if out and (is_field or after_field):
            # Only at a field's edge: spaces inside a literal or inside a value stay as written.
            if not after_field and out.endswith(" ") and len(out) > 1:  # the literal before a field ends in one
                gap = _gap(out[-2], text[0])
                out = out[:-1] + gap if gap is not None else out
            elif not is_field and text.startswith(" ") and len(text) > 1:  # the literal after a field opens with one
                gap = _gap(out[-1], text[1])
                text = gap + text[1:] if gap is not None else text
            elif _gap(out[-1], text[0]) == " ":
                out += " "
        out += text
        after_field = is_field
    return out


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@dataclass(frozen=True)
class Catalogue:
    """Every UI text in every language. ``messages[key][lang]``; ``errors[english template][lang]``."""

    messages: dict[str, dict[str, str]]
    errors: dict[str, dict[str, str]] = field(default_factory=dict)

    def t(self, key: str, lang: str, **params: Any) -> str:
        """The text of ``key`` in ``lang`` (English when that language lacks it), formatted with ``params``."""
        entry = self.messages.get(key)
        if entry is None:
            # A missing key is a bug (tests check every literal key), but a user still sees something readable.
            log.warning("missing UI text %r", key)
            return key
        text = entry.get(lang) or entry[BUILD_LANGUAGE]
        return FORMATTER.format(text, **params) if params else text

    def text_or(self, key: str, lang: str, fallback: str, **params: Any) -> str:
        """The text of ``key`` where the catalogue has one, else ``fallback`` as it is: for keys built from data
        (a column, a stored value, a route), where a model's or a measure's own name is shown untranslated."""
        return self.t(key, lang, **params) if key in self.messages else fallback

    def translate(self, message: str, lang: str, _depth: int = 0) -> str:
        """An English message (an error's text) in ``lang``, by the first matching template of errors.yaml.

        Each message is matched whole; one ending in a template's text plus a detail keeps the detail. A
        field's text is translated the same way when it is a message itself (a row error inside an
        import error), and so is each part of a "; "-separated list of messages.
        """
        if lang == BUILD_LANGUAGE or not message:
            return message
        for pattern, fields, entry in _error_patterns(self):
            m = pattern.fullmatch(message)
            if m and lang in entry:
                values = {f: self._translate_field(m.group(f), lang, _depth) for f in fields}
                translated = frozenset(f for f in fields if values[f] != m.group(f))
                return format_spaced(lang, entry[lang], values, translated)
        if LIST_SEPARATOR in message and _depth < MAX_NESTED_MESSAGES:
            return self._translate_list(message, lang, _depth) or message  # e.g. a hybrid route's reasons
        return message

    def as_sentence(self, message: str, lang: str) -> str:
        """``message`` (an error in ``lang``) begun with a capital letter, as a pop-up shows it.

        Errors are raised in lower case, to be quoted inside other messages; shown on their own they read as
        sentences (walk 2 of session 69). Only where the message's template begins with its own word: one that
        begins with a value it quotes (``{name}'s account is disabled``) keeps the account's name as stored.
        """
        if lang != BUILD_LANGUAGE or not (message[:1].isascii() and message[:1].islower()):
            return message
        for text in dict.fromkeys((message, message.split(LIST_SEPARATOR, 1)[0])):  # one message, or a list's first
            for pattern, _fields, _entry in _error_patterns(self):
                if pattern.fullmatch(text):
                    return message[0].upper() + message[1:] if not pattern.pattern.startswith("(") else message
        return message

    def _translate_field(self, text: str, lang: str, depth: int) -> str:
        if depth >= MAX_NESTED_MESSAGES:
            return text
        if LIST_SEPARATOR in text:
            listed = self._translate_list(text, lang, depth)
            if listed is not None:
                return listed
        return self.translate(text, lang, depth + 1)

    def _translate_list(self, text: str, lang: str, depth: int) -> str | None:
        """A "; "-separated list of messages in ``lang`` when every part is one; else None (one message that
        holds a "; " itself)."""
        parts = text.split(LIST_SEPARATOR)
        translated = [self.translate(part, lang, depth + 1) for part in parts]
        if all(t != p for t, p in zip(translated, parts, strict=True)):
            return LIST_SEPARATORS.get(lang, LIST_SEPARATOR).join(translated)
        return None


@cache
def _compiled(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    parts: list[str] = []
    names: list[str] = []
    for literal, name, spec, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name and spec and PLURAL_SPEC in spec:
            # the count's word, either form (the count itself is matched where the template writes {n})
            parts.append("(?:" + "|".join(map(re.escape, spec.split(PLURAL_SPEC, 1))) + ")")
        elif name:
            parts.append(f"(?P<{name}>.+?)" if name not in names else f"(?P={name})")
            names.append(name)
    return re.compile("".join(parts), re.S), tuple(dict.fromkeys(names))


def _error_patterns(cat: Catalogue) -> list[tuple[re.Pattern[str], tuple[str, ...], dict[str, str]]]:
    out = []
    for template, entry in cat.errors.items():
        pattern, names = _compiled(template)
        out.append((pattern, names, entry))
    return out


def _check_entry(source: str, key: str, entry: Any, english: str | None = None) -> dict[str, str]:
    if not isinstance(entry, dict) or set(entry) - set(LANGUAGES) or not all(
            isinstance(v, str) for v in entry.values()):
        raise ConfigError(f"{source}: {key!r} must map languages {LANGUAGES} to texts")
    if english is not None:
        entry = {BUILD_LANGUAGE: english, **entry}
    if BUILD_LANGUAGE not in entry:
        raise ConfigError(f"{source}: {key!r} has no {BUILD_LANGUAGE} text")
    wanted = _fields(entry[BUILD_LANGUAGE])
    for lang, text in entry.items():
        if _fields(text) != wanted:
            raise ConfigError(f"{source}: {key!r} in {lang} has fields {sorted(_fields(text))}, "
                              f"{BUILD_LANGUAGE} has {sorted(wanted)}")
    return entry


def read_catalogue(directory: Path = LOCALES) -> Catalogue:
    """Every ``*.yaml`` of ``directory``; a key defined twice or a text missing a ``{field}`` is an error."""
    messages: dict[str, dict[str, str]] = {}
    errors: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob("*.yaml")):
        data = read_yaml(path, "UI texts") or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: UI texts must be a mapping of keys")
        for key, entry in data.items():
            key = str(key)
            if key in messages or key in errors:
                raise ConfigError(f"{path}: {key!r} is defined twice")
            if path.name.startswith(ERRORS_PREFIX):
                # Keys of errors*.yaml are the English text itself; entries give the other languages.
                errors[key] = _check_entry(str(path), key, entry, english=key)
                continue
            if key in messages:
                raise ConfigError(f"{path}: {key!r} is defined twice")
            messages[key] = _check_entry(str(path), key, entry)
    return Catalogue(messages, errors)


@cache
def catalogue() -> Catalogue:
    """The packaged catalogue, read once (it is data shipped with the code, not state)."""
    return read_catalogue()


def t(key: str, lang: str, **params: Any) -> str:
    """Shorthand for ``catalogue().t``."""
    return catalogue().t(key, lang, **params)


def parse_accept_language(header: str | None) -> str | None:
    """The first of :data:`LANGUAGES` the header asks for, by its ``q`` weights (``zh-CN;q=0.9`` → ``zh``)."""
    if not header:
        return None
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        m = re.search(r"q=([0-9.]+)", params)
        if m:
            try:
                q = float(m.group(1))
            except ValueError:
                q = 0.0
        base = tag.strip().lower().split("-")[0]
        if base in LANGUAGES and q > 0:
            ranked.append((-q, i, base))
    return min(ranked)[2] if ranked else None


def language(request: gr.Request | None = None) -> str:
    """The session's language: the switch's cookie, else the browser's wish, else English.

    Without ``request``, the request of the event being handled (Gradio keeps it in a context variable),
    so code with no ``gr.Request`` parameter (the error guard) answers in the same language.
    """
    if request is None:
        request = LocalContext.request.get(None)
    if request is None:
        return BUILD_LANGUAGE
    try:
        cookie = request.cookies.get(COOKIE)
        if cookie in LANGUAGES:
            return cookie
        return parse_accept_language(request.headers.get("accept-language")) or BUILD_LANGUAGE
    except AttributeError:  # a request object without headers (an internal call)
        return BUILD_LANGUAGE


#: component properties that hold texts a Localizer may rewrite
TEXT_PROPS = ("label", "value", "placeholder", "info")


class Localizer:
    """The texts of one app's components: build them in English, rewrite them per session on page load.

    One per ``build_app`` call (never module state): ``ui = Localizer()``; then
    ``ui.bind(gr.Button(ui.t("chat.send")), value="chat.send")`` or the shorthand
    ``ui.button("chat.send", ...)``. Choices given as ``(key, value)`` pairs are translated too.
    """

    def __init__(self, cat: Catalogue | None = None) -> None:
        self.catalogue = cat or catalogue()
        self._bound: list[tuple[Any, dict[str, Any]]] = []

    def t(self, key: str, **params: Any) -> str:
        """``key`` in the build language (for constructing components)."""
        return self.catalogue.t(key, BUILD_LANGUAGE, **params)

    def bind(self, component: Any, **props: Any) -> Any:
        """Register ``component``'s ``props`` (``label="rate.axis"``, ``choices=[("key", value)]``)."""
        for name, key in props.items():
            if name not in (*TEXT_PROPS, "choices"):
                raise ValueError(f"cannot translate property {name!r}")
            keys = [k for k, _ in key if not isinstance(k, Verbatim)] if name == "choices" else [key]
            for k in keys:
                if k not in self.catalogue.messages:
                    raise KeyError(f"no UI text {k!r} in {LOCALES}")
        self._bound.append((component, props))
        return component

    def make(self, cls: Any, /, **kwargs: Any) -> Any:
        """``cls(**kwargs)`` where ``label/value/placeholder/info`` given as ``K("key")`` are keys, bound."""
        keys: dict[str, Any] = {name: v.key for name, v in kwargs.items() if isinstance(v, K)}
        if isinstance(kwargs.get("choices"), list) and any(isinstance(c[0], K) for c in kwargs["choices"]
                                                           if isinstance(c, tuple)):
            # a choice labelled by a plain text (a format's code) keeps it in every language
            pairs = [c if isinstance(c, tuple) else (c, c) for c in kwargs["choices"]]
            keys["choices"] = [(label.key if isinstance(label, K) else Verbatim(str(label)), value)
                               for label, value in pairs]
            kwargs["choices"] = [(self._label(k, BUILD_LANGUAGE), v) for k, v in keys["choices"]]
        for name in TEXT_PROPS:
            if isinstance(kwargs.get(name), K):
                kwargs[name] = self.t(kwargs[name].key)
        return self.bind(cls(**kwargs), **keys)

    def _label(self, key: str | Verbatim, lang: str) -> str:
        return key.text if isinstance(key, Verbatim) else self.catalogue.t(key, lang)

    @property
    def components(self) -> list[Any]:
        return [c for c, _ in self._bound]

    def updates(self, lang: str) -> dict[Any, Any]:
        """Every bound component's texts in ``lang``: the outputs of the page-load event."""
        out: dict[Any, Any] = {}
        for component, props in self._bound:
            values: dict[str, Any] = {}
            for name, key in props.items():
                if name == "choices":
                    values[name] = [(self._label(k, lang), v) for k, v in key]
                else:
                    values[name] = self.catalogue.t(key, lang)
            out[component] = gr.update(**values)
        return out


@dataclass(frozen=True)
class Verbatim:
    """A choice's label that is the same in every language (beside choices labelled by keys)."""

    text: str


@dataclass(frozen=True)
class K:
    """A catalogue key given to :meth:`Localizer.make` in place of a text."""

    key: str


SWITCH_JS = f"""(lang) => {{
  document.cookie = "{COOKIE}=" + lang + "; path=/; max-age=31536000; SameSite=Lax";
  const open = document.querySelector('[role=tab][aria-selected=true]');  // reopened after the reload
  if (open && open.id) sessionStorage.setItem("workbench-tab", open.id);
  if (window.workbenchStashTyped) window.workbenchStashTyped();  // keep_typed.js: typed text comes back
  window.location.reload();
  return lang;
}}"""
