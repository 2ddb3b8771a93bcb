"""Keeping plugin code's prints off the host's standard output.

A plugin module that prints a banner when imported, or a hook that prints, would otherwise
corrupt ``fledge list --json`` (and every other machine-read output). While the host imports
a plugin or a feature's implementation, or calls a plugin's hook, whatever is written to
``sys.stdout`` goes to ``sys.stderr`` instead: still visible to a person, never in the JSON.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

__all__ = ["plugin_output", "wrap_output"]

F = TypeVar("F", bound=Callable[..., Any])


@contextlib.contextmanager
def plugin_output() -> Iterator[None]:
    """Send what is written to ``sys.stdout`` inside the block to ``sys.stderr``."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


def wrap_output(function: F) -> F:
    """``function``, with its standard output sent to standard error (see `plugin_output`)."""
    if getattr(function, "__fledge_output__", False):
        return function

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with contextlib.redirect_stdout(sys.stderr):
            return function(*args, **kwargs)

    # What functools.wraps would copy, for introspection and pluggy's reprs; cheaper.
    wrapper.__name__ = getattr(function, "__name__", wrapper.__name__)
    wrapper.__qualname__ = getattr(function, "__qualname__", wrapper.__qualname__)
    wrapper.__doc__ = function.__doc__
    wrapper.__wrapped__ = function  # type: ignore[attr-defined]
    wrapper.__fledge_output__ = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
