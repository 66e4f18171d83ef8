"""The parser pool's time limit is on the reading itself, not on when the pool looks at its workers."""
from __future__ import annotations

import time

from folkhalsa import isolation
from folkhalsa.isolation import WorkerPool


def test_a_reading_over_the_limit_is_a_timeout_even_when_its_reply_was_already_waiting(monkeypatch):
    """On a busy machine the pool may look late (it was starting another worker): the reply of a
    reading that overran is then already in the pipe. It is still a timeout, as the rule says."""
    real_wait = isolation.wait

    def late_wait(conns, timeout=None):
        time.sleep(0.6)            # the pool looks only after the reading has ended and replied
        return real_wait(conns, timeout)

    monkeypatch.setattr(isolation, "wait", late_wait)
    with WorkerPool(workers=1, memory_limit=0, time_limit=0.2, preload=[]) as pool:
        overran = pool.run(time.sleep, 0.4)
        within = pool.run(time.sleep, 0.0)
    assert not overran.ok and overran.reason == "timeout", overran
    assert within.ok, within
