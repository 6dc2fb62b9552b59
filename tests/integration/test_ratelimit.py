"""Rate limits kept in the database: shared by engines, sliding windows on the engine clock, hashed keys."""
from __future__ import annotations

import datetime as dt
import hashlib
import threading

import pytest
import sqlalchemy as sa

from engine import ConfigurationError, Engine

pytestmark = pytest.mark.postgres


def _rows(engine) -> list:
    with engine.database.engine.connect() as c:
        return c.execute(sa.text("select bucket, key_hash, at from rate_limit_hits order by id")).all()


def test_a_key_gets_its_limit_then_is_refused_until_the_window_passes(engine, clock):
    assert [engine.rate_limit_hit("b", "k", 3, 60) for _ in range(4)] == [True, True, True, False]
    assert engine.rate_limit_hit("b", "other", 3, 60) and engine.rate_limit_hit("c", "k", 3, 60)
    clock.advance(dt.timedelta(seconds=59))
    assert not engine.rate_limit_hit("b", "k", 3, 60)  # refusals are not counted...
    clock.advance(dt.timedelta(seconds=2))
    assert engine.rate_limit_hit("b", "k", 3, 60)  # ...so the key is back once its hits are a window old


def test_only_a_hash_of_the_key_is_stored_and_old_rows_are_pruned(engine, clock):
    engine.rate_limit_hit("b", "203.0.113.9", 5, 60)
    engine.rate_limit_record("b", "alice", 60)
    rows = _rows(engine)
    assert [r.key_hash for r in rows] == [hashlib.sha256(b"b\x00203.0.113.9").hexdigest(),
                                          hashlib.sha256(b"b\x00alice").hexdigest()]
    clock.advance(dt.timedelta(seconds=61))
    engine.rate_limit_hit("b", "someone else", 5, 60)
    assert len(_rows(engine)) == 1  # the bucket's old rows went with the next write


def test_failures_block_a_key_without_counting_checks(engine, clock):
    for _ in range(4):
        assert not engine.rate_limit_blocked("login", "alice", 5, 900)
        engine.rate_limit_record("login", "alice", 900)
    assert not engine.rate_limit_blocked("login", "alice", 5, 900)
    engine.rate_limit_record("login", "alice", 900)
    assert engine.rate_limit_blocked("login", "alice", 5, 900)
    assert not engine.rate_limit_blocked("login", "bob", 5, 900)
    clock.advance(dt.timedelta(seconds=901))
    assert not engine.rate_limit_blocked("login", "alice", 5, 900)


def test_two_engines_share_one_allowance(engine, database_url, clock):
    second = Engine(database_url, clock=clock)
    try:
        hits = [(engine, second)[n % 2].rate_limit_hit("b", "k", 3, 60) for n in range(4)]
        assert hits == [True, True, True, False]
        second.rate_limit_record("login", "alice", 60)
        assert engine.rate_limit_blocked("login", "alice", 1, 60)
    finally:
        second.dispose()


def test_racing_hits_never_pass_the_limit(engine, database_url, clock):
    workers, limit = 6, 3
    engines = [Engine(database_url, clock=clock) for _ in range(workers)]
    barrier, outcomes = threading.Barrier(workers), []

    def hit(eng):
        barrier.wait()
        outcomes.append(eng.rate_limit_hit("race", "k", limit, 60))

    threads = [threading.Thread(target=hit, args=(e,)) for e in engines]
    [t.start() for t in threads]
    [t.join() for t in threads]
    [e.dispose() for e in engines]
    assert len(outcomes) == workers and outcomes.count(True) == limit
    assert len(_rows(engine)) == limit


@pytest.mark.parametrize("args", [("", "k", 1, 60), ("b" * 41, "k", 1, 60), ("b", "k", 0, 60), ("b", "k", 1, 0),
                                  ("b", "k", 1.5, 60), ("b", "k", True, 60)])
def test_nonsense_limits_are_configuration_errors(engine, args):
    with pytest.raises(ConfigurationError):
        engine.rate_limit_hit(*args)
