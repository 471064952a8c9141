"""How long someone must wait before the next login (or reset) attempt: the pure rule.

Plain data in and out (no Flask, no database), tested directly; the failures are
counted in the database by ``hub.security.service`` so that every web worker
sees the same numbers.

The rule: within a policy's window, the first ``free`` failures cost nothing.
Each failure after those makes the next attempt wait, counted from the latest
failure: 1 s after the first one over, then 2 s, 4 s, ... doubling up to the
cap (15 minutes). Every key (the typed email, the client's address) has its own
count and policy; the longest wait of all keys wins.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta


class AttemptKind(enum.StrEnum):
    """What was tried: a password (login), or a password-reset mail (reset)."""

    LOGIN = "login"
    RESET = "reset"


@dataclass(frozen=True)
class Policy:
    free: int  # failures within the window that cost no wait
    base: timedelta  # the wait after the first failure over ``free``
    cap: timedelta  # the wait never grows beyond this
    window: timedelta  # failures older than this no longer count


@dataclass(frozen=True)
class Count:
    """The failures of one key within its policy's window."""

    policy: Policy
    failures: int
    latest: datetime | None


# One address may stand for a whole office behind NAT (a hub's guest network),
# so its limit is higher and its window shorter than a single account's; it
# still stops one address from trying a few passwords on many accounts.
LOGIN_EMAIL = Policy(
    free=5, base=timedelta(seconds=1), cap=timedelta(minutes=15), window=timedelta(hours=24)
)
LOGIN_ADDRESS = Policy(
    free=30, base=timedelta(seconds=1), cap=timedelta(minutes=15), window=timedelta(hours=1)
)
# Every reset request counts (it sends a mail if the address is known): a few
# are normal, a stream of them is mail bombing.
RESET_EMAIL = Policy(
    free=3, base=timedelta(minutes=1), cap=timedelta(minutes=15), window=timedelta(hours=24)
)
RESET_ADDRESS = Policy(
    free=10, base=timedelta(seconds=1), cap=timedelta(minutes=15), window=timedelta(hours=1)
)

POLICIES: dict[AttemptKind, tuple[Policy, Policy]] = {
    # (per email, per client address)
    AttemptKind.LOGIN: (LOGIN_EMAIL, LOGIN_ADDRESS),
    AttemptKind.RESET: (RESET_EMAIL, RESET_ADDRESS),
}

# Rows older than this are of no use to any policy and are deleted.
LONGEST_WINDOW = max(p.window for pair in POLICIES.values() for p in pair)


def backoff(failures: int, policy: Policy) -> timedelta:
    """The wait that ``failures`` failures (within the window) impose after the latest."""
    over = failures - policy.free
    if over <= 0:
        return timedelta(0)
    # 2**over grows fast; stop doubling once the cap is reached (and avoid huge ints).
    ratio = policy.cap / policy.base
    if over - 1 >= math.log2(ratio):
        return policy.cap
    return min(policy.cap, policy.base * 2 ** (over - 1))


def remaining_wait(count: Count, now: datetime) -> timedelta:
    """How much longer this key must wait before its next attempt (zero: go ahead)."""
    if count.latest is None:
        return timedelta(0)
    wait = backoff(count.failures, count.policy) - (now - count.latest)
    return max(wait, timedelta(0))


def longest_wait(counts: Iterable[Count], now: datetime) -> timedelta:
    """The wait for an attempt that touches all these keys: the longest one wins."""
    return max((remaining_wait(c, now) for c in counts), default=timedelta(0))


def retry_after_seconds(wait: timedelta) -> int:
    """Whole seconds for the Retry-After header, rounded up so the client is not early."""
    return math.ceil(wait.total_seconds())
