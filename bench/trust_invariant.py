"""The trust invariant of issue 10, run long: many generated organisations, each checked path by
path (panel rows, thread JSON opened by id from every record, deals naming hidden records
included, notifications) against the independent oracle of `tests/web/trust/org_model.py`. CI
runs 25 derandomized examples on SQLite (`tests/web/trust/test_invariant.py`); this runs as
many as asked, randomized unless a seed is given, on SQLite or PostgreSQL. Prints the examples
run, the checks made and the time.

    .venv/bin/python bench/trust_invariant.py --examples 500 [--seed 7]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, seed, settings

from gpanel.store.migrate import upgrade
from tests.support.db import drop_pg_schema, fresh_pg_schema
from tests.support.stack import run_stack
from tests.web.trust.org_model import GROUP_MAX, OrgSpec, orgs
from tests.web.trust.test_invariant import run_example


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--postgres", default=None, help="run on this PostgreSQL database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        schema = None
        if args.postgres:
            schema, url = fresh_pg_schema(args.postgres)
        else:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'gpanel.db'}"
        upgrade(url)
        totals = {
            "examples": 0,
            "rows": 0,
            "notifications": 0,
            "threads": 0,
            "refused": 0,
            "borrowing": 0,
        }
        started = time.perf_counter()
        try:
            with run_stack(url, group_mail_max_recipients=str(GROUP_MAX)) as stack:

                @settings(
                    max_examples=args.examples,
                    deadline=None,
                    database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
                )
                @given(orgs())
                def check(spec: OrgSpec) -> None:
                    totals["examples"] += 1
                    for name, n in run_example(stack, spec).items():
                        totals[name] += n

                if args.seed is not None:
                    check = seed(args.seed)(check)
                check()
        finally:
            if schema and args.postgres:
                drop_pg_schema(args.postgres, schema)
        took = time.perf_counter() - started
    engine = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"{engine}: {totals['examples']} generated orgs, all consistent with the oracle; "
        f"{totals['rows']} panel rows, {totals['threads']} thread opens, "
        f"{totals['refused']} openings refused (404), "
        f"{totals['notifications']} notification lists checked, "
        f"{totals['borrowing']} (viewer, deal) pairs where a deal would lend hidden mail, "
        f"in {took:.1f} s"
    )


if __name__ == "__main__":
    main()
