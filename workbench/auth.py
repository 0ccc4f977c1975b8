"""Accounts, hashed passwords and the server-side identity of each request.

A rating is always attributed to the user the *server* authenticated
(``gr.Request.username`` after Gradio's login), never to a name the client sends.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.access import ROLES, Permission, allows
from workbench.errors import AuthError, ConfigError, InputError
from workbench.login_throttle import LoginThrottle, lockout_message
from workbench.store.engine import Store
from workbench.store.schema import User
from workbench.validation import MARKUP_CHARACTERS

log = logging.getLogger(__name__)
LOCAL_USER = "local"  # the single user of a workbench started without logins
NO_PASSWORD = "!"  # the hash of an account nobody can log into (the local user of open mode)
_N, _R, _P = 2**14, 8, 1
# Bounds on the cost parameters read from a stored hash: a crafted hash must not make a login
# allocate gigabytes (scrypt needs 128*n*r bytes) or spin for minutes.
_MAX_N, _MAX_R, _MAX_P = 2**20, 32, 16


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


class MalformedHash(ValueError):
    """A stored password hash that is not ``scrypt$n$r$p$salt$digest`` with sane parameters."""


def parse_hash(stored: str) -> tuple[int, int, int, bytes, bytes]:
    """(n, r, p, salt, digest) of a stored scrypt hash; :class:`MalformedHash` when it is not one."""
    parts = stored.split("$") if isinstance(stored, str) else []
    if len(parts) != 6 or parts[0] != "scrypt":
        raise MalformedHash("expected scrypt$n$r$p$salt$digest")
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, digest = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        raise MalformedHash("n, r, p must be integers and salt, digest hexadecimal") from None
    if not (1 < n <= _MAX_N and n & (n - 1) == 0 and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P) or not digest:
        raise MalformedHash("scrypt parameters out of range")
    return n, r, p, salt, digest


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored``; False (and a log line) when the hash is malformed."""
    try:
        n, r, p, salt, digest = parse_hash(stored)
        got = hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=n, r=r, p=p,
                             maxmem=256 * n * r + 1024 * 1024, dklen=len(digest))
    except (MalformedHash, ValueError, MemoryError) as e:
        log.error("a stored password hash is malformed (%s): the login is refused", e)
        return False
    return hmac.compare_digest(got, digest)


@dataclass(frozen=True)
class CurrentUser:
    id: int
    username: str
    role: str

    def can(self, permission: Permission) -> bool:
        return allows(self.role, permission)




def upsert_user(store: Store, username: str, password: str | None, role: str = "annotator", *,
                password_hash: str | None = None) -> CurrentUser:
    username = username.strip()
    if not username or len(username) > 80:
        raise InputError("a username must be 1-80 characters")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") or c.isspace() and c != " " for c in username):
        raise InputError("a username cannot hold tabs, line breaks or invisible control characters")
    if role not in ROLES:
        raise InputError(f"role must be one of {ROLES}")
    if password is not None and len(password) < 6:
        raise InputError("a password must be at least 6 characters")
    if password_hash:
        try:
            parse_hash(password_hash)
        except MalformedHash as e:
            raise InputError(f"password_hash is malformed ({e}); create it with `python -m workbench users add`") from None
    hashed = password_hash or (hash_password(password) if password is not None else NO_PASSWORD)
    with store.session() as s:
        u = s.scalar(select(User).where(User.username == username))
        if u is None:
            # Sign-in throttling counts failures per lower-cased name: Boss beside boss would share a lock-out.
            _refuse_a_case_twin(s, username)
            # A name is shown on every page, in exports and in other people's tables: every place escapes it, but
            # one that reads as markup (<b>ann</b>) is a trap for any tool that does not. An existing account
            # keeps its name (its role and password can still change).
            if MARKUP_CHARACTERS.intersection(username):
                raise InputError(f"a username cannot hold {' '.join(sorted(MARKUP_CHARACTERS))}: they are markup "
                                 f"in a web page")
            u = User(username=username, password_hash=hashed, role=role)
            s.add(u)
        else:
            u.role = role
            if password is not None or password_hash:
                u.password_hash = hashed
        s.flush()
        return CurrentUser(u.id, u.username, u.role)


def account_name(store: Store, name: str) -> str | None:
    """The name of the account ``name`` signs in as (disabled ones too), or None."""
    with store.read() as s:
        u = signs_in_as(s, name, active=False)
        return u.username if u is not None else None


def _refuse_a_case_twin(s: Session, name: str) -> None:
    """Refuse ``name`` when an account's name differs from it only in letter case: it signs in as that account, but
    saving under it must not quietly set that account's password (an admin may have meant a new person)."""
    twin = s.scalar(select(User.username).where(func.lower(User.username) == name.lower()))
    if twin is not None:
        raise InputError(f"the account {twin!r} already exists: type {twin!r} to change it (a new account's name "
                         f"must differ in more than letter case)")


def role_to_save(store: Store, name: str, asked: str | None) -> tuple[str, str | None]:
    """The role to save for account ``name`` (``asked``, else its current one, else annotator) and its current
    role (None for a new account). Refuses to demote the only active admin: nobody could then reach Data,
    Export or the team's progress."""
    with store.read() as s:
        current = s.scalar(select(User.role).where(User.username == name.strip()))
        if current is None:
            # (said first: the form said "a new account needs a password", then, given one, that it existed)
            _refuse_a_case_twin(s, name.strip())
        admins = s.scalar(select(func.count()).select_from(User)
                          .where(User.role == "admin", User.active.is_(True))) or 0
    role = asked or current or "annotator"
    if current == "admin" and role != "admin" and admins <= 1:
        raise InputError(f"{name.strip()!r} is the only active admin: add another admin before changing its role")
    return role, current


def set_active(store: Store, username: str, active: bool) -> CurrentUser:
    """Enable or disable account ``username``. A disabled account cannot sign in, and a page it has open is
    refused at its next action (every event looks its user up); its ratings and dialogues stay. Refuses to
    disable the only active admin, as :func:`role_to_save` refuses to demote it."""
    name = username.strip()
    with store.session() as s:
        u = signs_in_as(s, name, active=False)
        if u is None:
            raise InputError(f"no account {name!r}")
        if not active and u.active and u.role == "admin":
            admins = s.scalar(select(func.count()).select_from(User)
                              .where(User.role == "admin", User.active.is_(True))) or 0
            if admins <= 1:
                raise InputError(f"{name!r} is the only active admin: add another admin before disabling it")
        u.active = active
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


@dataclass(frozen=True)
class Account:
    """An account as listed to admins: never its password hash."""

    id: int
    username: str
    role: str
    active: bool
    created_at: datetime


def list_accounts(store: Store) -> list[Account]:
    """Every account, oldest first (``users list`` and the Data tab's Accounts section)."""
    with store.read() as s:
        return [Account(u.id, u.username, u.role, u.active, u.created_at)
                for u in s.scalars(select(User).order_by(User.id))]


def find_account(store: Store, name: str) -> Account | None:
    """The account ``name`` names as :func:`set_active` reads it (:func:`signs_in_as`: ``BOB`` is bob), or None."""
    with store.read() as s:
        u = signs_in_as(s, name, active=False)
        return None if u is None else Account(u.id, u.username, u.role, u.active, u.created_at)


def has_login_accounts(store: Store) -> bool:
    """True when the store holds any active account one can log into: logins are then required."""
    with store.read() as s:
        return s.scalar(select(User.id).where(User.active.is_(True), User.password_hash != NO_PASSWORD)
                        .limit(1)) is not None


def signs_in_as(s: Session, name: str, *, active: bool) -> User | None:
    """The account ``name`` signs in as: its exact name, else the one account whose name differs only in letter case
    (names may not, so ``Alice``, typed by a phone's keyboard, is ``alice``; a store from before that rule with two
    such accounts takes neither). ``active``: enabled accounts only."""
    name = name.strip()
    query = select(User).where(User.active.is_(True)) if active else select(User)
    exact = s.scalar(query.where(User.username == name))
    if exact is not None:
        return exact
    twins = s.scalars(query.where(func.lower(User.username) == name.lower()).limit(2)).all()
    return twins[0] if len(twins) == 1 else None


#: what :meth:`Authenticator._verify` says of a disabled account's right password
DISABLED = "disabled"


@dataclass(frozen=True)
class LoginRefusal:
    """Why a sign-in failed, as the login request's answer: 400 wrong name or password (Gradio's own answer),
    403 a disabled account's right password, 429 an account locked out for ``retry_after_s``."""

    status: int
    detail: str
    retry_after_s: float = 0.0


class Authenticator:
    """Checks logins for Gradio and resolves the user of each request."""

    #: per-address back-off: generous, since a whole office may share one address
    ADDRESS_FREE_FAILURES = 20

    def __init__(self, store: Store, *, enabled: bool, throttle: LoginThrottle | None = None) -> None:
        self.store = store
        self.enabled = enabled
        self.throttle = throttle or LoginThrottle()  # per account, in check()
        self.address_throttle = LoginThrottle(free_failures=self.ADDRESS_FREE_FAILURES)  # in the HTTP guard
        # Sign-ins the HTTP guard has just verified, for Gradio's own check of the same request a moment
        # later: one scrypt run per sign-in, not two. Keyed by an HMAC under a per-process key, so the
        # memo holds nothing a stolen memory dump could test passwords against faster than the stored hash.
        self._memo_key = secrets.token_bytes(32)
        self._verified: dict[bytes, float] = {}
        self._verified_lock = threading.Lock()

    #: how long a verified sign-in waits for Gradio's check of the same request
    VERIFIED_FOR_S = 10.0

    def check(self, username: str, password: str) -> bool:
        """Gradio's login check. The HTTP guard has already made the same attempt (and said why it failed); its
        success is used up here instead of a second scrypt run, while the account is still enabled with the
        same password hash."""
        account = self._account(username)
        stored, active = account
        if active and stored is not None:
            with self._verified_lock:
                at = self._verified.pop(self._memo(username, password, stored), None)
            if at is not None and time.monotonic() - at < self.VERIFIED_FOR_S:
                return True
        return self._attempt(username, password, remember=False, account=account) is None

    def _account(self, username: str) -> tuple[str | None, bool]:
        """The password hash of the account ``username`` signs in as, and whether it is enabled (an enabled
        account wins over a disabled one of the same name); (None, False) when there is none."""
        with self.store.read() as s:
            u = signs_in_as(s, username, active=True) or signs_in_as(s, username, active=False)
            return (u.password_hash, u.active) if u is not None else (None, False)

    def _memo(self, username: str, password: str, stored: str) -> bytes:
        text = f"{username.strip().lower()}\0{password}\0{stored}".encode("utf-8", "surrogatepass")
        return hmac.digest(self._memo_key, text, "sha256")

    def _remember_verified(self, username: str, password: str, stored: str) -> None:
        now = time.monotonic()
        with self._verified_lock:
            for memo, at in list(self._verified.items()):
                if now - at >= self.VERIFIED_FOR_S:
                    del self._verified[memo]
            self._verified[self._memo(username, password, stored)] = now

    def attempt(self, username: str, password: str) -> LoginRefusal | None:
        """One sign-in attempt (the HTTP guard's): None when it succeeds, else why not. A locked-out account is
        refused before any scrypt run; every other refusal costs one, so timing does not tell a disabled account
        from a wrong name. A success is remembered for Gradio's :meth:`check` of the same request."""
        return self._attempt(username, password, remember=True)

    def _attempt(self, username: str, password: str, *, remember: bool,
                 account: tuple[str | None, bool] | None = None) -> LoginRefusal | None:
        """Sign in with ``account`` (:meth:`_account`'s answer, read here when the caller has not)."""
        key = username.strip().lower()
        wait = self.throttle.retry_after(key)
        if wait > 0:
            log.warning("login refused for %r: too many failed attempts (back-off)", username)
            return LoginRefusal(429, lockout_message(wait), wait)
        stored, active = account if account is not None else self._account(username)
        outcome = self._verify(password, stored, active)
        if outcome is True:
            self.throttle.succeeded(key)
            if remember and stored is not None:
                self._remember_verified(username, password, stored)
            return None
        self.throttle.failed(key)
        if outcome == DISABLED:
            # Said only to someone who knows the password: anyone else learns nothing about the account.
            return LoginRefusal(403, "This account is disabled: ask an admin to enable it")
        return LoginRefusal(400, "Incorrect credentials.")

    @staticmethod
    def _verify(password: str, stored: str | None, active: bool) -> bool | str:
        """True for an enabled account's password, :data:`DISABLED` for a disabled account's, else False."""
        if stored is None or stored == NO_PASSWORD:
            # Spend the same time as a real check, so timing does not reveal which names exist.
            hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=b"\0" * 16, n=_N, r=_R, p=_P, dklen=32)
            return False
        if not verify_password(password, stored):
            return False
        return True if active else DISABLED

    def lookup(self, username: str | None) -> CurrentUser:
        name = username if self.enabled else LOCAL_USER
        if not name:
            raise AuthError("not logged in")
        # Every event of every tab looks its user up: a read session, so it never queues behind a writer.
        with self.store.read() as s:
            u = signs_in_as(s, name, active=True)
            if u is not None:
                return CurrentUser(u.id, u.username, u.role)
            known = signs_in_as(s, name, active=False) is not None
        if not self.enabled and not known:
            # Created at its first use, not with the services: the command line (batch, judge) builds them too,
            # and must not add a passwordless admin to a team's store.
            return upsert_user(self.store, LOCAL_USER, None, "admin")
        # Said to a page whose account an admin disabled (or removed) while it was open.
        raise AuthError(f"unknown or disabled user {name!r}: nothing was saved; ask an admin to enable the account")

    def from_request(self, request: object) -> CurrentUser:
        """The server-side identity of a Gradio request (``gr.Request``)."""
        return self.lookup(getattr(request, "username", None))


def parse_credentials(values: list[str], source: str) -> list[tuple[str, str]]:
    """``user:password`` pairs; anything else is a :class:`ConfigError` (never silently dropped)."""
    out = []
    for v in values:
        name, sep, password = v.partition(":")
        if not sep or not name.strip() or not password:
            raise ConfigError(f"{source}: expected USER:PASSWORD, got {name.strip() or v!r}"
                              f"{'' if sep else ' (no colon)'}")
        out.append((name.strip(), password))
    return out


def users_from_env() -> list[tuple[str, str]]:
    """``WORKBENCH_AUTH=user:pass,user2:pass2`` for quick setups (admins)."""
    raw = os.environ.get("WORKBENCH_AUTH", "")
    return parse_credentials([x for x in raw.split(",") if x.strip()], "WORKBENCH_AUTH")
