#!/usr/bin/env python3
"""Prints a Markdown table of the fuzz runs recorded in fuzz/logs/*.log (written by run.sh):
executions, speed, coverage (edges and features), corpus size, and crashes."""
import pathlib, re

LOGS = pathlib.Path(__file__).resolve().parent / "logs"
print("| target | seconds | executions | exec/s | coverage (edges) | features | corpus | crashes |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for log in sorted(LOGS.glob("*.log")):
    text = log.read_text(errors="replace")
    done = re.findall(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+ .*?exec/s: (\d+)", text)
    if not done:
        continue  # still running
    runs, cov, ft, corp, speed = done[-1]
    secs = re.search(r"Done \d+ runs in (\d+) second", text)
    crashes = len(re.findall(r"==\d+==\s*ERROR|deadly signal|panicked at", text))
    print(f"| `{log.stem}` | {secs.group(1) if secs else '?'} | {int(runs):,} | {int(speed):,} | {cov} | {ft} | {corp} | {crashes} |")
