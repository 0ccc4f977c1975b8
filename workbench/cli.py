"""``python -m workbench <command>``: the workbench without the browser."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from workbench.analysis.defaults import N_BOOT
from workbench.config import REPO_ROOT, WorkbenchConfig, load_config
from workbench.errors import InputError, WorkbenchError
from workbench.plural import counted
from workbench.scope import Scope

DEFAULT_CONFIG = REPO_ROOT / "configs" / "default.yaml"
DEMO_CONFIG = REPO_ROOT / "configs" / "demo.yaml"
LIVE_NAMES = ("-", "live")  # how --dataset names the live chats (dialogues of no dataset)


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
        entry: dict[str, str | None] = {"name": name, "backend": b.kind}
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
    from workbench.annotate.classifier_eval import classify_command

    if args.file == "-":
        return classify_command(sys.stdin, sys.stdout, sys.stderr, errors=args.errors)
    try:
        with open(args.file, encoding="utf-8") as f:
            return classify_command(f, sys.stdout, sys.stderr, errors=args.errors)
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"{args.file}: cannot read: {e}") from None


def cmd_train_classifier(args: argparse.Namespace) -> int:
    """Refit the classifier's learned model on every labelled reply file and write its npz (run after adding a set)."""
    from workbench.annotate.turn_type_training import train

    print(json.dumps(train(out=Path(args.out)) if args.out else train()))
    return 0


def cmd_train_deid(args: argparse.Namespace) -> int:
    """Refit de-identification's learned tagger on every labelled set (annotations/deid_*.jsonl) and write its npz
    (this machine's tagger in the cache directory by default, which is otherwise built at first use)."""
    from workbench.privacy_training import train

    print(json.dumps(train(out=Path(args.out) if args.out else None)))
    return 0


def cmd_build_demo(args: argparse.Namespace) -> int:
    """Build (or reuse) the tiny offline demo models."""
    from workbench.demo import ensure_demo_models

    cfg = load_config(args.config or DEMO_CONFIG)
    models = ensure_demo_models(cfg.resolve_path(cfg.cache_dir) / "demo-models", force=args.force,
                                progress=lambda m: print(m, file=sys.stderr))
    print(json.dumps({"v1": str(models.v1_path), "v2": str(models.v2_path)}))
    return 0


def _open_store(cfg: WorkbenchConfig):
    """The store without the server's start-up step: a running server's live generations stay untouched."""
    from workbench.store.engine import Store

    return Store(cfg.effective_database_url)


def cmd_import(args: argparse.Namespace) -> int:
    """Import a dataset file (BianQue CSV/JSONL, messages JSONL, JSON turns) into the store."""
    from workbench.datasets.store_import import import_dataset
    from workbench.errors import DatasetError

    cfg = _config(args)
    store = _open_store(cfg)
    try:
        summary = import_dataset(store, args.file, name=args.name, format=args.format, replace=args.replace,
                                 max_turn_chars=cfg.limits.max_turn_chars)
    except DatasetError as e:
        print(f"error: {e}", file=sys.stderr)
        for line in e.row_errors:
            print(f"  {line}", file=sys.stderr)
        return 2
    finally:
        store.dispose()
    print(summary.describe())
    for w in summary.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def _progress_bar(unit: str):
    """A tqdm bar on stderr and the ``progress(done, total, desc)`` callback that drives it."""
    from tqdm import tqdm

    bar = tqdm(total=0, unit=unit, file=sys.stderr, dynamic_ncols=True)

    def progress(done: int, total: int, desc: str) -> None:
        bar.total = total
        bar.set_description(desc)
        bar.update(done - bar.n)

    return bar, progress


def cmd_batch(args: argparse.Namespace) -> int:
    """Generate the columns' replies at a dataset's doctor turns (gold history), resumably."""
    from workbench.batch import run_batch
    from workbench.services import build_services

    cfg = _config(args)
    svc = build_services(cfg, store=_open_store(cfg))
    bar, progress = _progress_bar("reply")

    try:
        summary = run_batch(svc, args.dataset, args.columns, args.turns, seed=args.seed,
                            batch_size=args.batch_size, progress=progress, greeting=args.greeting)
    finally:
        bar.close()
        svc.close()
    print(summary.describe())
    return 1 if summary.column_errors else 0


def stats_scope(args: argparse.Namespace) -> Scope:
    """The scope ``stats`` is asked for (``--dataset live`` or ``-``: live chats)."""
    return Scope.parse(annotators=args.annotator, datasets=args.dataset, date_from=args.date_from,
                       date_to=args.date_to, columns=args.column, turn_types=args.turn_type,
                       live_names=LIVE_NAMES, date_names=("--from", "--to"))


def cmd_stats(args: argparse.Namespace) -> int:
    """Compute the dashboard (scores, CoQ, win rates, Bradley-Terry, agreement, metrics) and write reports."""
    from workbench.analysis.dashboard import compute_dashboard
    from workbench.analysis.from_store import load_frames
    from workbench.analysis.report import dashboard_markdown, write_report
    from workbench.store.scope_names import check_scope_names

    scope = stats_scope(args)  # a bad value fails before the store is read
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} is a file: name a new folder")
    if out.is_dir() and any(out.iterdir()):
        # An earlier run's files (metrics.csv, aggregated_scores.csv, simulated_*.csv) that this run does not
        # write would stay beside its report and read as its own, as export refuses the same.
        raise InputError(f"--out {out} is not empty: name a new folder, or empty this one first")
    cfg = _config(args)
    store = _open_store(cfg)
    try:
        check_scope_names(store, scope)
        frames = load_frames(store, include_retired=args.include_retired)
    finally:
        store.dispose()
    from workbench.analysis.aggregation import check_method

    aggregates = tuple(check_method(m) for m in args.aggregate.split(",") if m.strip()) \
        if args.aggregate.strip().lower() != "none" else ()
    d = compute_dashboard(frames, scope, metrics=not args.no_metrics, n_boot=args.n_boot, aggregates=aggregates,
                          column_order=[c.name for c in cfg.columns])
    paths = write_report(d, args.out)
    print(dashboard_markdown(d))
    paths += _simulated_stats(args, scope)
    print(f"wrote {counted(len(paths), 'file')} to {args.out}", file=sys.stderr)
    return 0


#: each command-line filter of ``stats`` and the scope filter it sets (``workbench.scope.FILTERS``)
STATS_FLAGS = (("--annotator", "annotators", "annotator"), ("--dataset", "datasets", "dataset"),
               ("--from", "dates", "date_from"), ("--to", "dates", "date_to"), ("--column", "columns", "column"),
               ("--turn-type", "turn_types", "turn_type"))


def _flags_not_followed(args: argparse.Namespace, followed: tuple[str, ...]) -> list[str]:
    """The filters the run names that a table does not follow, as the flags typed."""
    return [flag for flag, name, attr in STATS_FLAGS if getattr(args, attr) and name not in followed]


def _simulated_stats(args: argparse.Namespace, scope: Scope) -> list:
    """The simulated-patient measures and the judge's agreement with the humans, when there are any, within
    ``scope`` as far as each applies."""
    from workbench.analysis.simulated import (
        SCOPE_FILTERS,
        consultations_frame,
        stored_consultations,
        summarize,
        write_simulated_report,
    )
    from workbench.csv_safety import safe_frame
    from workbench.judge import SCORE_FILTERS, judge_markdown, judge_tables

    store = _open_store(_config(args))
    try:
        frame = consultations_frame(store, scope=scope)
        agreement, scores = judge_tables(store, n_boot=args.n_boot, scope=scope)
        stored = stored_consultations(store) if frame.empty else 0
    finally:
        store.dispose()
    paths = []
    if stored:
        # without this line a filter that leaves no consultation reads like a store without simulations
        # only the filters a consultation follows left it out (the annotator and turn type cannot apply to one)
        print(f"No simulated consultation within the filters ({scope.only(SCOPE_FILTERS).describe()}): "
              "simulated.md is not written; "
              f"the store holds {stored} in all.")
    if not frame.empty:
        summary = summarize(frame, n_boot=args.n_boot)
        # A consultation has no annotator and spans every turn type: say so when the run names those filters,
        # which report.md beside this file does follow.
        ignored = _flags_not_followed(args, SCOPE_FILTERS)
        followed = scope.only(SCOPE_FILTERS)
        # the file is read on its own too: it names the filters its figures are within, as report.md does (a walk
        # found simulated.md of a --dataset run indistinguishable from one over every consultation)
        lines = [f"Filters: {followed.describe()}." if followed.filters_set() else ""]
        if ignored:
            lines.append("Every simulated consultation of the datasets, columns and dates (when the consultation "
                         f"began) chosen: {', '.join(ignored)} {'does' if len(ignored) == 1 else 'do'} not apply "
                         "here (they filter report.md's tables only).")
        note = " ".join(x for x in lines if x) or None
        paths += write_simulated_report(frame, summary, args.out, note, filters=followed.describe())
        print(paths[-1].read_text(encoding="utf-8"))
    if not agreement.empty:
        out = Path(args.out) / "judge_agreement.csv"
        # the file says what it was computed over, as report.md's Filters line does
        safe_frame(agreement.assign(filters=scope.describe())).to_csv(out, index=False)
        paths.append(out)
        note = (f"Filters: {scope.describe()}, all applied: the humans' ratings as in report.md's tables, the "
                "judge's scores by their reply (dataset, date, column, the classifier's turn type)."
                if scope.filters_set() else None)
        print(judge_markdown(agreement, note))
    if not scores.empty:
        # the Compare tab's third table: without it a researcher had the judge's agreement but not its scores
        out = Path(args.out) / "judge_scores.csv"
        safe_frame(scores.assign(filters=scope.only(SCORE_FILTERS).describe())).to_csv(out, index=False)
        paths.append(out)
    return paths


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run columns through standardized-patient cases until they advise; store each consultation."""
    from workbench.services import build_services
    from workbench.simulate.cases import load_cases
    from workbench.simulate.run import run_simulation

    cfg = _config(args)
    given = Path(args.cases)
    # A folder given on the command line is relative to where you are; the default is the repository's.
    cases = load_cases(given if given.is_absolute() or given.exists() else cfg.resolve_path(args.cases))
    svc = build_services(cfg, store=_open_store(cfg))
    bar, progress = _progress_bar("consultation")

    try:
        summary = run_simulation(svc, cases, args.columns, args.patient, max_turns=args.max_turns,
                                 dataset=args.dataset, batch_size=args.batch_size, progress=progress)
    finally:
        bar.close()
        svc.close()
    print(summary.describe())
    return 1 if summary.column_errors or summary.errors else 0


def cmd_judge(args: argparse.Namespace) -> int:
    """Have an OpenAI-compatible column rate stored replies on the rubric's axes (stored as suggestions)."""
    from workbench.judge import run_judge
    from workbench.services import build_services

    cfg = _config(args)
    svc = build_services(cfg, store=_open_store(cfg))
    bar, progress = _progress_bar("reply")

    try:
        summary = run_judge(svc, args.judge, datasets=args.dataset, columns=args.columns, limit=args.limit,
                            advice=not args.no_advice, progress=progress)
    finally:
        bar.close()
        svc.close()
    print(summary.describe())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve the configured columns as an OpenAI-compatible API (/v1/chat/completions, /v1/models)."""
    from workbench.serve import serve

    return serve(_config(args), host=args.host, port=args.port, token_env=args.token_env)



def cmd_quantize(args: argparse.Namespace) -> int:
    """Write a pre-quantized (int8 or int4) copy of a BianQue-2 / ChatGLM-6B checkpoint folder."""
    from workbench.chatglm.prequantize import quantize_checkpoint

    progress = None if args.quiet else (lambda m: print(m, file=sys.stderr))
    paths = quantize_checkpoint(args.model, args.bits, args.out, quantize_embeddings=args.quantize_embeddings,
                                progress=progress)
    size = sum(p.stat().st_size for p in paths)
    print(json.dumps({"out": str(args.out), "bits": args.bits, "quantize_embeddings": args.quantize_embeddings,
                      "files": [p.name for p in paths], "weight_bytes": size}))
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
    sp.add_argument("--errors", action="store_true",
                    help="with gold turn_type labels: also list every reply classified otherwise")
    sp.set_defaults(func=cmd_classify)

    sp = sub.add_parser("train-classifier", help=cmd_train_classifier.__doc__)
    sp.add_argument("--out", default=None,
                    help="npz to write (default: the committed workbench/annotate/turn_type_model.npz)")
    sp.set_defaults(func=cmd_train_classifier)

    sp = sub.add_parser("train-deid", help=cmd_train_deid.__doc__)
    sp.add_argument("--out", default=None,
                    help="npz to write (default: privacy_model.npz in $WORKBENCH_CACHE_DIR, else .cache)")
    sp.set_defaults(func=cmd_train_deid)

    sp = sub.add_parser("build-demo", help=cmd_build_demo.__doc__)
    sp.add_argument("--config", default=None)
    sp.add_argument("--force", action="store_true")
    sp.set_defaults(func=cmd_build_demo)

    sp = sub.add_parser("import", help=cmd_import.__doc__)
    sp.add_argument("file", help="dataset file")
    sp.add_argument("--name", default=None, help="dataset name (default: the file name without extension)")
    sp.add_argument("--format", default=None,
                    help="bianque_csv, bianque_jsonl, messages_jsonl, turns_json (default: detect)")
    sp.add_argument("--replace", action="store_true", help="replace a dataset of the same name (no ratings)")
    sp.add_argument("--config", default=str(DEFAULT_CONFIG))
    sp.set_defaults(func=cmd_import)

    sp = sub.add_parser("batch", help=cmd_batch.__doc__)
    sp.add_argument("--dataset", required=True)
    sp.add_argument("--columns", nargs="+", default=None, help="column names (default: every column)")
    sp.add_argument("--turns", default="all", help="all | last | sample:N (default: all)")
    sp.add_argument("--seed", type=int, default=0, help="seed of the sample:N draw")
    sp.add_argument("--batch-size", type=int, default=8, help="dialogues per batch for batching backends")
    sp.add_argument("--greeting", choices=("model", "app"), default="model",
                    help="model (default): call the model at each dialogue's first doctor turn; app: answer it "
                         "with the apps' fixed greeting (no model call; left out of metrics, queue and exports)")
    sp.add_argument("--config", default=str(DEFAULT_CONFIG))
    sp.set_defaults(func=cmd_batch)

    sp = sub.add_parser("stats", help=cmd_stats.__doc__)
    sp.add_argument("--config", default=str(DEFAULT_CONFIG))
    sp.add_argument("--annotator", nargs="+", default=None)
    sp.add_argument("--dataset", nargs="+", default=None, help="dataset names; 'live' = live chats")
    sp.add_argument("--column", nargs="+", default=None)
    sp.add_argument("--turn-type", nargs="+", default=None, help="question, suggestion, mixed, other")
    sp.add_argument("--from", dest="date_from", default=None, help="YYYY-MM-DD (inclusive)")
    sp.add_argument("--to", dest="date_to", default=None, help="YYYY-MM-DD (inclusive)")
    sp.add_argument("--no-metrics", action="store_true", help="skip BLEU/ROUGE/distinct (faster)")
    sp.add_argument("--include-retired", action="store_true",
                    help="count the answers to items an admin retired (left out by default)")
    sp.add_argument("--n-boot", type=int, default=N_BOOT,
                    help=f"bootstrap resamples for the CIs (default {N_BOOT}, as the Compare tab)")
    sp.add_argument("--aggregate", default="mean,dawid-skene,mace",
                    help="aggregates shown beside the plain scores, comma-separated, or none (default: all three)")
    sp.add_argument("--out", required=True, help="folder for report.md and the CSVs")
    sp.set_defaults(func=cmd_stats)

    sp = sub.add_parser("simulate", help=cmd_simulate.__doc__)
    sp.add_argument("--cases", default="annotations/cases", help="folder of case YAML files")
    sp.add_argument("--columns", nargs="+", default=None, help="column names (default: every column)")
    sp.add_argument("--patient", default="rule", help="rule | openai:<column> (an openai-compatible column)")
    sp.add_argument("--max-turns", type=int, default=10, help="doctor turns per consultation, greeting included")
    sp.add_argument("--dataset", default="simulated", help="dataset that stores the consultations")
    sp.add_argument("--batch-size", type=int, default=8, help="cases per batch for batching backends")
    sp.add_argument("--config", default=str(DEFAULT_CONFIG))
    sp.set_defaults(func=cmd_simulate)

    sp = sub.add_parser("judge", help=cmd_judge.__doc__)
    sp.add_argument("--judge", required=True, help="an openai-compatible column of the config")
    sp.add_argument("--dataset", nargs="+", default=None, help="only these datasets ('live' = live chats)")
    sp.add_argument("--columns", nargs="+", default=None, help="only replies of these columns")
    sp.add_argument("--limit", type=int, default=None, help="at most this many replies")
    sp.add_argument("--no-advice", action="store_true", help="skip scoring simulated advice against its case")
    sp.add_argument("--config", default=str(DEFAULT_CONFIG))
    sp.set_defaults(func=cmd_judge)

    sp = sub.add_parser("serve", help=cmd_serve.__doc__)
    sp.add_argument("--config", default=str(DEFAULT_CONFIG))
    sp.add_argument("--host", default="127.0.0.1", help="listen address (beyond loopback a token is required)")
    sp.add_argument("--port", type=int, default=8000)
    sp.add_argument("--token-env", default="WORKBENCH_SERVE_TOKEN",
                    help="NAME of the environment variable holding the bearer token")
    sp.set_defaults(func=cmd_serve)

    sp = sub.add_parser("quantize", help=cmd_quantize.__doc__)
    sp.add_argument("--model", required=True, help="checkpoint folder (config.json, tokenizer, weights)")
    sp.add_argument("--bits", type=int, choices=(8, 4), required=True)
    sp.add_argument("--out", required=True, help="new folder for the quantized checkpoint")
    sp.add_argument("--quantize-embeddings", action="store_true",
                    help="also quantize the tied embedding / lm_head table (int8 per row: half the bf16 bytes)")
    sp.add_argument("--quiet", action="store_true", help="no per-tensor progress on stderr")
    sp.set_defaults(func=cmd_quantize)

    from workbench.annotate.accounts_cli import add_users_parser
    from workbench.export.cli import add_export_parser
    from workbench.privacy_eval import add_deidentify_parser

    add_users_parser(sub, str(DEFAULT_CONFIG))
    from workbench.annotate.gold_cli import add_gold_parser

    add_gold_parser(sub, str(DEFAULT_CONFIG))
    add_export_parser(sub)
    add_deidentify_parser(sub)
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
