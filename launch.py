"""Start the BianQue Workbench: parse arguments, build services, build the UI, launch."""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from workbench.cli import DEFAULT_CONFIG, DEMO_CONFIG  # noqa: E402
from workbench.config import WorkbenchConfig, load_config  # noqa: E402
from workbench.errors import ConfigError, WorkbenchError  # noqa: E402
from workbench.plural import counted

if TYPE_CHECKING:
    from workbench.services import Services
    from workbench.web_guard import OpenModeGuard

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", help=f"YAML config (default {DEFAULT_CONFIG.name}; --demo uses {DEMO_CONFIG.name})")
    p.add_argument("--demo", action="store_true", help="tiny offline models, built on first use")
    p.add_argument("--host", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.add_argument("--auth", action="append", default=[], metavar="USER:PASS",
                   help="add an admin login (repeatable); also WORKBENCH_AUTH=user:pass,...")
    p.add_argument("--users", help="YAML users file (username, password, role) to load at start; must exist")
    p.add_argument("--share", action="store_true", help="create a PUBLIC Gradio share link (medical data!)")
    p.add_argument("--no-warm-up", action="store_true", help="load models on first use instead of at start")
    return p.parse_args(argv)


SHARE_WARNING = ("WARNING: --share publishes this workbench on a public gradio.live URL. "
                 "Do not use it with private medical data.")


@dataclass(frozen=True)
class LaunchPlan:
    """Where and how the server listens, decided before anything is built."""

    host: str
    port: int
    share: bool
    auth_enabled: bool
    admins: list[tuple[str, str]] = field(default_factory=list)
    users_file: Path | None = None
    warnings: list[str] = field(default_factory=list)
    #: open mode (no logins): the host names and the random token every request must carry
    open_mode: OpenModeGuard | None = None


NO_LOGINS = ("requires logins: create accounts (python -m workbench users add NAME --role ROLE --password-stdin), "
             "or pass --auth USER:PASS or --users FILE")


def store_has_accounts(cfg: WorkbenchConfig) -> bool:
    """Whether the configured store holds an account one can log into; a missing SQLite file holds none
    (and is not created here)."""
    from workbench.auth import has_login_accounts
    from workbench.store.engine import Store, sqlite_file

    url = cfg.effective_database_url
    path = sqlite_file(url) if url.startswith("sqlite") else None
    if url.startswith("sqlite") and (path is None or not path.exists()):
        return False
    store = Store(url)
    try:
        return has_login_accounts(store)
    finally:
        store.dispose()


def plan_launch(args: argparse.Namespace, cfg: WorkbenchConfig, *, accounts_in_store: bool = False) -> LaunchPlan:
    """Apply the safe defaults: loopback unless asked, logins whenever any account exists, logins required
    beyond loopback, share only on request, and open mode's token and host checks otherwise.

    Raises :class:`ConfigError` when the plan is unsafe (a non-loopback host without logins) or an argument
    is malformed (``--auth`` without a colon, a ``--users`` file that does not exist).
    """
    from workbench.auth import parse_credentials, users_from_env
    from workbench.web_guard import OpenModeGuard

    host = args.host or cfg.server.host
    port = args.port if args.port is not None else cfg.server.port
    admins = parse_credentials(args.auth, "--auth") + users_from_env()
    users_file = args.users or (cfg.annotation.users_file and str(cfg.resolve_path(cfg.annotation.users_file)))
    has_users_file = bool(users_file and Path(users_file).exists())
    if args.users and not has_users_file:
        raise ConfigError(f"{args.users}: users file not found (create it, or leave out --users: accounts "
                          "added with `python -m workbench users add` already live in the database)")
    auth_enabled = bool(admins) or has_users_file or accounts_in_store
    if host not in LOOPBACK and not auth_enabled:
        raise ConfigError("listening beyond loopback " + NO_LOGINS)
    if args.share and not auth_enabled:
        raise ConfigError("--share " + NO_LOGINS)
    warnings = [SHARE_WARNING] if args.share else []
    open_mode = None if auth_enabled else OpenModeGuard.create([*cfg.server.allowed_hosts, host])
    return LaunchPlan(host, port, bool(args.share), auth_enabled, admins,
                      Path(users_file) if has_users_file else None, warnings, open_mode)


def launch_options(plan: LaunchPlan, svc: Services) -> dict[str, Any]:
    """The keyword arguments for ``Blocks.launch``: exactly what the plan allows."""
    from workbench.ui.app import server_options

    # Gradio's own banner is left out: launch.py prints the address to open (with open mode's token, which
    # Gradio's "Running on local URL" lacks), and its hint "set share=True in launch()" contradicts --share. With
    # --share it prints the public link, which only it knows.
    return dict(server_name=plan.host, server_port=plan.port, share=plan.share, quiet=not plan.share,
                **server_options(svc, open_mode=plan.open_mode))


def ui_url(plan: LaunchPlan) -> str:
    """The address to open, with open mode's token (as Jupyter prints it)."""
    host = plan.host if plan.host not in ("0.0.0.0", "::") else "127.0.0.1"
    base = f"http://{'[' + host + ']' if ':' in host else host}:{plan.port}/"
    return plan.open_mode.url_with_token(base) if plan.open_mode else base


def private_gradio_cache() -> None:
    """Uploads (dataset files) go to a folder only this user can read, removed at exit."""
    if os.environ.get("GRADIO_TEMP_DIR"):
        return
    folder = tempfile.mkdtemp(prefix="workbench-gradio-")  # created 0700
    os.environ["GRADIO_TEMP_DIR"] = folder
    atexit.register(shutil.rmtree, folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    # Everything the server writes (database, exports, uploads) is readable by this user only.
    old_umask = os.umask(0o077)
    try:
        return serve(args)
    finally:
        os.umask(old_umask)


def start_tagger() -> str:
    """The thorough exports' tagger: ``ready`` when this machine's is current, else its build is started in the
    background (about a minute on two cores, once per machine and after a labelled set changes) so that the UI
    answers meanwhile; a thorough export started before it is done waits for it. Rules-only exports never do."""
    from workbench.privacy_model import model_path
    from workbench.privacy_training import current_model

    if current_model(model_path()) is not None:
        return "ready"
    threading.Thread(target=_build_tagger, name="deid-tagger", daemon=True).start()
    return "building in the background (about a minute; a thorough export started meanwhile waits for it)"


def _build_tagger() -> None:
    from workbench.privacy_model import ModelUnavailable, require_model

    try:
        require_model()
    except ModelUnavailable as e:  # said again, by the export, to whoever asks for a thorough one
        logging.getLogger("launch").warning("%s", e)
    else:
        logging.getLogger("launch").warning("de-identification tagger (thorough exports): ready")


def serve(args: argparse.Namespace) -> int:
    """Build and launch; 2 (with the reason on stderr) when the configuration or arguments are refused."""
    from workbench.auth import load_users_file, upsert_user
    from workbench.services import build_services
    from workbench.ui.app import build_app

    try:
        cfg = load_config(args.config or (DEMO_CONFIG if args.demo else DEFAULT_CONFIG))
        plan = plan_launch(args, cfg, accounts_in_store=store_has_accounts(cfg))
        svc = build_services(cfg, auth_enabled=plan.auth_enabled)
        for name, password in plan.admins:
            upsert_user(svc.store, name, password, "admin")
        if plan.users_file is not None:
            n = load_users_file(svc.store, plan.users_file)
            print(f"loaded {counted(n, 'account')} from {plan.users_file}")
        for w in plan.warnings:  # printed before anything is published
            print(w, file=sys.stderr)
        if not args.no_warm_up:
            print("loading models…")
            for column, err in svc.warm_up().items():
                print(f"  {column}: {'ready' if err is None else 'NOT READY: ' + err}")
        print(f"de-identification tagger (thorough exports): {start_tagger()}")
        private_gradio_cache()
        demo = build_app(svc)
    except WorkbenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"database: {svc.store.display_url}")
    print("logins: required" if plan.auth_enabled
          else "logins: off (no accounts): open mode, for this machine only, with the token below")
    print(f"UI: {ui_url(plan)}", flush=True)
    demo.launch(**launch_options(plan, svc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
