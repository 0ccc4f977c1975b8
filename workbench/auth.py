"""Accounts, hashed passwords and the server-side identity of each request.

A rating is always attributed to the user the *server* authenticated
(``gr.Request.username`` after Gradio's login), never to a name the client sends.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import yaml
from sqlalchemy import select

from workbench.errors import AuthError, ConfigError, InputError
from workbench.store.engine import Store
from workbench.store.schema import User

ROLES = ("annotator", "admin")
LOCAL_USER = "local"  # the single user of a workbench started without logins
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        algo, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if algo != "scrypt":
        return False
    got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32)
    return hmac.compare_digest(got.hex(), digest)


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def upsert_user(store: Store, username: str, password: str | None, role: str = "annotator", *,
                password_hash: str | None = None) -> CurrentUser:
    username = username.strip()
    if not username or len(username) > 80:
        raise InputError("a username must be 1-80 characters")
    if role not in ROLES:
        raise InputError(f"role must be one of {ROLES}")
    if password is not None and len(password) < 6:
        raise InputError("a password must be at least 6 characters")
    hashed = password_hash or (hash_password(password) if password is not None else "!")
    with store.session() as s:
        u = s.scalar(select(User).where(User.username == username))
        if u is None:
            u = User(username=username, password_hash=hashed, role=role)
            s.add(u)
        else:
            u.role = role
            if password is not None or password_hash:
                u.password_hash = hashed
        s.flush()
        return CurrentUser(u.id, u.username, u.role)


def load_users_file(store: Store, path: Path) -> int:
    """Create or update accounts from YAML: ``users: [{username, password | password_hash, role}]``."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"{path}: cannot read users file: {e}") from None
    users = data.get("users") if isinstance(data, dict) else None
    if not isinstance(users, list):
        raise ConfigError(f"{path}: expected 'users: [ {{username, password, role}}, ... ]'")
    for i, u in enumerate(users):
        if not isinstance(u, dict) or "username" not in u or not ("password" in u or "password_hash" in u):
            raise ConfigError(f"{path}: users.{i}: needs username and password (or password_hash)")
        try:
            upsert_user(store, str(u["username"]), u.get("password"), u.get("role", "annotator"),
                        password_hash=u.get("password_hash"))
        except InputError as e:
            raise ConfigError(f"{path}: users.{i}: {e}") from None
    return len(users)


class Authenticator:
    """Checks logins for Gradio and resolves the user of each request."""

    def __init__(self, store: Store, *, enabled: bool) -> None:
        self.store = store
        self.enabled = enabled
        if not enabled:
            upsert_user(store, LOCAL_USER, None, "admin")

    def check(self, username: str, password: str) -> bool:
        with self.store.session() as s:
            u = s.scalar(select(User).where(User.username == username, User.active.is_(True)))
            stored = u.password_hash if u else None
        if stored is None:
            # Spend the same time as a real check, so timing does not reveal which names exist.
            verify_password(password, "scrypt$16384$8$1$00$00")
            return False
        return verify_password(password, stored)

    def lookup(self, username: str | None) -> CurrentUser:
        name = username if self.enabled else LOCAL_USER
        if not name:
            raise AuthError("not logged in")
        with self.store.session() as s:
            u = s.scalar(select(User).where(User.username == name, User.active.is_(True)))
            if u is None:
                raise AuthError(f"unknown or disabled user {name!r}")
            return CurrentUser(u.id, u.username, u.role)

    def from_request(self, request: object) -> CurrentUser:
        """The server-side identity of a Gradio request (``gr.Request``)."""
        return self.lookup(getattr(request, "username", None))


def users_from_env() -> list[tuple[str, str]]:
    """``WORKBENCH_AUTH=user:pass,user2:pass2`` for quick setups (admins)."""
    raw = os.environ.get("WORKBENCH_AUTH", "")
    return [tuple(x.split(":", 1)) for x in raw.split(",") if ":" in x]  # type: ignore[misc]
