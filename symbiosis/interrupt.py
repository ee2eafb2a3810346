"""Stop when asked: SIGINT (Ctrl-C) and SIGTERM (what batch schedulers send) for a run.

:func:`handle_signals` installs one handler for both signals for the duration of a run (the
outermost of nested uses installs it, restores the previous handlers on exit and forgets the
request). The handler records the first signal (:class:`StopRequest`: its name, the wall-clock
time, and the run's stage then, set by :func:`set_stage`), and then:

* in ordinary code it raises :class:`Interrupted` (a ``KeyboardInterrupt``) at once: the
  pure-Python phases (reading, the network, building the model, compiling it) stop within a
  bytecode or a numpy call;
* inside :func:`deferred` it only records the request. Code that holds a solution it must not
  lose (results, the run folder being written) or that waits on HiGHS runs deferred, and
  polls :func:`requested` where it can stop: a HiGHS run is cancelled (or its process killed)
  and hands back its incumbent. :func:`interruptible` re-opens a deferred region for work that
  may be abandoned (shadow prices, diagnosis): the caller catches :class:`Interrupted`.

Signals are handled only in the main thread (Python delivers them there); elsewhere, e.g. in
a dask worker's thread, :func:`handle_signals` changes nothing and :func:`requested` stays
None.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from symbiosis.i18n import _

#: the signals handled, both the same way
SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass(frozen=True)
class StopRequest:
    """A stop asked for by a signal.

    Attributes
    ----------
    signal : str
        ``"SIGINT"`` or ``"SIGTERM"``.
    at : datetime
        Wall-clock time of the signal (UTC, timezone-aware).
    clock : float
        ``time.perf_counter()`` at the signal, to measure how long the stop took.
    stage : str or None
        The run's stage when it arrived (``"solve"``, ``"build model"`` ...), as named by
        :func:`set_stage`, if known.
    """

    signal: str
    at: datetime
    clock: float
    stage: str | None = None

    def describe(self) -> str:
        """The request in words, for messages and the exception's text.

        Returns
        -------
        str
            E.g. ``"SIGINT at 14:03:07 during warm start"``: the signal, the time of day in
            local time (seconds), and the stage when one is known; in the current language
            (the signal's and the stage's names as they are).
        """
        local = self.at.astimezone().strftime("%H:%M:%S")
        text = _("{signal} at {time}").format(signal=self.signal, time=local)
        if self.stage:
            text += _(" during {stage}").format(stage=self.stage)
        return text

    def as_dict(self) -> dict[str, Any]:
        """What summary.json and manifest.json record of the request.

        Returns
        -------
        dict
            ``signal`` (``"SIGINT"``/``"SIGTERM"``), ``at`` (ISO 8601 in UTC, to the
            second) and ``stage`` (str or None).
        """
        return {
            "signal": self.signal,
            "at": self.at.isoformat(timespec="seconds"),
            "stage": self.stage,
        }


class Interrupted(KeyboardInterrupt):
    """Raised where a run stops on SIGINT or SIGTERM (a ``KeyboardInterrupt``, so code that
    does not know this module stops as on Ctrl-C).

    Parameters
    ----------
    request : StopRequest or None
        Which signal and when (kept in the attribute ``request``; its
        :meth:`StopRequest.describe` is the exception's message); None gives the message
        ``interrupted``.
    """

    def __init__(self, request: StopRequest | None = None):
        super().__init__(request.describe() if request else "interrupted")
        self.request = request


class _State:
    def __init__(self) -> None:
        self.depth = 0
        self.defer = 0
        self.request: StopRequest | None = None
        self.stage: str | None = None
        self.previous: dict[int, Any] = {}


_state = _State()


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state.request is None:
        _state.request = StopRequest(
            signal.Signals(signum).name, datetime.now(UTC), time.perf_counter(), _state.stage
        )
    if _state.defer == 0:
        raise Interrupted(_state.request)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextmanager
def handle_signals() -> Iterator[None]:
    """Handle SIGINT and SIGTERM as a stop request for the duration of the block.

    Nested uses share the outermost one's handler and request. Outside the main thread this
    does nothing.

    Yields
    ------
    None
        The block runs with the handler installed: a signal raises :class:`Interrupted`
        (or, inside :func:`deferred`, is only recorded). On leaving the outermost block the
        previous handlers are restored and the request and stage forgotten.
    """
    if not _main_thread():
        yield
        return
    outermost = _state.depth == 0
    if outermost:
        _state.request, _state.stage, _state.defer = None, None, 0
        _state.previous = {int(s): signal.signal(s, _handler) for s in SIGNALS}
    _state.depth += 1
    try:
        yield
    finally:
        _state.depth -= 1
        if outermost:
            for signum, previous in _state.previous.items():
                signal.signal(signum, previous)
            _state.previous = {}
            _state.request, _state.stage, _state.defer = None, None, 0


def active() -> bool:
    """Whether signals are handled here as stop requests.

    Returns
    -------
    bool
        True inside :func:`handle_signals` in the main thread, else False.
    """
    return _state.depth > 0 and _main_thread()


def requested() -> StopRequest | None:
    """The stop asked for in this :func:`handle_signals` block, for code that polls.

    Returns
    -------
    StopRequest or None
        The first signal's request; None when none arrived, outside :func:`handle_signals`,
        or outside the main thread.
    """
    return _state.request if _main_thread() else None


def check() -> None:
    """Raise :class:`Interrupted` if a stop was asked for (even inside :func:`deferred`).

    Raises
    ------
    Interrupted
        When :func:`requested` holds a request.
    """
    request = requested()
    if request is not None:
        raise Interrupted(request)


def set_stage(name: str) -> None:
    """Name the stage now running (it goes into the stop request), and raise
    :class:`Interrupted` if a stop was asked for and signals are not deferred.

    Outside the main thread this does nothing.

    Parameters
    ----------
    name : str
        The stage, as messages name it (``"build model"``, ``"solve"``, ``"warm start"``).

    Raises
    ------
    Interrupted
        When a stop was already asked for and no :func:`deferred` block is open.
    """
    if not _main_thread():
        return
    _state.stage = name
    if _state.defer == 0:
        check()


def stage() -> str | None:
    """The stage named last by :func:`set_stage`.

    Returns
    -------
    str or None
        The stage's name; None before any in this :func:`handle_signals` block.
    """
    return _state.stage


@contextmanager
def deferred() -> Iterator[None]:
    """Within the block a signal only records the stop request (no exception): for work
    that must finish (writing a run folder) or that polls :func:`requested` itself.

    Blocks nest; outside the main thread this does nothing.

    Yields
    ------
    None
        The block runs with signals deferred; on leaving it they raise again (a request
        recorded meanwhile is raised at the next :func:`check` or :func:`set_stage`).
    """
    if not _main_thread():
        yield
        return
    _state.defer += 1
    try:
        yield
    finally:
        _state.defer -= 1


@contextmanager
def interruptible() -> Iterator[None]:
    """Within a :func:`deferred` block, a region that a signal interrupts at once, for work
    that may be abandoned (shadow prices, diagnosis); the caller catches
    :class:`Interrupted`. Outside the main thread this does nothing.

    Yields
    ------
    None
        The block runs with signals not deferred; on leaving it the enclosing deferral is
        restored.

    Raises
    ------
    Interrupted
        On entry if a stop was already asked for, or when a signal arrives in the block.
    """
    if not _main_thread():
        yield
        return
    saved = _state.defer
    _state.defer = 0
    try:
        check()
        yield
    finally:
        _state.defer = saved


__all__ = [
    "SIGNALS",
    "Interrupted",
    "StopRequest",
    "active",
    "check",
    "deferred",
    "handle_signals",
    "interruptible",
    "requested",
    "set_stage",
    "stage",
]
