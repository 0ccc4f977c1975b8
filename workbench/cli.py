"""``python -m workbench <command>``: the workbench without the browser."""

from __future__ import annotations

import argparse
import json
import logging
import sys

from workbench.config import REPO_ROOT, WorkbenchConfig, load_config
from workbench.errors import InputError, WorkbenchError

DEFAULT_CONFIG = REPO_ROOT / "configs" / "default.yaml"
DEMO_CONFIG = REPO_ROOT / "configs" / "demo.yaml"


def _config(args: argparse.Namespace) -> WorkbenchConfig:
    return load_config(args.config)


def cmd_inspect(args: argparse.Namespace) -> int:
    """Print exactly what each column would send next, without generating."""
    from workbench.dialogue import Dialogue
    from workbench.models.registry import ModelPool, build_backends

    cfg = _config(args)
    dialogue = Dialogue.load(args.dialogue)
    dialogue.require_patient_last()
    backends = build_backends(cfg, ModelPool(cfg.resolve_path(cfg.cache_dir)))
    out = []
    for name, b in backends.items():
        entry = {"name": name, "backend": b.kind}
        try:
            p = b.plan(dialogue)
            entry.update(input=p.input, route=p.route, fallback=p.fallback, reason=p.reason)
        except WorkbenchError as e:
            entry.update(input=None, route=None, fallback=None, reason=None, error=str(e))
        out.append(entry)
    print(json.dumps({"columns": out}, ensure_ascii=False, indent=None if args.compact else 2))
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    """Classify replies: one JSON line in ({"text"}), one out ({"text","turn_type","confidence"})."""
    from workbench.annotate.classifier import classify_command

    if args.file == "-":
        return classify_command(sys.stdin, sys.stdout, sys.stderr)
    try:
        with open(args.file, encoding="utf-8") as f:
            return classify_command(f, sys.stdout, sys.stderr)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{args.file}: cannot read: {e}") from None


def cmd_build_demo(args: argparse.Namespace) -> int:
    """Build (or reuse) the tiny offline demo models."""
    from workbench.models.demo import ensure_demo_models

    cfg = load_config(args.config or DEMO_CONFIG)
    models = ensure_demo_models(cfg.resolve_path(cfg.cache_dir) / "demo-models", force=args.force,
                                progress=lambda m: print(m, file=sys.stderr))
    print(json.dumps({"v1": str(models.v1_path), "v2": str(models.v2_path)}))
    return 0




def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m workbench", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    sp = sub.add_parser("inspect", help=cmd_inspect.__doc__)
    sp.add_argument("--config", default=str(DEFAULT_CONFIG))
    sp.add_argument("--dialogue", required=True, help='JSON file: {"turns": [{"role", "text"}, ...]}')
    sp.add_argument("--compact", action="store_true", help="one-line JSON")
    sp.set_defaults(func=cmd_inspect)

    sp = sub.add_parser("classify", help=cmd_classify.__doc__)
    sp.add_argument("file", help="JSONL with one {\"text\": ...} per line, or - for stdin")
    sp.set_defaults(func=cmd_classify)

    sp = sub.add_parser("build-demo", help=cmd_build_demo.__doc__)
    sp.add_argument("--config", default=None)
    sp.add_argument("--force", action="store_true")
    sp.set_defaults(func=cmd_build_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except WorkbenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
