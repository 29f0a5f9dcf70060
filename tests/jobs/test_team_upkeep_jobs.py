"""The team mailboxes' upkeep (job `team_upkeep`) is scheduled by both schedulers: the embedded
scheduler runs it on its first tick and then once a minute, not on every tick (both engines);
procrastinate has it as a periodic task every minute that runs the same registry job."""

from __future__ import annotations

import pytest

from gpanel.jobs import embedded, runner
from gpanel.jobs.embedded import EmbeddedScheduler
from gpanel.jobs.queue import build_app
from gpanel.jobs.registry import GLOBAL_JOB_NAMES, global_job
from gpanel.services.context import AppContext
from tests.jobs.support import ALICE, magnet_world
from tests.support.emulator import RunningEmulator
from tests.support.stack import stack_settings


async def test_embedded_tick_runs_team_upkeep_once_a_minute(
    db_url: str, emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.add_user(ALICE)
    calls: list[str] = []
    real = runner.run_global_job

    async def spy(ctx: AppContext, job: str) -> object:
        calls.append(job)
        return await real(ctx, job)

    monkeypatch.setattr(embedded, "run_global_job", spy)
    async with magnet_world(db_url, emulator.url) as w:
        scheduler = EmbeddedScheduler(w.ctx, tick=3600)
        try:
            await scheduler.tick_once()
            await scheduler.tick_once()
            await scheduler.idle()
        finally:
            await scheduler.stop()
    assert calls.count("send_due") == 2  # every tick
    assert calls.count("team_upkeep") == 1  # the first tick, then once a minute


def test_procrastinate_runs_team_upkeep_every_minute() -> None:
    assert "team_upkeep" in GLOBAL_JOB_NAMES and global_job("team_upkeep") is not None
    settings, _ = stack_settings("postgresql://postgres@127.0.0.1:5432/test", "http://127.0.0.1:1")
    app = build_app(settings).app
    periodic = {p.task.name: p.cron for p in app.periodic_registry.periodic_tasks.values()}
    assert periodic["gpanel.team_upkeep"] == "* * * * *"
