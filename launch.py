"""Start the BianQue Workbench: parse arguments, build services, build the UI, launch."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

from workbench.cli import DEFAULT_CONFIG, DEMO_CONFIG  # noqa: E402
from workbench.config import load_config  # noqa: E402
from workbench.errors import WorkbenchError  # noqa: E402

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--config", help=f"YAML config (default {DEFAULT_CONFIG.name}; --demo uses {DEMO_CONFIG.name})")
    p.add_argument("--demo", action="store_true", help="tiny offline models, built on first use")
    p.add_argument("--host", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.add_argument("--auth", action="append", default=[], metavar="USER:PASS",
                   help="add an admin login (repeatable); also WORKBENCH_AUTH=user:pass,...")
    p.add_argument("--users", help="YAML users file (username, password, role); enables logins")
    p.add_argument("--share", action="store_true", help="create a PUBLIC Gradio share link (medical data!)")
    p.add_argument("--no-warm-up", action="store_true", help="load models on first use instead of at start")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = parse_args(argv)
    from workbench.auth import load_users_file, upsert_user, users_from_env
    from workbench.services import build_services
    from workbench.ui.app import CSS, build_app

    try:
        cfg = load_config(args.config or (DEMO_CONFIG if args.demo else DEFAULT_CONFIG))
        host = args.host or cfg.server.host
        port = args.port if args.port is not None else cfg.server.port
        admins = [a.split(":", 1) for a in args.auth if ":" in a] + users_from_env()
        users_file = args.users or (cfg.annotation.users_file and str(cfg.resolve_path(cfg.annotation.users_file)))
        has_users_file = bool(users_file and Path(users_file).exists())
        auth_enabled = bool(admins) or has_users_file
        if host not in LOOPBACK and not auth_enabled:
            print("error: listening beyond loopback requires logins (--auth USER:PASS or --users FILE)",
                  file=sys.stderr)
            return 2
        svc = build_services(cfg, auth_enabled=auth_enabled)
        for name, password in admins:
            upsert_user(svc.store, name, password, "admin")
        if has_users_file:
            n = load_users_file(svc.store, Path(users_file))
            print(f"loaded {n} account(s) from {users_file}")
        if args.share:
            print("WARNING: --share publishes this workbench on a public gradio.live URL. "
                  "Do not use it with private medical data.", file=sys.stderr)
        if not args.no_warm_up:
            print("loading models…")
            for column, err in svc.warm_up().items():
                print(f"  {column}: {'ready' if err is None else 'NOT READY: ' + err}")
        demo = build_app(svc)
    except WorkbenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"database: {svc.store.display_url}")
    print(f"UI: http://{'[' + host + ']' if ':' in host else host}:{port}")
    demo.launch(
        server_name=host,
        server_port=port,
        share=bool(args.share),
        auth=svc.auth.check if auth_enabled else None,
        auth_message="BianQue Workbench: sign in" if auth_enabled else None,
        footer_links=[],
        css=CSS,
        show_error=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
