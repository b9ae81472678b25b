"""Fleet benchmark: a whole audit of a generated fleet at 5k, 20k and 100k objects, on every input
path, against the bare-parse floor of the same input, with peak RSS and linearity.

Run: ``.venv/bin/python benchmarks/bench_fleet.py [--sizes 5000,20000,100000] [--paths
yaml,json,cluster] [--repeat 3]``. The fleet (see ``fleet_gen.py``) is written once per size: a
Git repository with the teams' manifests, ``kubectl get -o yaml``/``-o json`` Lists (with the Gateway API CRDs,
whose CEL rules contain ``&&``) and, for the cluster path, the in-repo API emulator
(``tests/k8s_emulator.py``, in its own process) serving the same objects in pages of 500 to the
real ``kubernetes`` client.

Every measurement runs in a fresh subprocess, so peak RSS (``VmHWM``) is that run's own, and
``--repeat`` times (default 3; audits and floors interleaved, and so are the sizes: every fleet is
written first, then each repeat measures every size and path once, so a machine that slows down
during the run slows every size alike): the fastest counts, as the least disturbed by other work
on a shared machine, and the highest peak RSS:
- ``audit``: ``run_audit`` twice on the same config: cold (empty Git cache) and warm (unchanged
  re-audit); prints both wall times, peak RSS and the finding ids;
- ``floor``: the bare parse of the same input: ``yaml.load_all`` with libyaml's ``CSafeLoader``
  (YAML), ``json.loads`` (JSON), every list page fetched and ``json.loads``-ed (cluster), plus the
  ``CSafeLoader`` parse of the Git manifests, which every audit also reads. It is measured as a
  user would run it (cyclic collector on: the ratio uses this one) and again with the collector
  paused, as the audit runs; both ratios are printed.

Prints per size and path: wall (cold, warm), floor, audit ÷ floor, peak RSS; then the linearity
ratios (time and RSS of each size over the previous one, beside the floor's own time ratio, which
shows what the machine's memory does to a bare parse of a larger input) and whether every path
found the same finding ids. Timings on a shared machine are noisy: compare the ratios of one run.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks")]

import fleet_gen  # noqa: E402
import yaml  # noqa: E402

PATHS = ("yaml", "json", "cluster")
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
ISTIO_RESOURCES = (
    ("security.istio.io", "authorizationpolicies", "AuthorizationPolicy"),
    ("security.istio.io", "peerauthentications", "PeerAuthentication"),
)


# -- writing the fleet ----------------------------------------------------------------------------


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Like ``kubectl -o yaml``: shared values are written out, never as anchors and aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _crds() -> list[dict[str, Any]]:
    from tests.k8s_emulator import load_crd_bundle

    return load_crd_bundle("standard")


def write_fleet(size: int, root: Path) -> dict[str, Any]:
    """Write the Git repository, the snapshots and the configs of a ``size``-object fleet."""
    from tests.gitrepo import GitRemote

    fleet = fleet_gen.generate(size)
    remote = GitRemote.create(root / "git")
    files = {
        path: yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False)
        for path, docs in sorted(fleet.git.items())
    }
    remote.commit(files, message="fleet")
    items = [*_crds(), *fleet.live]
    (root / "snapshot.json").write_text(fleet_gen.json_text(items))
    (root / "live.json").write_text(json.dumps(fleet.live))
    with (root / "snapshot.yaml").open("w") as fh:
        yaml.dump(fleet_gen.as_list(items), fh, Dumper=_Dumper, sort_keys=False)
    teams = [
        {
            "name": team,
            "namespaces": namespaces,
            "sources": [
                {
                    "repository": "fleet",
                    "paths": ["platform/*.yaml" if team == "platform" else f"teams/{team}/*.yaml"],
                }
            ],
        }
        for team, namespaces in sorted(fleet.teams.items())
    ]
    for mode in PATHS:
        cluster: dict[str, Any] = {"name": "fleet"}
        if mode == "cluster":
            cluster["kubeconfig"] = str(root / "kubeconfig")
        else:
            cluster["snapshot"] = str(root / f"snapshot.{mode}")
        config = {
            "git": {"cache_dir": str(root / f"cache-{mode}")},
            "limits": {},
            "clusters": [cluster],
            "repositories": [{"name": "fleet", "url": remote.url}],
            "teams": teams,
            "kinds": {"secret_metadata": True},
        }
        (root / f"config-{mode}.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return {
        "objects": len(fleet.live),
        "git_objects": sum(len(d) for d in fleet.git.values()),
        "yaml_mb": (root / "snapshot.yaml").stat().st_size / 1e6,
        "json_mb": (root / "snapshot.json").stat().st_size / 1e6,
    }


# -- children -------------------------------------------------------------------------------------


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover


def child_audit(root: Path, mode: str) -> dict[str, Any]:
    from auditor.app import AuditRequest, run_audit
    from auditor.config import load

    settings = load(root / f"config-{mode}.yaml", environ={})
    shutil.rmtree(root / f"cache-{mode}", ignore_errors=True)
    walls = []
    for _ in range(2):  # cold Git cache, then the unchanged re-audit
        start = time.perf_counter()
        run = run_audit(settings, request=AuditRequest())
        walls.append(time.perf_counter() - start)
    ids = sorted(f.id for f in run.findings)
    (root / f"ids-{mode}.txt").write_text("\n".join(ids))
    return {
        "cold": walls[0],
        "warm": walls[1],
        "rss": _peak_mb(),
        "findings": len(ids),
        "digest": hashlib.sha256("\n".join(ids).encode()).hexdigest()[:12],
        "status": str(run.status),
        "skipped": [f"{s.subject}: {s.reason}" for s in run.skipped if s.partial][:3],
        "checks": _check_counts(run.findings),
    }


def _check_counts(findings: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.check] = counts.get(f.check, 0) + 1
    return dict(sorted(counts.items()))


def _git_floor(root: Path) -> float:
    files = sorted((root / "git" / "work").rglob("*.yaml"))
    start = time.perf_counter()
    for path in files:
        list(yaml.load_all(path.read_bytes(), Loader=LOADER))
    return time.perf_counter() - start


def _cluster_floor(root: Path) -> float:
    import urllib3

    server = yaml.safe_load((root / "kubeconfig").read_text())["clusters"][0]["cluster"]["server"]
    paths = json.loads((root / "list-paths.json").read_text())
    pool = urllib3.PoolManager()
    start = time.perf_counter()
    for path in paths:
        token = None
        while True:
            query = f"?limit=500&continue={token}" if token else "?limit=500"
            page = json.loads(pool.request("GET", server + path + query).data)
            token = page["metadata"].get("continue")
            if not token:
                break
    return time.perf_counter() - start


def _parse_live(root: Path, mode: str) -> float:
    start = time.perf_counter()
    if mode == "yaml":
        list(yaml.load_all((root / "snapshot.yaml").read_bytes(), Loader=LOADER))
    elif mode == "json":
        json.loads((root / "snapshot.json").read_bytes())
    else:
        return _cluster_floor(root)
    return time.perf_counter() - start


def child_floor(root: Path, mode: str) -> dict[str, Any]:
    """The bare parse as a user would run it (collector on), then again with the cyclic collector
    paused, as the audit runs (``app.gc_paused``): both are printed, the ratio uses the first."""
    live, git = _parse_live(root, mode), _git_floor(root)
    gc.collect()
    gc.disable()
    live_paused, git_paused = _parse_live(root, mode), _git_floor(root)
    gc.enable()
    return {
        "live": live,
        "git": git,
        "floor": live + git,
        "paused": live_paused + git_paused,
        "rss": _peak_mb(),
    }


def child_serve(root: Path) -> None:
    """Serve the fleet from the emulator until stdin closes."""
    from tests.k8s_emulator import K8sEmulator, Resource

    emulator = K8sEmulator()
    emulator.add_crds(_crds())
    for group, plural, kind in ISTIO_RESOURCES:
        emulator.add_resource(Resource(group=group, plural=plural, kind=kind, namespaced=True))
    paths: dict[str, None] = {"/apis/apiextensions.k8s.io/v1/customresourcedefinitions": None}
    for body in json.loads((root / "live.json").read_text()):
        emulator.put(body)
        group = body["apiVersion"].rpartition("/")[0]
        version = body["apiVersion"].rpartition("/")[2]
        plural = next(
            r.plural
            for r in emulator._resources.values()
            if r.group == group and r.kind == body["kind"]
        )
        prefix = f"/apis/{group}/{version}" if group else f"/api/{version}"
        paths[f"{prefix}/{plural}"] = None
    (root / "list-paths.json").write_text(json.dumps(list(paths)))
    emulator.start()
    emulator.write_kubeconfig(root / "kubeconfig")
    print("ready", flush=True)
    sys.stdin.read()
    emulator.stop()


# -- the parent -----------------------------------------------------------------------------------


def _run_child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(
    roots: dict[int, Path], modes: list[str], repeat: int
) -> dict[tuple[int, str], dict[str, Any]]:
    """``repeat`` audits and floors of every size and path, each in a fresh process, combined
    by :func:`_best`. Each repeat measures every size and path once, audit then floor, so a
    machine that slows down during the run slows every size alike (measuring one size after the
    other made the linearity ratios measure the machine's drift)."""
    servers = [_serve(root) for root in roots.values()] if "cluster" in modes else []
    runs: dict[tuple[int, str], tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
        (size, mode): ([], []) for size in roots for mode in modes
    }
    try:
        for n in range(1, repeat + 1):
            for size, root in roots.items():
                for mode in modes:
                    print(f"measuring {size} objects, {mode}: {n}/{repeat}", file=sys.stderr)
                    audits, floors = runs[size, mode]
                    audits.append(_run_child("audit", str(root), mode))
                    floors.append(_run_child("floor", str(root), mode))
    finally:
        for server in servers:
            assert server.stdin is not None
            server.stdin.close()
            server.wait(30)
    return {key: {"audit": _best(a), "floor": _best(f)} for key, (a, f) in runs.items()}


def _serve(root: Path) -> subprocess.Popen[str]:
    """The API emulator serving ``root``'s fleet, ready when this returns."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--child", "serve", str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    server.stdout.readline()
    return server


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of repeated measurements (the least disturbed by other work on a shared
    machine), with the highest peak RSS of them; an error or findings that differ between
    repeats is reported as such."""
    failed = [r for r in runs if "error" in r]
    if failed:
        return failed[0]
    if len({r.get("digest") for r in runs}) > 1:
        return {"error": "findings differ between repeats: " + ", ".join(r["digest"] for r in runs)}
    key = "cold" if "cold" in runs[0] else "floor"
    best = dict(min(runs, key=lambda r: r[key]))
    for name in ("warm", "paused"):
        if name in best:
            best[name] = min(r[name] for r in runs)
    best["rss"] = max(r["rss"] for r in runs)
    return best


def report(size: int, info: dict[str, Any], mode: str, m: dict[str, Any]) -> None:
    audit, floor = m["audit"], m["floor"]
    if "error" in audit or "error" in floor:
        print(f"  {mode:8} ERROR {audit.get('error') or floor.get('error')}")
        return
    ratio, warm = audit["cold"] / floor["floor"], audit["warm"] / floor["floor"]
    paused = audit["cold"] / floor["paused"]
    print(
        f"  {mode:8} audit {audit['cold']:7.2f} s (warm {audit['warm']:7.2f} s)  "
        f"floor {floor['floor']:6.2f} s (live {floor['live']:.2f} + git {floor['git']:.2f}; "
        f"collector paused {floor['paused']:.2f})  "
        f"ratio {ratio:5.2f} (warm {warm:5.2f}; to the paused floor {paused:5.2f})  "
        f"peak RSS {audit['rss']:7.0f} MB "
        f"(floor {floor['rss']:.0f} MB)  {audit['findings']} findings {audit['digest']} "
        f"{audit['status']}"
    )
    for line in audit["skipped"]:
        print(f"           partial: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,20000,100000", help="comma-separated objects")
    parser.add_argument("--paths", default=",".join(PATHS), help="yaml,json,cluster")
    parser.add_argument("--keep", type=Path, help="write the fleets here and keep them")
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="measure each audit and floor this many times; the fastest counts (default 3)",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, root = args.child[0], Path(args.child[1])
        if what == "serve":
            child_serve(root)
            return
        run = child_audit if what == "audit" else child_floor
        print(json.dumps(run(root, args.child[2])))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    modes = [p for p in args.paths.split(",") if p]
    print(
        f"machine: {os.cpu_count()} CPUs, {_mem_gb():.0f} GB RAM, Python {sys.version.split()[0]}; "
        f"best of {args.repeat} (times), highest of {args.repeat} (peak RSS)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        base = args.keep or Path(tmp)
        roots: dict[int, Path] = {}
        infos: dict[int, dict[str, Any]] = {}
        for size in sizes:
            roots[size] = root = base / f"fleet-{size}"
            shutil.rmtree(root, ignore_errors=True)  # a kept fleet from an earlier run
            root.mkdir(parents=True)
            infos[size] = write_fleet(size, root)
        results = measure(roots, modes, args.repeat)
        for size, info in infos.items():
            print(
                f"{info['objects']} live objects, {info['git_objects']} in Git; "
                f"YAML {info['yaml_mb']:.0f} MB, JSON {info['json_mb']:.0f} MB"
            )
            for mode in modes:
                report(size, info, mode, results[size, mode])
            digests = {results[size, m]["audit"].get("digest") for m in modes}
            print(f"  same findings on every path: {'yes' if len(digests) == 1 else 'NO'}")
    _linearity(sizes, modes, results)


def _linearity(
    sizes: list[int], modes: list[str], results: dict[tuple[int, str], dict[str, Any]]
) -> None:
    for small, large in itertools.pairwise(sizes):
        for mode in modes:
            a, b = results[small, mode]["audit"], results[large, mode]["audit"]
            fa, fb = results[small, mode]["floor"], results[large, mode]["floor"]
            if any("error" in r for r in (a, b, fa, fb)):
                continue
            print(
                f"linearity {large}/{small} {mode:8} time {b['cold'] / a['cold']:5.2f}  "
                f"RSS {b['rss'] / a['rss']:5.2f}  (objects {large / small:.2f}; the floor's "
                f"time {fb['floor'] / fa['floor']:5.2f}, paused {fb['paused'] / fa['paused']:5.2f})"
            )


def _mem_gb() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9


if __name__ == "__main__":
    main()
