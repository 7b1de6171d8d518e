"""Throttle key guessing: a client whose keys failed too often in the last minute gets 429 for a while.

Failed authentication (no key, an unknown or revoked key) is counted per client address in a moving
window of one minute (the ``limits`` library, in this process's memory). Over the limit, every
request of that client is answered 429 with ``Retry-After`` before its key is looked at, so a
guess cannot tell a right key from a wrong one. Requests with a valid key are never counted and pay
one dictionary look-up. With ``koppelaar serve --workers N`` each process counts its own clients.
"""

from __future__ import annotations

import math
import time

from fastapi import Request
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.http.problems import ApiProblem

_NAMESPACE = "failed-authentication"


class AuthThrottle:
    """At most ``per_minute`` failed authentications per client address in any minute."""

    def __init__(self, per_minute: int) -> None:
        self.item = RateLimitItemPerMinute(per_minute)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    @staticmethod
    def client(request: Request) -> str:
        return request.client.host if request.client is not None else "unknown"

    def check(self, request: Request) -> None:
        """Raise 429 with ``Retry-After`` when the client's failures fill the window."""
        client = self.client(request)
        if self.limiter.test(self.item, _NAMESPACE, client):
            return
        reset = self.limiter.get_window_stats(self.item, _NAMESPACE, client).reset_time
        retry = max(1, math.ceil(reset - time.time()))
        raise ApiProblem(
            429,
            f"too many failed attempts to authenticate from your address; try again in {retry} s",
            headers={"Retry-After": str(retry)},
        )

    def failed(self, request: Request) -> None:
        self.limiter.hit(self.item, _NAMESPACE, self.client(request))


def throttle_of(request: Request) -> AuthThrottle:
    throttle: AuthThrottle = request.app.state.auth_throttle
    return throttle


__all__ = ["AuthThrottle", "throttle_of"]
