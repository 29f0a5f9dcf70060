"""`gpanel demo`: gpanel, the Google emulator and seeded demo data in one process.

Two uvicorn servers share one event loop: the emulator (Gmail API + OAuth, seeded with the
demo mailboxes) on one port and gpanel on another. gpanel talks to the emulator over real HTTP
exactly as it would talk to Google, with settings built by `gpanel.demo.settings` and
validated like production settings (in demo mode). The CRM is seeded from the same cast as
the mailboxes, so every demo thread has a record to appear on; at the first start every rep's
mailbox but one is connected through the emulator's OAuth server so colleagues' shared mail
shows at once, and the one left (`Rep.connected_at_start`) shows the onboarding path.

This module sits above the layered packages: it is the one place that wires the emulator and
the app together.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from sqlalchemy import func, select

from gpanel.app import create_app
from gpanel.crm.categories import org_today
from gpanel.crm.seed import seed_demo_crm
from gpanel.demo.cast import REPS
from gpanel.demo.settings import (
    DEMO_PUSH_SERVICE_ACCOUNT,
    demo_environment,
    demo_push_environment,
)
from gpanel.emulator.app import create_emulator
from gpanel.emulator.config import EmulatorConfig
from gpanel.services.ops.demo_setup import connect_demo_mailboxes
from gpanel.settings import Settings
from gpanel.store.engine import create_engine
from gpanel.store.migrate import upgrade
from gpanel.store.tables import users

log = logging.getLogger("gpanel.demo")


@dataclass(frozen=True)
class DemoPlan:
    host: str
    port: int
    emulator_port: int
    data_dir: Path
    fresh: bool = False
    latency_ms: float = 0.0

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def settings(self) -> Settings:
        env = demo_environment(
            host=self.host,
            port=self.port,
            emulator_port=self.emulator_port,
            data_dir=str(self.data_dir),
        )
        env.update(demo_push_environment(self.base_url))
        return Settings.from_mapping(env)

    @property
    def emulator_config(self) -> EmulatorConfig:
        # Gmail push: users.watch on the demo topic makes the emulator POST a signed Pub/Sub
        # push to /push/gmail after each change, so new mail reaches the bell in well under
        # 2 s instead of waiting for the next poll (docs/BENCHMARKS.md, "MailMagnet").
        return EmulatorConfig(
            base_url=f"http://{self.host}:{self.emulator_port}",
            seed="demo",
            latency_ms=self.latency_ms,
            push_endpoint=f"{self.base_url}/push/gmail",
            push_audience=f"{self.base_url}/push/gmail",
            push_service_account=DEMO_PUSH_SERVICE_ACCOUNT,
        )


def banner(plan: DemoPlan) -> str:
    admin = next(r for r in REPS if r.role == "admin")
    others = ", ".join(r.email for r in REPS if r.role != "admin")
    return (
        f"\n  gpanel demo is running at http://{plan.host}:{plan.port}\n\n"
        f"  Sign in on the emulator's Google page as {admin.email} (admin),\n"
        f"  or as a rep: {others}.\n"
        + "".join(
            f"  {r.name} has not connected Gmail yet: sign in as {r.email} to try it.\n"
            for r in REPS
            if not r.connected_at_start
        )
        + f"  Google emulator: http://{plan.host}:{plan.emulator_port} "
        f"(control API under /_emulator/)\n"
        f"  Data: {plan.data_dir}   Stop with Ctrl+C.\n"
    )


def _remove_database(db: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)


async def prepare(plan: DemoPlan, emulator_url: str) -> None:
    """Migrate, seed the CRM, and connect every rep's mailbox through the emulator."""
    settings = plan.settings
    if plan.fresh:
        await asyncio.to_thread(_remove_database, plan.data_dir / "gpanel.db")
    await asyncio.to_thread(upgrade, settings.resolved_database_url)
    engine = create_engine(settings.resolved_database_url)
    try:
        async with engine.begin() as conn:
            first_start = not (await conn.scalar(select(func.count()).select_from(users)))
            await seed_demo_crm(conn, org_today(settings.org_timezone))
        await connect_demo_mailboxes(engine, settings, emulator_url, first_start=first_start)
    finally:
        await engine.dispose()


async def run(plan: DemoPlan) -> None:
    emulator_url = f"http://{plan.host}:{plan.emulator_port}"
    emulator = uvicorn.Server(
        uvicorn.Config(
            create_emulator(plan.emulator_config),
            host=plan.host,
            port=plan.emulator_port,
            log_level="warning",
            access_log=False,
        )
    )
    emulator_task = asyncio.create_task(emulator.serve())
    while not emulator.started:
        if emulator_task.done():
            await emulator_task  # surfaces "address already in use" and the like
            raise SystemExit(f"The emulator could not start on port {plan.emulator_port}.")
        await asyncio.sleep(0.05)
    try:
        await prepare(plan, emulator_url)
        app = uvicorn.Server(
            uvicorn.Config(
                create_app(plan.settings),
                host=plan.host,
                port=plan.port,
                log_level="info",
                access_log=False,
            )
        )
        print(banner(plan), flush=True)
        await app.serve()
    finally:
        emulator.should_exit = True
        await emulator_task
