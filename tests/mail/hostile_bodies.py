"""Hostile HTML bodies for the stall tests and `bench/stall_bench.py`: about 1.2 MB each, nearly
all of it inline CSS (every cell and span carries a long `style` attribute, and a large
`<style>` block leads), which is the slow path of sanitising (tinycss2 parses each one)."""

from __future__ import annotations

TARGET_CHARS = 1_200_000


def hostile_body(seed: int, target_chars: int = TARGET_CHARS) -> str:
    """One body; `seed` varies the CSS so no two bodies share a cache entry or a string."""
    decls = ";".join(
        f"margin-left:{i + seed}px;color:#{(i * 37 + seed) % 4096:03x};font-family:f{i},serif"
        for i in range(8)
    )
    cell = f'<td style="{decls}"><span style="{decls}">{seed}</span></td>'
    row = "<tr>" + cell * 10 + "</tr>"
    sheet = "".join(f".c{seed}-{i} td{{{decls}}}" for i in range(300))
    head = f"<style>{sheet}</style><table>"
    rows = max(1, (target_chars - len(head)) // len(row))
    return head + row * rows + "</table>"
