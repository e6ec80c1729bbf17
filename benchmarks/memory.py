"""Peak memory of a benchmark's child process, read the way Linux keeps it."""

from __future__ import annotations


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux's VmHWM).

    Not ``ru_maxrss``: Linux carries that over from the parent across fork
    and exec, so a child would report the parent's size.
    """
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024
