"""Rate limits kept in the database, so every worker and every app instance shares one allowance.

A limit is "at most ``limit`` hits per ``window_seconds`` for one key of one bucket" (a sliding
window): the public referral form counts POSTs per client address; sign-in counts failures per
username and per client address. Rows are ``(bucket, SHA-256 of bucket and key, time)``:

* **Personal data.** Keys (addresses, usernames) are stored only as a SHA-256 of the bucket and the
  key. A bare hash of an IPv4 address can be reversed by trying all 2^32 of them, so callers that
  can should pass a keyed digest (the web app passes an HMAC under its secret key), and rows live
  no longer than one window (see pruning).
* **Bounded growth.** Every write deletes its bucket's rows older than the window, so the table
  holds about one window's worth of counted hits. A bucket must always be used with one window.
* **Time** is the engine's clock (``rt.now()``), so tests and scenarios move it like everything else.
* **Concurrency.** :func:`hit` counts and inserts under a lock on the key: on PostgreSQL a
  transaction-scoped advisory lock on the key's hash (held until commit; a new statement snapshot
  after taking it sees the previous holder's row); on SQLite every write transaction begins
  ``IMMEDIATE`` (engine/db.py), which serialises writers. So two requests at once cannot both slip
  under the limit: at most ``limit`` hits are counted per key in any window, on both databases.
  :func:`blocked` followed later by :func:`record` (sign-in: check, verify the password, then count
  the failure) is two transactions: attempts already in flight when the limit is reached still
  finish, so the number of failures that get to try a password is at most ``limit`` plus the
  attempts on that key running at the same moment (bounded by the server's workers).
  Pruning takes a second, try-only advisory lock per bucket on PostgreSQL, so two transactions never
  delete the same old rows in different orders (no deadlocks) and none waits to prune.
"""
from __future__ import annotations

import datetime as dt
import hashlib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .errors import ConfigurationError
from .models import RateLimitHit
from .runtime import Runtime

MAX_BUCKET = 40
# Advisory lock "classes" (the first int of pg_advisory_xact_lock(int, int)), so these locks never
# meet another use of advisory locks in the same database.
_KEY_LOCKS = 0x52_4C_4B_00  # "RLK"
_PRUNE_LOCKS = 0x52_4C_50_00  # "RLP"


def key_hash(bucket: str, key: str) -> str:
    """The stored form of ``key``: SHA-256 of the bucket and the key (never the key itself)."""
    return hashlib.sha256(f"{bucket}\0{key}".encode("utf-8", "surrogatepass")).hexdigest()


def _lock_id(text: str) -> int:
    """A signed 32-bit number from ``text`` (an advisory lock's second int; collisions only serialise)."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big", signed=True)


def _check(bucket: str, limit: int | None, window_seconds: float) -> None:
    if not bucket or len(bucket) > MAX_BUCKET:
        raise ConfigurationError(f"a rate-limit bucket needs 1 to {MAX_BUCKET} characters, not {bucket!r}")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 1):
        raise ConfigurationError(f"a rate limit must be a whole number of at least 1, not {limit!r}")
    if not isinstance(window_seconds, (int, float)) or isinstance(window_seconds, bool) or window_seconds <= 0:
        raise ConfigurationError(f"a rate-limit window must be a positive number of seconds, not {window_seconds!r}")


def _since(rt: Runtime, window_seconds: float) -> tuple[dt.datetime, dt.datetime]:
    now = rt.now()
    return now, now - dt.timedelta(seconds=window_seconds)


def _count(session: Session, bucket: str, hashed: str, since: dt.datetime) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(RateLimitHit).where(
        RateLimitHit.bucket == bucket, RateLimitHit.key_hash == hashed, RateLimitHit.at > since)) or 0


def _prune(rt: Runtime, session: Session, bucket: str, since: dt.datetime) -> None:
    if rt.db.is_postgres and not session.scalar(
            sa.select(sa.func.pg_try_advisory_xact_lock(_PRUNE_LOCKS, _lock_id(bucket)))):
        return  # another transaction is pruning this bucket right now
    session.execute(sa.delete(RateLimitHit).where(RateLimitHit.bucket == bucket, RateLimitHit.at <= since))


def _write(rt: Runtime, bucket: str, key: str, limit: int | None, window_seconds: float) -> bool:
    hashed = key_hash(bucket, key)
    now, since = _since(rt, window_seconds)
    with rt.db.transaction() as session:
        if rt.db.is_postgres:
            session.execute(sa.select(sa.func.pg_advisory_xact_lock(_KEY_LOCKS, _lock_id(hashed))))
        _prune(rt, session, bucket, since)
        if limit is not None and _count(session, bucket, hashed, since) >= limit:
            return False
        session.add(RateLimitHit(bucket=bucket, key_hash=hashed, at=now))
        return True


def hit(rt: Runtime, bucket: str, key: str, limit: int, window_seconds: float) -> bool:
    """Count a hit for ``key`` if it has had fewer than ``limit`` in the last ``window_seconds``.

    Returns True when the hit is allowed (and counted), False when the key is over its limit (not
    counted, so a refused client is let in again once its oldest counted hit is a window old).

    Raises:
        ConfigurationError: a bucket, limit or window that makes no sense.
    """
    _check(bucket, limit, window_seconds)
    return _write(rt, bucket, key, limit, window_seconds)


def record(rt: Runtime, bucket: str, key: str, window_seconds: float) -> None:
    """Count a hit for ``key`` whatever its count (sign-in counts its failures with this).

    Raises:
        ConfigurationError: a bucket or window that makes no sense.
    """
    _check(bucket, None, window_seconds)
    _write(rt, bucket, key, None, window_seconds)


def blocked(rt: Runtime, bucket: str, key: str, limit: int, window_seconds: float) -> bool:
    """Whether ``key`` has had ``limit`` or more hits in the last ``window_seconds`` (counts nothing).

    Raises:
        ConfigurationError: a bucket, limit or window that makes no sense.
    """
    _check(bucket, limit, window_seconds)
    _, since = _since(rt, window_seconds)
    with rt.db.reading() as session:
        return _count(session, bucket, key_hash(bucket, key), since) >= limit
