# SPDX-License-Identifier: GPL-2.0-or-later
"""Small topologies of stock FRR daemons in network namespaces.

A Topology holds routers (one network namespace each, running Debian's
zebra and bgpd with the CFN module loaded) joined by veth pairs. Each
router uses its own FRR pathspace (``-N``), so its integrated config lives
in /etc/frr/<ns>/frr.conf and its vty sockets in /var/run/frr/<ns>/, and
``vtysh -N <ns>`` talks to it exactly as an operator would.

    topo = Topology("t")
    r1 = topo.add_router("r1", asn=65001)
    r2 = topo.add_router("r2", asn=65002)
    topo.add_link(r1, r2)
    with topo:                       # start; always torn down on exit
        r1.vtysh("show bgp cfn json")

Teardown kills every process left in the namespaces, deletes them and
removes the per-router directories, also after a failed test, Ctrl-C,
SIGTERM, or a previous run that died (``Topology.cleanup_stale``).
"""

import atexit
import ipaddress
import json
import functools
import os
import re
import shutil
import signal
import subprocess
import time

FRR_SBIN = os.environ.get("CFN_FRR_SBIN", "/usr/lib/frr")
FRR_ETC = "/etc/frr"
FRR_RUN = "/var/run/frr"
VTYSH = os.environ.get("CFN_VTYSH", "vtysh")
NS_PREFIX = "cfn-"  # every namespace and pathspace this harness makes
OWNER_FILE = "topology.owner"  # pid of the process running the topology
DEFAULT_DAEMONS = ("zebra", "bgpd")
# CFN_MODULE: a module file to load instead of the installed one
DAEMON_ARGS = {"bgpd": ["-M", os.environ.get("CFN_MODULE", "cfn")]}

_live_topologies = []


@functools.lru_cache(maxsize=None)
def frr_version():
    """(major, minor) of the FRR whose daemons the tests run."""
    out = run([os.path.join(FRR_SBIN, "bgpd"), "--version"]).stdout
    found = re.search(r"bgpd version (\d+)\.(\d+)", out)
    return int(found.group(1)), int(found.group(2))


def zebra_weights(weights):
    """The kernel weights zebra installs for a route's nexthop weights:
    FRR 8.4 as given (1..255); FRR 10 rescaled to 1..254 relative to the
    largest, unless all are 1 (zebra/zapi_msg.c, zapi_read_nexthops)."""
    top = max(weights.values())
    if frr_version() < (10, 0) or top == 1:
        return dict(weights)
    return {k: max(1, w * 254 // top) for k, w in weights.items()}


def with_mgmtd(daemons):
    """FRR 10's zebra takes its configuration (interfaces, addresses)
    through mgmtd, which frrinit starts first wherever it exists."""
    if daemons and os.path.exists(os.path.join(FRR_SBIN, "mgmtd")):
        return ["mgmtd", *[d for d in daemons if d != "mgmtd"]]
    return list(daemons)


def run(cmd, check=True, **kwargs):
    """Run a command (list), returning CompletedProcess with text output."""
    return subprocess.run(cmd, check=check, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          **kwargs)


def wait_until(predicate, timeout=30.0, interval=0.25, what="condition"):
    """Poll predicate() until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    last_error = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (subprocess.CalledProcessError, ValueError, LookupError) as err:
            last_error = err
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise TimeoutError(f"timed out after {timeout}s waiting for "
                               f"{what}{detail}")
        time.sleep(interval)


class Router:
    """One FRR node: a namespace, a pathspace and its daemons."""

    def __init__(self, topo, name, asn, router_id, daemons, link_peers):
        self.topo = topo
        self.name = name
        self.ns = f"{NS_PREFIX}{topo.name}-{name}"
        self.asn = asn
        self.router_id = router_id
        self.daemons = with_mgmtd(daemons)
        self.link_peers = link_peers  # BGP neighbors on every link
        self.interfaces = {}  # ifname -> (address/len, peer Router, peer address)
        self.config = ""      # extra integrated config appended at boot

    @property
    def etc_dir(self):
        return os.path.join(FRR_ETC, self.ns)

    @property
    def run_dir(self):
        return os.path.join(FRR_RUN, self.ns)

    @property
    def config_file(self):
        return os.path.join(self.etc_dir, "frr.conf")

    def log_file(self, daemon):
        return os.path.join(self.run_dir, f"{daemon}.log")

    def neighbors(self):
        """(peer router, peer address) for every link of this router."""
        return [(peer, addr) for _, peer, addr in self.interfaces.values()]

    def base_config(self):
        lines = ["frr defaults traditional", f"hostname {self.name}",
                 "service integrated-vtysh-config", "!",
                 "interface lo", f" ip address {self.router_id}/32", "exit"]
        for ifname, (addr, _, _) in sorted(self.interfaces.items()):
            ip = "ipv6" if ":" in addr else "ip"
            lines += [f"interface {ifname}", f" {ip} address {addr}", "exit"]
        lines.append("!")
        if "bgpd" in self.daemons and self.asn:
            lines += [f"router bgp {self.asn}",
                      f" bgp router-id {self.router_id}",
                      " no bgp ebgp-requires-policy",
                      " no bgp network import-check"]
            for peer, addr in self.neighbors() if self.link_peers else []:
                if peer.asn:
                    lines.append(f" neighbor {addr} remote-as {peer.asn}")
            lines += ["exit", "!"]
        return "\n".join(lines) + "\n" + self.config

    # -- processes --------------------------------------------------------

    def exec(self, *cmd, check=True):
        """Run a command inside the router's namespace."""
        return run(["ip", "netns", "exec", self.ns, *cmd], check=check)

    def write_config(self, text=None):
        os.makedirs(self.etc_dir, exist_ok=True)
        with open(self.config_file, "w") as f:
            f.write(self.base_config() if text is None else text)
        with open(os.path.join(self.etc_dir, "vtysh.conf"), "w") as f:
            f.write("service integrated-vtysh-config\n")
        shutil.chown(self.config_file, "frr", "frr")
        os.chmod(self.config_file, 0o640)

    def popen(self, *cmd, log=None):
        """Start a background process in the namespace (stopped at
        teardown with everything else in it); output goes to log."""
        os.makedirs(self.run_dir, exist_ok=True)
        out = open(os.path.join(self.run_dir, log or f"{os.path.basename(cmd[0])}.log"), "w")
        return subprocess.Popen(["ip", "netns", "exec", self.ns, *cmd],
                                stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)

    def start_daemon(self, daemon):
        """Start one daemon detached (-d). Its early output goes to a file,
        not a pipe: FRR 10's daemons keep stdout open after detaching."""
        pid_file = os.path.join(self.run_dir, f"{daemon}.pid")
        out_file = os.path.join(self.run_dir, f"{daemon}.start")
        with open(out_file, "w") as out:
            started = subprocess.run(
                ["ip", "netns", "exec", self.ns,
                 os.path.join(FRR_SBIN, daemon), "-d", "-N", self.ns,
                 "-P", "0", "-i", pid_file,
                 "--log", f"file:{self.log_file(daemon)}",
                 "--log-level", "debug", *DAEMON_ARGS.get(daemon, [])],
                stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, check=False)
        if started.returncode != 0:
            with open(out_file) as out:
                raise RuntimeError(f"{self.name}: {daemon} did not start:\n"
                                   f"{out.read()}")

    def start_daemons(self, only=None):
        """Start the daemons (or those named in `only`) and load frr.conf
        with vtysh -b, like frrinit."""
        os.makedirs(self.run_dir, exist_ok=True)
        shutil.chown(self.run_dir, "frr", "frr")
        shutil.chown(self.etc_dir, "frr", "frr")
        for daemon in only or self.daemons:
            self.start_daemon(daemon)
        for daemon in only or self.daemons:
            sock = os.path.join(self.run_dir, f"{daemon}.vty")
            wait_until(lambda: os.path.exists(sock), timeout=15,
                       what=f"{self.name} {daemon} vty socket")
        out = run([VTYSH, "-N", self.ns, "-b"], check=False)
        if out.returncode != 0:
            raise RuntimeError(f"{self.name}: vtysh -b failed:\n{out.stdout}")

    def daemon_pids(self):
        pids = {}
        for daemon in self.daemons:
            try:
                with open(os.path.join(self.run_dir, f"{daemon}.pid")) as f:
                    pids[daemon] = int(f.read().strip())
            except (OSError, ValueError):
                pass
        return pids

    def stop_daemons(self, timeout=10.0):
        """SIGTERM the daemons and wait for them to exit."""
        pids = self.daemon_pids()
        for pid in pids.values():
            _signal(pid, signal.SIGTERM)
        wait_until(lambda: not any(_alive(p) for p in pids.values()),
                   timeout=timeout, what=f"{self.name} daemons to stop")

    def restart_daemons(self):
        self.stop_daemons()
        self.start_daemons()

    # -- queries ----------------------------------------------------------

    def vtysh(self, *commands, check=True):
        """Run vtysh commands (each a -c) against this router; return output."""
        args = [VTYSH, "-N", self.ns]
        for command in commands:
            args += ["-c", command]
        out = run(args, check=False)
        if check and out.returncode != 0:
            raise subprocess.CalledProcessError(out.returncode, args,
                                                output=out.stdout)
        return out.stdout

    def vtysh_json(self, command):
        return json.loads(self.vtysh(command))

    def configure(self, *lines, context=None):
        """Enter config mode (optionally a context like 'router bgp 1')."""
        commands = ["configure terminal"]
        if context:
            commands.append(context)
        return self.vtysh(*commands, *lines)

    def bgp_peers(self):
        summary = self.vtysh_json("show bgp summary json")
        peers = {}
        for afi in summary.values():
            if isinstance(afi, dict):
                peers.update(afi.get("peers", {}))
        return peers

    def wait_established(self, timeout=60.0):
        """Wait until every configured BGP neighbor is Established."""
        expected = {addr for peer, addr in self.neighbors()
                    if peer.asn and self.link_peers}

        def established():
            peers = self.bgp_peers()
            return (peers or expected) and all(
                peers.get(a, {}).get("state") == "Established"
                for a in expected or peers)
        wait_until(established, timeout=timeout,
                   what=f"{self.name}: BGP sessions to {sorted(expected)}")


class Topology:
    """Routers and links; a context manager that always tears down."""

    def __init__(self, name):
        self.name = name
        self.routers = {}
        self.links = []
        self._subnets = ipaddress.ip_network("10.255.0.0/16").subnets(
            new_prefix=30)

    def add_router(self, name, asn=None, router_id=None,
                   daemons=DEFAULT_DAEMONS, link_peers=True):
        """A router; daemons=() makes a plain host for other software.
        link_peers=False leaves BGP neighbors to Router.config."""
        index = len(self.routers) + 1
        router = Router(self, name, asn, router_id or f"10.0.0.{index}",
                        daemons, link_peers)
        self.routers[name] = router
        return router

    def add_link(self, a, b, subnet=None):
        """Join two routers with a veth pair addressed from a /30 (or the
        IPv4 or IPv6 subnet given)."""
        net = ipaddress.ip_network(subnet) if subnet else next(self._subnets)
        hosts = net.hosts()
        addr_a, addr_b = next(hosts), next(hosts)
        if_a = f"eth-{b.name}"
        if_b = f"eth-{a.name}"
        a.interfaces[if_a] = (f"{addr_a}/{net.prefixlen}", b, str(addr_b))
        b.interfaces[if_b] = (f"{addr_b}/{net.prefixlen}", a, str(addr_a))
        self.links.append((a, if_a, b, if_b))
        return str(addr_a), str(addr_b)

    def __getitem__(self, name):
        return self.routers[name]

    # -- lifecycle --------------------------------------------------------

    def start(self):
        _live_topologies.append(self)
        self.cleanup_stale(f"{NS_PREFIX}{self.name}-")
        for router in self.routers.values():
            run(["ip", "netns", "add", router.ns])
            os.makedirs(router.run_dir, exist_ok=True)
            with open(os.path.join(router.run_dir, OWNER_FILE), "w") as f:
                f.write(str(os.getpid()))
            router.exec("ip", "link", "set", "lo", "up")
            if router.daemons:  # routers forward, plain hosts do not
                router.exec("sysctl", "-qw", "net.ipv4.ip_forward=1",
                            "net.ipv6.conf.all.forwarding=1")
        for index, (a, if_a, b, if_b) in enumerate(self.links):
            tmp_a, tmp_b = f"cfnv{os.getpid()}a{index}", f"cfnv{os.getpid()}b{index}"
            run(["ip", "link", "add", tmp_a, "type", "veth", "peer", "name",
                 tmp_b])
            run(["ip", "link", "set", tmp_a, "netns", a.ns, "name", if_a])
            run(["ip", "link", "set", tmp_b, "netns", b.ns, "name", if_b])
            for router, ifname in ((a, if_a), (b, if_b)):
                address = router.interfaces[ifname][0]
                router.exec("ip", "addr", "add", address, "dev", ifname,
                            *(["nodad"] if ":" in address else []))
                router.exec("ip", "link", "set", ifname, "up")
        for router in self.routers.values():
            if router.daemons:
                router.write_config()
                router.start_daemons()
        return self

    def stop(self):
        for router in self.routers.values():
            _teardown_namespace(router.ns)
        if self in _live_topologies:
            _live_topologies.remove(self)

    def detach(self):
        """Leave the topology running after this process exits."""
        if self in _live_topologies:
            _live_topologies.remove(self)

    def __enter__(self):
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc):
        self.stop()
        return False

    def wait_established(self, timeout=60.0):
        for router in self.routers.values():
            if "bgpd" in router.daemons and router.asn:
                router.wait_established(timeout)

    @staticmethod
    def cleanup_stale(prefix=NS_PREFIX):
        """Remove namespaces and pathspaces a dead run left behind; those
        of another live process (a concurrent run) are left alone."""
        names = run(["ip", "netns", "list"]).stdout.split("\n")
        for line in names:
            ns = line.split(" ")[0]
            if ns.startswith(prefix) and not _owned_by_other(ns):
                _teardown_namespace(ns)
        for base in (FRR_ETC, FRR_RUN):
            for entry in os.listdir(base):
                if entry.startswith(prefix) and not _owned_by_other(entry):
                    shutil.rmtree(os.path.join(base, entry), ignore_errors=True)


def _owned_by_other(ns):
    """A namespace without an owner file here may be another root's (a
    chroot has its own /var/run/frr): it is left alone while processes
    run in it."""
    try:
        with open(os.path.join(FRR_RUN, ns, OWNER_FILE)) as f:
            owner = int(f.read())
    except (OSError, ValueError):
        pids = run(["ip", "netns", "pids", ns], check=False)
        return pids.returncode == 0 and bool(pids.stdout.strip())
    return owner != os.getpid() and _alive(owner)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie has exited; only its parent (gone: daemons detach) reaps it
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _signal(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def _teardown_namespace(ns):
    """Kill everything in a namespace, delete it and its FRR directories."""
    pids = [p for p in run(["ip", "netns", "pids", ns],
                           check=False).stdout.split() if p.isdigit()]
    for pid in pids:
        _signal(int(pid), signal.SIGTERM)
    deadline = time.monotonic() + 5
    while any(_alive(int(p)) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        _signal(int(pid), signal.SIGKILL)
    run(["ip", "netns", "del", ns], check=False)
    for base in (FRR_ETC, FRR_RUN):
        shutil.rmtree(os.path.join(base, ns), ignore_errors=True)


def _teardown_all():
    for topo in list(_live_topologies):
        topo.stop()


def _on_signal(signum, frame):
    _teardown_all()
    raise SystemExit(128 + signum)


atexit.register(_teardown_all)
signal.signal(signal.SIGTERM, _on_signal)
