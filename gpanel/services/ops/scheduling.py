"""Where services meet the scheduler that runs in this process, typed.

`JobTriggers` is built empty with the `AppContext`. The scheduler of this process (the embedded
one, or the task queue's deferring side in a web process) registers its trigger, and the
embedded one its disconnect listener, when it starts and takes them back when it stops. A web
handler (the Pub/Sub push endpoint, the switches on the settings page) asks it to run a job now
through `job_state.trigger`; disconnecting a mailbox tells every listener so no run keeps
working on it.

`RunObserver` is told about every job run (`jobs.runner`): tests record run intervals with it
across worker processes, and it is the seam for run metrics. It is given to `open_context`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

JobTrigger = Callable[[str, int], Awaitable[None]]
DisconnectListener = Callable[[int], Awaitable[None]]


class RunObserver(Protocol):
    def started(self, job: str, mailbox_id: int) -> None: ...

    def finished(self, job: str, mailbox_id: int, ok: bool) -> None: ...


class JobTriggers:
    """The running scheduler's trigger (at most one) and the disconnect listeners."""

    def __init__(self) -> None:
        self._trigger: JobTrigger | None = None
        self._listeners: list[DisconnectListener] = []

    @property
    def trigger(self) -> JobTrigger | None:
        return self._trigger

    @property
    def disconnect_listeners(self) -> tuple[DisconnectListener, ...]:
        return tuple(self._listeners)

    def register(
        self, trigger: JobTrigger, on_disconnect: DisconnectListener | None = None
    ) -> None:
        self._trigger = trigger
        if on_disconnect is not None:
            self._listeners.append(on_disconnect)

    def unregister(
        self, trigger: JobTrigger, on_disconnect: DisconnectListener | None = None
    ) -> None:
        """Take back what `register` gave; a trigger registered since by another stays."""
        if self._trigger == trigger:
            self._trigger = None
        if on_disconnect is not None and on_disconnect in self._listeners:
            self._listeners.remove(on_disconnect)
