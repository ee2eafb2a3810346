"""A run's progress as server-sent events (``GET /api/runs/{id}/events``,
``text/event-stream``).

The stream looks at the job table every :data:`EVENT_SECONDS` and sends the job (the JSON of
``GET /api/runs/{id}``) each time its status, stage, gap, incumbent or bound has changed:
first the job as it is, then each change, as unnamed events (a browser's
``EventSource.onmessage``), each with an ``id`` counting from 1. When the job has ended
(``done``, ``failed``, ``cancelled``) a last event named ``end`` carries it again and the
stream closes: a browser should then close its EventSource (else it reconnects, and gets the
ended job and ``end`` once more). A comment line keeps a quiet stream open through proxies
every :data:`KEEPALIVE_SECONDS`. Polling ``GET /api/runs/{id}`` gives the same values. A job
that started and ended between two looks (a small case on a busy machine) is still shown
running once, with its final figures, before it is shown ended: no status is skipped.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from symbiosis.web.jobs import FINISHED, JobStore

#: seconds between two looks at the job table
EVENT_SECONDS = 0.5
#: seconds of silence after which a comment keeps the stream open
KEEPALIVE_SECONDS = 15.0
#: what a change is made of
WATCHED = ("status", "stage", "gap", "incumbent", "bound")


def event(data: dict[str, Any], number: int, name: str | None = None) -> str:
    """One server-sent event.

    Parameters
    ----------
    data : dict
        Its data (sent as one line of JSON).
    number : int
        Its ``id``.
    name : str or None
        Its ``event`` name (None: an unnamed event, ``message`` for the browser).

    Returns
    -------
    str
        The event's lines and the blank line that ends it.
    """
    head = f"event: {name}\n" if name else ""
    return f"{head}id: {number}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


async def job_events(
    store: JobStore, job_id: str, disconnected: Callable[[], Awaitable[bool]]
) -> AsyncIterator[str]:
    """The events of one job until it ends or the client goes.

    Parameters
    ----------
    store : JobStore
        The job table (read in a thread: the event loop never waits on the database).
    job_id : str
        The job (it exists).
    disconnected : callable
        Awaited before each look: True when the client has gone.

    Yields
    ------
    str
        Server-sent events (:func:`event`) and keep-alive comments.
    """
    yield f"retry: {int(EVENT_SECONDS * 4000)}\n\n"
    last: tuple[Any, ...] | None = None
    number = 0
    quiet_since = time.monotonic()
    while not await disconnected():
        job = await asyncio.to_thread(store.get, job_id)
        if job is None:  # removed meanwhile
            return
        shown = job.as_dict()
        key = tuple(shown[k] for k in WATCHED)
        if (
            last is not None
            and last[0] == "queued"
            and shown["started"]
            and shown["status"] != "running"
        ):
            # it started and ended between two looks: say that it ran, as it did
            ran = {**shown, "status": "running", "finished": None}
            number += 1
            yield event(ran, number)
        if key != last:
            last, number, quiet_since = key, number + 1, time.monotonic()
            yield event(shown, number)
        if job.status in FINISHED:
            yield event(shown, number + 1, "end")
            return
        if time.monotonic() - quiet_since >= KEEPALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield ": keep-alive\n\n"
        await asyncio.sleep(EVENT_SECONDS)


__all__ = ["EVENT_SECONDS", "KEEPALIVE_SECONDS", "WATCHED", "event", "job_events"]
