"""The multi-annotator load harness, shared by the load and crash tests and ``bench/annotator_load.py``.

It starts the REAL server as a subprocess (``python launch.py --config <tmp> --users <tmp> --port P
--no-warm-up``) on a fresh database, inserts stored generations (one ratable reply per item, so one submit
= one rating), drives logged-in gradio_client annotators through ``/rate_next`` + ``/rate_submit`` (the
Rate tab's own events) or the JSON API, and audits the database afterwards: acknowledged submits that were
lost, duplicated rows or versions, and "database is locked" errors. A submit counts as *acknowledged*
only when the server's answer says "✓ Item #N submitted".
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, func, select, text

from workbench.store.engine import Store
from workbench.store.schema import Assignment, Dialogue, Generation, QueueItem, Rating, RatingVersion, Turn

REPO = Path(__file__).resolve().parents[2]

COLUMN = "Model-A"
PASSWORD_PREFIX = "load-pass-"
ACK = re.compile(r"✓ Item #(\d+) submitted")
LOCKED = re.compile(r"database is locked|database is busy|\(locked\)", re.IGNORECASE)
FORM = ["question", "4", "N/A", False, "负载测试", ""]  # turn type, questioning, suggestion, safety, comment, corrected


# ---------------------------------------------------------------------------------------------------
# Database and server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_pg_url(base_url: str) -> str:
    """A new, empty schema on the given PostgreSQL database; returns a URL that uses it."""
    schema = "load_" + uuid.uuid4().hex[:10]
    eng = create_engine(base_url)
    with eng.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    eng.dispose()
    return base_url + ("&" if "?" in base_url else "?") + f"options=-csearch_path%3D{schema}"


def seed_items(store: Store, n_items: int) -> int:
    """``n_items`` ratable positions, each one finished ``ok`` reply of ``COLUMN`` (no model needed)."""
    with store.session() as s:
        for i in range(n_items):
            d = Dialogue(source="dataset", title=f"load {i}")
            s.add(d)
            s.flush()
            s.add(Turn(dialogue_id=d.id, idx=0, role="patient", text=f"我咳嗽{i % 30 + 1}天了，有点发烧"))
            s.add(Generation(dialogue_id=d.id, turn_index=1, column_name=COLUMN, backend="test",
                             model_name="test/load", output=f"咳嗽有痰吗？体温多少度？（{i}）", status="ok"))
    return n_items


def write_config(folder: Path, db_url: str, k: int, concurrency: int, *,
                 base_url: str = "http://127.0.0.1:9/v1", timeout_s: float = 2) -> Path:
    """A config whose one column is an OpenAI-compatible server (by default unreachable): no model weights."""
    cfg = {
        "database_url": db_url,
        "server": {"host": "127.0.0.1", "concurrency_limit": concurrency},
        "annotation": {"annotators_per_item": k, "blind": True, "users_file": None},
        "columns": [{"name": COLUMN, "backend": "openai-compatible", "base_url": base_url,
                     "model_name": "fake", "timeout_s": timeout_s}],
    }
    path = folder / "load.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    return path


def write_users(folder: Path, n: int, *, admin: bool = False) -> tuple[Path, list[tuple[str, str]]]:
    """A users file with ``n`` annotators (plus one admin ``boss`` when asked); returns (path, logins)."""
    logins = [(f"annotator{i:02d}", f"{PASSWORD_PREFIX}{i:02d}") for i in range(n)]
    users = [{"username": u, "password": p, "role": "annotator"} for u, p in logins]
    if admin:
        users.append({"username": "boss", "password": "boss-pass-1", "role": "admin"})
    path = folder / "users.yaml"
    path.write_text(yaml.safe_dump({"users": users}), encoding="utf-8")
    return path, logins


@dataclass
class Server:
    """``launch.py`` running in a subprocess."""

    proc: subprocess.Popen
    url: str
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start_server(config: Path, users: Path | None, *, port: int | None = None, log_path: Path,
                 timeout: float = 90) -> Server:
    """Start ``launch.py`` and wait until it answers on 127.0.0.1."""
    port = port or free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("WORKBENCH_DB_URL", "WORKBENCH_AUTH")}
    env.update(GRADIO_ANALYTICS_ENABLED="False", HF_HUB_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1",
               PYTHONUNBUFFERED="1")
    cmd = [sys.executable, str(REPO / "launch.py"), "--config", str(config), "--port", str(port), "--no-warm-up"]
    if users is not None:
        cmd += ["--users", str(users)]
    log_f = log_path.open("w", encoding="utf-8")
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=log_f, stderr=subprocess.STDOUT)
    log_f.close()
    url = f"http://127.0.0.1:{port}"
    server = Server(proc, url, log_path)
    deadline = time.monotonic() + timeout
    import httpx

    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"launch.py exited with {proc.returncode}:\n{server.log()[-3000:]}")
        try:
            r = httpx.get(url + "/", timeout=2)
            if r.status_code < 500:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"launch.py did not answer within {timeout} s:\n{server.log()[-3000:]}")


# ---------------------------------------------------------------------------------------------------
# Annotators


@dataclass
class AnnotatorResult:
    username: str
    acknowledged: list[int] = field(default_factory=list)  # item ids the server confirmed
    submit_ms: list[float] = field(default_factory=list)
    next_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    empty: int = 0  # rate_next found nothing left


def submit_values() -> list[Any]:
    """``/rate_submit``'s one argument for an item with one reply, as the page sends it (JSON, see
    workbench/ui/rate_payload.py): no preference, the one reply box's 6 fields."""
    return [json.dumps({"preference": None, "ranking": "", "answers": [FORM]}, ensure_ascii=False)]


def saved_message(output: Any) -> str:
    """The Rate tab's status line (``rate-saved``) in an endpoint's output tuple."""
    parts = output if isinstance(output, list | tuple) else [output]
    for p in parts:
        if isinstance(p, str) and (p.startswith("✓") or p.startswith("⚠")):
            return p
    return ""


def api_payload(item: dict[str, Any]) -> str:
    """A ``/rate_api_submit`` payload rating every reply of ``item`` and asking for the next item."""
    form: dict[str, Any] = dict(zip(("turn_type", "questioning", "suggestion", "safety_flag", "comment", "corrected_reply"),
                    FORM, strict=True))
    form["questioning"] = int(form["questioning"])  # the API takes typed JSON (the widgets send strings)
    labels = [r["label"] for r in item["replies"]]
    return json.dumps({"item_id": item["item_id"], "ratings": {x: form for x in labels},
                       "preference": labels[0] if len(labels) > 1 else None, "next": True}, ensure_ascii=False)


def annotate(url: str, username: str, password: str, n: int, barrier: threading.Barrier | None,
             result: AnnotatorResult, stop: threading.Event | None = None, endpoint: str = "api") -> None:
    """One annotator: claim and submit ``n`` items as fast as the server answers.

    ``endpoint="api"``: the Rate tab's JSON API (one call per submit, which also claims the next item);
    ``"ui"``: the Rate tab's buttons (``/rate_next`` then ``/rate_submit``, rendering the whole tab).
    """
    from gradio_client import Client

    try:
        client = Client(url, auth=(username, password), verbose=False, analytics_enabled=False,
                        download_files=False)
    except Exception as e:
        result.errors.append(f"login: {type(e).__name__}: {e}")
        if barrier is not None:
            barrier.abort()
        return
    if barrier is not None:
        barrier.wait()
    if endpoint == "api":
        _annotate_api(client, n, result, stop)
        return
    done = 0
    while done < n and not (stop is not None and stop.is_set()):
        try:
            t0 = time.perf_counter()
            nxt = client.predict(api_name="/rate_next")
            result.next_ms.append((time.perf_counter() - t0) * 1000)
            if "No item open" in repr(nxt):
                result.empty += 1
                break
            t0 = time.perf_counter()
            out = client.predict(*submit_values(), api_name="/rate_submit")
            result.submit_ms.append((time.perf_counter() - t0) * 1000)
        except Exception as e:  # a refused or failed call is counted, never retried silently
            result.errors.append(f"{type(e).__name__}: {e}")
            if len(result.errors) > 20:
                break
            continue
        msg = saved_message(out)
        m = ACK.search(msg)
        if m:
            result.acknowledged.append(int(m.group(1)))
            done += 1
        else:
            result.errors.append(msg or repr(out)[:300])
            if len(result.errors) > 20:
                break


def _annotate_api(client: Any, n: int, result: AnnotatorResult, stop: threading.Event | None) -> None:
    item = None
    try:
        t0 = time.perf_counter()
        item = json.loads(client.predict(api_name="/rate_api_next"))["item"]
        result.next_ms.append((time.perf_counter() - t0) * 1000)
    except Exception as e:
        result.errors.append(f"{type(e).__name__}: {e}")
    done = 0
    while item is not None and done < n and not (stop is not None and stop.is_set()):
        try:
            t0 = time.perf_counter()
            out = json.loads(client.predict(api_payload(item), api_name="/rate_api_submit"))
            result.submit_ms.append((time.perf_counter() - t0) * 1000)
        except Exception as e:  # refused: not acknowledged; the item stays ours, so try it again
            result.errors.append(f"{type(e).__name__}: {e}")
            if len(result.errors) > 20:
                return
            continue
        if out.get("ok") is True:
            result.acknowledged.append(int(out["item_id"]))
            done += 1
        else:
            result.errors.append(repr(out)[:300])
        item = out.get("next")
    if item is None and done < n:
        result.empty += 1


def solo_latency(url: str, login: tuple[str, str], n: int, result: AnnotatorResult) -> dict[str, Any]:
    """One annotator alone on an idle server, through the Rate tab's events (see the module docstring)."""
    from gradio_client import Client

    client = Client(url, auth=login, verbose=False, analytics_enabled=False, download_files=False)
    baseline: list[float] = []
    for _ in range(3):  # warm-up: the first calls compile queries and open connections
        client.predict(api_name="/new_dialogue")
    for _ in range(n):
        t0 = time.perf_counter()
        client.predict(api_name="/new_dialogue")
        baseline.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        client.predict(api_name="/rate_next")
        result.next_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        out = client.predict(*submit_values(), api_name="/rate_submit")
        result.submit_ms.append((time.perf_counter() - t0) * 1000)
        m = ACK.search(saved_message(out))
        if m:
            result.acknowledged.append(int(m.group(1)))
        else:
            result.errors.append(saved_message(out) or repr(out)[:300])
    p50 = percentile(result.submit_ms, 50)
    base50 = percentile(baseline, 50)
    return {"solo_p50_ms": round(p50, 1), "solo_p95_ms": round(percentile(result.submit_ms, 95), 1),
            "solo_next_p50_ms": round(percentile(result.next_ms, 50), 1),
            "solo_next_p95_ms": round(percentile(result.next_ms, 95), 1),
            "solo_baseline_p50_ms": round(base50, 1), "solo_ratio": round(p50 / base50, 2) if base50 else None,
            "solo_submits": len(result.acknowledged), "solo_errors": len(result.errors)}


def run_annotators(url: str, logins: list[tuple[str, str]], per_annotator: int,
                   endpoint: str = "api") -> tuple[list[AnnotatorResult], float]:
    """Every annotator in its own thread, released together; returns the results and the wall time."""
    results = [AnnotatorResult(u) for u, _ in logins]
    barrier = threading.Barrier(len(logins) + 1)
    threads = [threading.Thread(target=annotate, args=(url, u, p, per_annotator, barrier, r, None, endpoint),
                                daemon=True)
               for (u, p), r in zip(logins, results, strict=True)]
    for t in threads:
        t.start()
    try:
        barrier.wait(timeout=120)
    except threading.BrokenBarrierError:
        pass
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return results, time.perf_counter() - t0


# ---------------------------------------------------------------------------------------------------
# Verification


@dataclass
class Audit:
    acknowledged: int
    lost: int
    duplicated: int
    submitted_in_db: int
    over_k_items: int


def audit(store: Store, results: list[AnnotatorResult], k: int) -> Audit:
    """Compare what the clients saw acknowledged with what the database holds."""
    with store.session() as s:
        users: dict[str, int] = {name: uid for name, uid in s.execute(text("SELECT username, id FROM users"))}
        # (user, item) -> submitted rating exists
        rows = s.execute(
            select(Rating.user_id, QueueItem.id, Rating.status)
            .join(Generation, Generation.id == Rating.generation_id)
            .join(QueueItem, (QueueItem.dialogue_id == Generation.dialogue_id)
                  & (QueueItem.turn_index == Generation.turn_index))
        ).all()
        submitted = {(u, i) for u, i, st in rows if st == "submitted"}
        dup_ratings = s.execute(
            select(func.count()).select_from(
                select(Rating.user_id, Rating.generation_id).group_by(Rating.user_id, Rating.generation_id)
                .having(func.count() > 1).subquery())).scalar() or 0
        dup_versions = s.execute(
            select(func.count()).select_from(
                select(RatingVersion.rating_id, RatingVersion.version)
                .group_by(RatingVersion.rating_id, RatingVersion.version).having(func.count() > 1).subquery())
        ).scalar() or 0
        dup_assign = s.execute(
            select(func.count()).select_from(
                select(Assignment.user_id, Assignment.item_id).group_by(Assignment.user_id, Assignment.item_id)
                .having(func.count() > 1).subquery())).scalar() or 0
        over_k = s.execute(
            select(func.count()).select_from(
                select(Assignment.item_id).group_by(Assignment.item_id).having(func.count() > k).subquery())
        ).scalar() or 0
        n_submitted = s.scalar(select(func.count(Rating.id)).where(Rating.status == "submitted")) or 0
    acked = [(users[r.username], item) for r in results for item in r.acknowledged]
    dup_acks = len(acked) - len(set(acked))  # the same item acknowledged twice to one user
    lost = sum(1 for key in set(acked) if key not in submitted)
    return Audit(len(acked), lost, int(dup_ratings + dup_versions + dup_assign + over_k + dup_acks),
                 int(n_submitted), int(over_k))


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    xs = sorted(values)
    return xs[min(len(xs) - 1, max(0, round(q / 100 * (len(xs) - 1))))]


def count_locked(results: list[AnnotatorResult], server_log: str) -> int:
    from_clients = sum(1 for r in results for e in r.errors if LOCKED.search(e))
    return from_clients + len(LOCKED.findall(server_log))
