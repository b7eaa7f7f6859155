#!/usr/bin/env python3
"""Runs a command and records, from outside, its wall time, CPU time and peak resident memory.

  measure.py --out F.json -- COMMAND [ARGS...]

Writes F.json: {"argv", "returncode", "wall_seconds", "user_seconds", "system_seconds", "peak_rss_mb"}, where
peak_rss_mb is the kernel's ru_maxrss of the child (RUSAGE_CHILDREN: the largest waited-for descendant; the command
is the only one), so it does not depend on what the benchmarked program says about itself. `make bench-speech`
wraps each engine run in it; report.py takes the larger of this and the program's own peak_rss_mb. Exits with the
command's exit code.
"""
import json
import resource
import subprocess
import sys
import time


def main():
    argv = sys.argv[1:]
    if len(argv) < 4 or argv[0] != "--out" or argv[2] != "--":
        sys.exit("usage: measure.py --out F.json -- COMMAND [ARGS...]")
    out, cmd = argv[1], argv[3:]
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, check=False).returncode
    wall = time.perf_counter() - t0
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w", encoding="utf-8") as f:
        json.dump({"argv": cmd, "returncode": rc, "wall_seconds": round(wall, 3), "user_seconds": round(ru.ru_utime, 3),
                   "system_seconds": round(ru.ru_stime, 3), "peak_rss_mb": round(ru.ru_maxrss / 1024.0, 1)}, f,
                  indent=1)
    sys.exit(rc)


if __name__ == "__main__":
    main()
