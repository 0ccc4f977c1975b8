"""A database that cannot grow: a real file size limit (RLIMIT_FSIZE, what ``ulimit -f`` or a file system's largest
file imposes) makes SQLite's write fail with EFBIG, which it reports as "disk I/O error". The user was told only
"database error: nothing was saved (the details are in the server log)"; nothing stored before may be lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from workbench.store.engine import Store
from workbench.store.schema import Dialogue

REPO = Path(__file__).resolve().parents[1]

SCRIPT = """
import json, resource, sys
from workbench.errors import StoreError
from workbench.store.dialogues import create_dialogue
from workbench.store.engine import Store
from workbench.dialogue import Turn

store = Store(sys.argv[1])
limit = int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))  # Python ignores SIGXFSZ: the write gets EFBIG
try:
    with store.session() as s:
        for i in range(200):
            create_dialogue(s, (Turn("patient", "头痛" * 2000),), source="live", title=f"big {i}")
    print(json.dumps({"error": None}))
except StoreError as e:
    print(json.dumps({"error": str(e)}))
"""


def test_a_file_size_limit_says_what_to_do_and_keeps_what_was_stored(tmp_path):
    url = f"sqlite:///{tmp_path / 'limited.db'}"
    store = Store(url)
    with store.session() as s:
        from workbench.dialogue import Turn
        from workbench.store.dialogues import create_dialogue

        kept = create_dialogue(s, (Turn("patient", "我咳嗽三天了"),), source="live").id
    store.engine.dispose()
    size = sum(p.stat().st_size for p in tmp_path.glob("limited.db*"))
    done = subprocess.run([sys.executable, "-c", SCRIPT, url, str(size + 64 * 1024)], cwd=REPO,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
                          timeout=120, check=True)
    error = json.loads(done.stdout.strip().splitlines()[-1])["error"]
    assert error == ("the database could not write to its file (disk I/O error): nothing was saved; check the free "
                     "space and any file size limit where the database is, then try again")
    with store.session() as s:  # the dialogue stored before is intact, and nothing of the refused write is
        assert s.scalar(select(func.count(Dialogue.id))) == 1
        assert s.get(Dialogue, kept) is not None
    store.dispose()
