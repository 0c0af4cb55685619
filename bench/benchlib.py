# SPDX-License-Identifier: GPL-2.0-or-later
"""What the benchmarks share: paths, CSV output, percentiles, tables,
plots, daemon memory and timing changes to a kernel FIB."""

import csv
import datetime
import os
import re
import statistics
import sys
import time
from collections import namedtuple

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "topo"))

from topolib import VTYSH, run, wait_until  # noqa: E402


def default_csv(name):
    return os.path.join(TOP, "bench", "results", name)


def write_csv(path, header, rows):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


def p99(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def median_p99(values):
    return statistics.median(values), p99(values)


def print_table(header, rows):
    """Columns right-aligned to their widest cell; floats with 2 decimals
    unless the caller formatted them already."""
    cells = [[f"{v:.2f}" if isinstance(v, float) else str(v) for v in row]
             for row in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in cells))
              for i, h in enumerate(header)]
    for row in [list(map(str, header))] + cells:
        print("  ".join(c.rjust(w) for c, w in zip(row, widths)))


def print_markdown_table(header, rows):
    """A table to paste into doc/benchmarks.md; cells as given."""
    print("| " + " | ".join(map(str, header)) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(map(str, row)) + " |")


def rss_kib(router, daemon="bgpd"):
    """Resident memory of one of the router's daemons."""
    pid = router.daemon_pids()[daemon]
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_seconds(router, daemon="bgpd"):
    """CPU time (user + system) one of the router's daemons has used."""
    return process_cpu_seconds(router.daemon_pids()[daemon])


def process_cpu_seconds(pid):
    """CPU time (user + system) a process has used."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime: fields 14 and 15 of proc(5), in clock ticks
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_types(router, daemon="bgpd"):
    """{memory type: (allocations, bytes)} as the daemon accounts them
    ("show memory": name, count, size, total, ...)."""
    types = {}
    for line in router.vtysh(f"show memory {daemon}").splitlines():
        name, _, fields = line.partition(":")
        fields = fields.split()
        if len(fields) >= 3 and fields[0].isdigit() and fields[2].isdigit():
            types[name.strip()] = (int(fields[0]), int(fields[2]))
    return types


def memory_bytes(router, name_prefix, daemon="bgpd"):
    """Bytes the daemon accounts to the memory types whose name starts
    with name_prefix."""
    return sum(size for name, (_, size) in memory_types(router,
                                                        daemon).items()
               if name.startswith(name_prefix))


def plot_path(csv_path, suffix=""):
    """The PNG that goes with a CSV file: same directory and name."""
    return os.path.splitext(csv_path)[0] + suffix + ".png"


def pyplot():
    """matplotlib drawing to files only: routers have no display."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_plot(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    pyplot().close(fig)


RouteEvent = namedtuple("RouteEvent", "time deleted line")


class KernelRouteMonitor:
    """Timestamped kernel route events in a router's namespace ("ip -ts
    monitor route"), to time how long a change takes to reach its FIB."""

    STAMP = re.compile(r"^\[([0-9T:.\-]+)\]\s*(Deleted )?(\S+)")

    def __init__(self, router, log="monitor.log"):
        self.path = os.path.join(router.run_dir, log)
        self.read_to = 0     # the log is read once, as it grows
        self.by_dst = {}     # destination -> [RouteEvent]
        router.popen("ip", "-ts", "monitor", "route", log=log)
        time.sleep(0.5)  # "ip monitor" must listen before the first change

    def _read_new_lines(self):
        """Parse what the log gained since the last call (a busy FIB, as
        under churn, logs far more than the prefixes being timed)."""
        with open(self.path, "rb") as f:
            f.seek(self.read_to)
            for raw in f:
                if not raw.endswith(b"\n"):
                    break  # half-written: read it again next time
                self.read_to += len(raw)
                line = raw.decode(errors="replace")
                m = self.STAMP.match(line)
                if m:
                    when = datetime.datetime.fromisoformat(m.group(1))
                    self.by_dst.setdefault(m.group(3), []).append(
                        RouteEvent(when.timestamp(), bool(m.group(2)), line))

    def events(self, prefix):
        self._read_new_lines()
        dst = prefix.split("/")[0]
        return sorted(self.by_dst.get(prefix, []) + self.by_dst.get(dst, []))

    def first_after(self, prefix, t0, want):
        """Time of the first event for prefix at or after t0 that
        want(RouteEvent) accepts, None if none yet."""
        return next((e.time for e in self.events(prefix)
                     if e.time >= t0 and want(e)), None)

    def wait_event(self, prefix, t0, want, what, timeout=30):
        """Wait for the first event at or after t0 that want() accepts;
        return its time."""
        return wait_until(lambda: self.first_after(prefix, t0, want),
                          timeout=timeout, interval=0.02, what=what)

    def time_change(self, prefix, action, want, what, timeout=30):
        """Milliseconds from calling action() to the kernel event."""
        t0 = time.time()
        action()
        return (self.wait_event(prefix, t0, want, what, timeout) - t0) * 1000


LOG_STAMP = re.compile(r"^(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d+) ")


def precise_log(router):
    return os.path.join(router.run_dir, "bgpd-us.log")


def enable_precise_debug(router, *debug_commands):
    """bgpd's debug logs in a file with microsecond stamps, to date events
    inside bgpd ("log timestamp precision" does not apply to the --log
    file the harness starts bgpd with)."""
    run([VTYSH, "-N", router.ns, "-d", "bgpd", "-c", "configure terminal",
         "-c", "log timestamp precision 6",
         "-c", f"log file {precise_log(router)} debugging"])
    router.vtysh(*debug_commands)


def log_matches(router, pattern):
    """(time, match) of the router's precise bgpd log lines matching the
    regular expression."""
    found = []
    regex = re.compile(pattern)
    with open(precise_log(router)) as f:
        for line in f:
            stamp = LOG_STAMP.match(line)
            m = stamp and regex.search(line)
            if m:
                when = datetime.datetime.strptime(stamp.group(1),
                                                  "%Y/%m/%d %H:%M:%S.%f")
                found.append((when.timestamp(), m))
    return found
