"""The logger of code every function shares (the resolver factory, idempotency, the route
groups): the invoking function's own root logger.

A powertools child logger (``Logger(child=True)``) is bound, when its module is imported, to
the service named in ``POWERTOOLS_SERVICE_NAME`` at that moment. In Lambda each function is
a process of its own, so that is the function's service. Where several functions share one
process (the local stack, the tests), shared modules are imported once, by the first
function, and every other function's lines from them came out under the first one's
service name and request id. ``lambda_entry`` sets the function's logger here for the
time of each invocation, in a context variable, so a line from shared code carries the
service, function name and request id of the invocation it belongs to, whatever thread
runs it.
"""
from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any, Iterator

_current: ContextVar[Any] = ContextVar("butler_invocation_logger", default=None)


class InvocationLogger:
    """Stands for the logger of the invocation running in this context (``logging_as``),
    or, outside any invocation, a powertools child logger."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_current.get() or _outside(), name)


@lru_cache(maxsize=1)
def _outside() -> Any:
    from aws_lambda_powertools import Logger

    return Logger(child=True)


@contextmanager
def logging_as(root_logger: Any) -> Iterator[None]:
    token = _current.set(root_logger)
    try:
        yield
    finally:
        _current.reset(token)


logger = InvocationLogger()
