"""mastery.pending on a real Redis: a learner's answers while a recompute waits join it, none is lost.

The unit tests run it on the local-memory cache; production runs it on Redis with MULTI
transactions, where web nodes and workers race for real. Here many threads answer while
another takes, and every concept answered is taken exactly once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.test import override_settings

from mastery import pending


@pytest.fixture
def redis_cache(redis_url: str) -> Iterator[None]:
    caches = {"default": {"BACKEND": "config.cache.RedisCache", "LOCATION": redis_url}}
    with override_settings(CACHES=caches):
        assert pending._redis() is not None
        yield
        cache.clear()


def test_one_task_per_learner_until_it_takes_the_concepts(redis_cache: None) -> None:
    assert pending.add(7, [3, 1]) is True
    assert pending.add(7, [2]) is False
    assert pending.add(8, [9]) is True  # another learner queues their own
    assert pending.take(7) == {1, 2, 3}
    assert pending.take(7) == set()
    assert pending.add(7, [4]) is True
    pending.put_back(7, [5])
    assert pending.take(7) == {4, 5}
    assert pending.take(8) == {9}


def test_a_task_that_could_not_be_sent_is_queued_again_by_the_next_answer(redis_cache: None) -> None:
    assert pending.add(7, [1]) is True
    pending.unqueue(7)
    assert pending.add(7, [2]) is True
    assert pending.take(7) == {1, 2}


def test_racing_answers_and_takes_lose_nothing(redis_cache: None) -> None:
    answered = 8 * 200
    taken: list[set[int]] = []
    queued: list[int] = []
    done = threading.Event()

    def answers(first: int) -> None:
        for pk in range(first, answered, 8):
            if pending.add(1, [pk]):
                queued.append(pk)

    def worker() -> None:
        while not done.is_set():
            taken.append(pending.take(1))
        taken.append(pending.take(1))

    threads = [threading.Thread(target=answers, args=(n,)) for n in range(8)]
    taker = threading.Thread(target=worker)
    taker.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    taker.join()

    every = [pk for batch in taken for pk in batch]
    assert sorted(every) == list(range(answered))  # each concept taken exactly once
    # Fewer tasks than answers, and never more than the takes that emptied a waiting set.
    assert 1 <= len(queued) <= len(taken)


def test_writes_with_their_own_timeouts_go_in_one_round_trip(redis_cache: None) -> None:
    """config.cache.set_each: a stamp with no expiry and a reveal kept for a day, one pipeline."""
    from config.cache import set_each

    client = cache._cache.get_client(write=True)
    sent: list[int] = []
    execute = client.pipeline(transaction=False).__class__.execute

    def counted(pipe: object, *args: object, **kwargs: object) -> object:
        sent.append(len(pipe.command_stack))
        return execute(pipe, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(client.pipeline(transaction=False).__class__, "execute", counted)
        set_each(cache, {"kept-for-ever": ({"a": 1}, None), "kept-a-while": ("token", 300)})
    assert sent == [2]
    assert cache.get("kept-for-ever") == {"a": 1} and cache.get("kept-a-while") == "token"
    raw = client.ttl
    assert raw(cache.make_and_validate_key("kept-for-ever")) == -1  # no expiry
    assert 0 < raw(cache.make_and_validate_key("kept-a-while")) <= 300
