"""Issue 8, end to end through the real commands: what a hostile but fair user can throw at the
auditor. Credentials in every URL position never reach stdout, stderr, logs or the database;
object and file names cannot drive a terminal or a spreadsheet; an invalid snapshot document never
makes a live object look deleted; durations are bounded; config check catches what cannot work;
exit codes and signals are as the README says; read commands open the database read-only; values
copied into findings are capped; analyze findings are all ``view: manifests``."""

from __future__ import annotations

import json
import os
import platform
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from auditor import cli
from auditor.errors import StoreError
from tests.gitrepo import GitRemote

GW = "gateway.networking.k8s.io"
ESC = "esc\x1b[2J\x1b]8;;http://evil.example\x07link\x1b]8;;\x07"
TOKEN = "ghp_Zq8TOKENasUSERNAME0000"
SLASH_PASSWORD = "pa/ss-W0rd-SLASH"
DB_PASSWORD = "DbPassw0rd-SECRET"

ROUTE = """\
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: web, annotations: {note: small}}
spec:
  parentRefs: [{name: gw}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
"""

GATEWAY = """\
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: gw, namespace: web}
spec:
  gatewayClassName: x
  listeners: [{name: http, port: 80, protocol: HTTP}]
"""


def live(route_annotation: str = "small", *, route: str | None = None) -> str:
    """A live snapshot: the Gateway, the Service and the route (``route`` replaces the item)."""
    item = route or (
        f"  - apiVersion: {GW}/v1\n    kind: HTTPRoute\n"
        f"    metadata: {{name: web, namespace: web, annotations: {{note: {route_annotation}}}}}\n"
        "    spec:\n      parentRefs: [{name: gw}]\n"
        "      rules: [{backendRefs: [{name: web, port: 80}]}]\n"
    )
    return (
        "apiVersion: v1\nkind: List\nitems:\n"
        "  - {apiVersion: v1, kind: Namespace, metadata: {name: web}}\n"
        "  - {apiVersion: v1, kind: Service, metadata: {name: web, namespace: web}, spec: {ports: [{port: 80}]}}\n"
        f"  - apiVersion: {GW}/v1\n    kind: Gateway\n    metadata: {{name: gw, namespace: web}}\n"
        "    spec:\n      gatewayClassName: x\n      listeners: [{name: http, port: 80, protocol: HTTP}]\n"
        f"{item}"
    )


def write_config(root: Path, remote: GitRemote, *, extra_repos: str = "", db: str = "") -> Path:
    config = root / "auditor.yaml"
    config.write_text(
        f"""
database: {{url: "{db or f"sqlite:///{root / 'history.db'}"}"}}
git: {{cache_dir: {root / "cache"}, timeout: 20s}}
clusters: [{{name: prod, snapshot: live.yaml}}]
repositories:
  - {{name: r, url: "{remote.url}"}}
{extra_repos}
teams:
  - name: web
    namespaces: [web]
    sources: [{{repository: r, paths: ["*.yaml"]}}]
"""
    )
    return config


@pytest.fixture
def repo(tmp_path: Path) -> GitRemote:
    remote = GitRemote.create(tmp_path / "repo")
    remote.commit({"route.yaml": ROUTE, "gw.yaml": GATEWAY})
    (tmp_path / "live.yaml").write_text(live())
    return remote


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def database_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.glob("history.db*")))


# -- 1, 2: no credential in any output, log or stored row ----------------------------------------


def test_git_credentials_never_printed_logged_or_stored(
    tmp_path: Path, repo: GitRemote, capsys: pytest.CaptureFixture[str]
) -> None:
    extra = (
        f'  - {{name: tokenuser, url: "https://{TOKEN}@127.0.0.1:9/org/r.git"}}\n'
        f'  - {{name: slashpw, url: "https://bot:{SLASH_PASSWORD}@127.0.0.1:9/org/r.git"}}\n'
    )
    config = write_config(tmp_path, repo, extra_repos=extra)
    text = config.read_text().replace(
        'sources: [{repository: r, paths: ["*.yaml"]}]',
        'sources: [{repository: r, paths: ["*.yaml"]}, {repository: tokenuser, paths: ["x/*.yaml"]},'
        ' {repository: slashpw, paths: ["y/*.yaml"]}]',
    )
    config.write_text(text)
    outputs: list[str] = []
    for args in (
        ["audit", "--config", str(config), "-vv"],
        ["audit", "--config", str(config), "--format", "json", "-vv", "--log-format", "json"],
        ["config", "check", "--config", str(config)],
        ["config", "check", "--config", str(config), "--format", "json"],
        ["runs", "--config", str(config), "-vv"],
        ["runs", "--config", str(config), "--format", "json", "--log-format", "json", "-vv"],
        ["history", "--config", str(config), "--status", "all", "-vv"],
    ):
        code, out, err = run(capsys, *args)
        outputs += [out, err]
        if args[0] == "audit":
            assert code == 3, err  # the two unreachable repositories make the run partial
            assert "https://***@127.0.0.1:9/org/r.git" in err, err
    everything = "\n".join(outputs)
    stored = database_bytes(tmp_path)
    for secret in (TOKEN, SLASH_PASSWORD, "pa/ss", "pa%2Fss"):
        assert secret not in everything, secret
        assert secret.encode() not in stored, secret
    assert b"https://***@127.0.0.1:9/org/r.git" in stored  # the skipped reason, masked
    runs = json.loads(outputs[10])["runs"]
    reasons = [f"{s['subject']}: {s['reason']}" for s in runs[0]["skipped"]]
    assert any("repository tokenuser: fetch from https://***@127.0.0.1:9" in r for r in reasons)


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_database_credentials_never_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], log_format: str
) -> None:
    for url, expected in (
        # '@' in the password: refused before any driver sees it, nothing after '@' echoed
        (f"postgresql+psycopg://postgres:p@ss{DB_PASSWORD}@127.0.0.1:1/x", "percent-encode"),
        # a server that is not there: the driver's message is masked too
        (f"postgresql+psycopg://dbadmin:{DB_PASSWORD}@127.0.0.1:1/x", "failed on"),
        (f"postgresql+psycopg://127.0.0.1:1/x?password={DB_PASSWORD}", "failed on"),
    ):
        for command in ("history", "runs", "stats"):
            code, out, err = run(capsys, command, "--db", url, "-vv", "--log-format", log_format)
            assert code == 2 and expected in err, err
            assert DB_PASSWORD not in out + err and "ss" + DB_PASSWORD not in out + err
        os.environ["AUDITOR_DATABASE_URL"] = url
        try:
            code, out, err = run(capsys, "runs", "-vv")
        finally:
            del os.environ["AUDITOR_DATABASE_URL"]
        assert code == 2 and DB_PASSWORD not in out + err


def test_config_check_refuses_ambiguous_at(
    tmp_path: Path, repo: GitRemote, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, repo, db=f"postgresql://u:p@ss{DB_PASSWORD}@db/x")
    code, out, err = run(capsys, "config", "check", "--config", str(config))
    assert code == 2
    assert "database.url: more than one '@' in the URL: percent-encode '@'" in err
    assert DB_PASSWORD not in out + err


# -- 3, 4: terminal and spreadsheet safety ------------------------------------------------------


def test_names_cannot_drive_a_terminal_or_a_spreadsheet(
    tmp_path: Path, repo: GitRemote, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile_route = ROUTE.replace("name: web, namespace", f'name: "{ESC}", namespace').replace(
        "{name: gw}", "{name: missing-gw}"
    )
    repo.commit(
        {
            "hostile.yaml": hostile_route.replace("\x1b", "\\e").replace("\x07", "\\a"),
            "=HYPERLINK(A1).yaml": "not: [valid",
            "+1+2.yaml": "also: [invalid",
        }
    )
    config = write_config(tmp_path, repo)
    code, out, err = run(capsys, "audit", "--config", str(config))
    assert code == 3, err  # the invalid files make the run partial
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b[2J\\x1b]8;;http://evil.example\\x07" in out
    code, out, err = run(capsys, "analyze", str(repo.work / "hostile.yaml"))
    assert "\x1b" not in out + err and "\\x1b[2J" in out
    code, out, err = run(capsys, "history", "--config", str(config))
    assert code == 0 and "\x1b" not in out + err and "\\x1b[2J" in out
    hostile_id = next(
        f["id"]
        for f in json.loads(run(capsys, "history", "--config", str(config), "--format", "json")[1])[
            "findings"
        ]
        if f["object"] and f["object"]["name"] == ESC
    )
    code, out, err = run(capsys, "show", "--config", str(config), hostile_id[:12])
    assert code == 0 and "\x1b" not in out + err and "\\x1b[2J" in out
    code, out, err = run(capsys, "runs", "--config", str(config))
    assert code == 0 and "\x1b" not in out + err
    code, out, _ = run(capsys, "history", "--config", str(config), "--format", "csv")
    cells = [line.split(",")[7] for line in out.splitlines()[1:]]
    assert "'=HYPERLINK(A1).yaml:2" in cells and "'+1+2.yaml:2" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    assert "\x1b" not in out, repr(out)
    assert "HTTPRoute web/esc\\x1b[2J\\x1b]8;;http://evil.example\\x07" in out


# -- 5: invalid snapshot documents are errors, never "deleted" ----------------------------------


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        (
            f"  - apiVersion: {GW}/v1\n    metadata: {{name: web, namespace: web}}\n",
            "1 document(s) are not Kubernetes objects (not a mapping, or without an apiVersion "
            "and kind) (the first: document 1, item 4, line 12); the snapshot is not used",
        ),
        (
            f"  - apiVersion: {GW}/v1\n    kind: HTTPRoute\n    metadata: {{name: 42, namespace: web}}\n",
            "live.yaml:12: HTTPRoute whose metadata.name is not a non-empty string cannot be "
            "identified; the snapshot is not used",
        ),
    ],
)
def test_invalid_snapshot_document_makes_the_run_partial(
    tmp_path: Path,
    repo: GitRemote,
    capsys: pytest.CaptureFixture[str],
    route: str,
    reason: str,
) -> None:
    config = write_config(tmp_path, repo)
    assert run(capsys, "audit", "--config", str(config))[0] == 0  # a clean, stored first run
    (tmp_path / "live.yaml").write_text(live(route=route))
    code, out, err = run(capsys, "audit", "--config", str(config), "--format", "json")
    result = json.loads(out)
    assert code == 3 and result["run"]["status"] == "partial"
    assert [s["subject"] for s in result["run"]["skipped"]] == [
        f"cluster prod: snapshot {tmp_path / 'live.yaml'}"
    ]
    assert reason in result["run"]["skipped"][0]["reason"]
    checks = {f["check"] for f in result["findings"]}
    assert "PDA-DR-001" not in checks and "PDA-DR-002" not in checks  # nothing looks deleted
    # issue 11: nothing was read of the only cluster, so the run is not stored (nothing resolved)
    assert "nothing read of cluster prod" in err and "(not stored)" in err


# -- 6: durations -------------------------------------------------------------------------------


def test_durations_are_bounded_and_have_units(
    tmp_path: Path, repo: GitRemote, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, repo)
    config.write_text(
        config.read_text().replace('database: {url: "', 'database: {retention: 1000000d, url: "')
    )
    code, _, err = run(capsys, "config", "check", "--config", str(config))
    assert code == 2 and "database.retention: '1000000d' is longer than the maximum" in err
    config.write_text(config.read_text().replace("retention: 1000000d", "retention: 100"))
    code, _, err = run(capsys, "audit", "--config", str(config))
    assert code == 2 and "database.retention: expected a duration like" in err
    assert "a bare number has no unit: write 100s or 100d" in err
    config.write_text(config.read_text().replace("retention: 100,", "retention: 2w,"))
    code, out, _ = run(capsys, "config", "check", "--config", str(config))
    assert code == 0 and "retention: 2w (1209600 s)" in out and "schedule: every 5m (300 s)" in out
    assert run(capsys, "audit", "--config", str(config))[0] == 0
    for command in ("history", "stats"):
        code, out, err = run(capsys, command, "--config", str(config), "--since", "99999999d")
        assert code == 2 and "longer than the maximum of 100 years" in err, err
        assert "Traceback" not in err
        code, out, err = run(capsys, command, "--config", str(config), "--since", "2w")
        assert code == 0, err


# -- 7: config check catches what cannot work ---------------------------------------------------


@pytest.mark.parametrize(
    ("replace", "message"),
    [
        (("clusters:", "schedule: {cron: '99 * * * *'}\nclusters:"), "schedule.cron: invalid cron"),
        (('url: "sqlite:', 'url: "mysql:'), "database.url: unsupported database URL"),
        (('url: "sqlite:///', 'url: "${DATABASE_URL}'), "database.url: ${DATABASE_URL} looks like"),
    ],
)
def test_config_check_catches_what_cannot_work(
    tmp_path: Path,
    repo: GitRemote,
    capsys: pytest.CaptureFixture[str],
    replace: tuple[str, str],
    message: str,
) -> None:
    config = write_config(tmp_path, repo)
    config.write_text(config.read_text().replace(*replace, 1))
    code, _, err = run(capsys, "config", "check", "--config", str(config))
    assert code == 2 and message in err, err
    if "${" in replace[1]:
        assert "*_env" in err and "AUDITOR_DATABASE_URL" in err


# -- 8: exit codes and signals ------------------------------------------------------------------


def test_unexpected_exception_is_one_line_and_exit_2(
    tmp_path: Path, repo: GitRemote, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    def boom(*args: object, **kwargs: object) -> object:
        raise RuntimeError(f"boom at https://{TOKEN}@host/r.git")

    monkeypatch.setattr("auditor.app.service.run_audit", boom)
    config = write_config(tmp_path, repo)
    code, out, err = run(capsys, "audit", "--config", str(config))
    assert code == 2 and out == ""
    assert err == (
        "internal error: RuntimeError: boom at https://***@host/r.git; run with -vv for details\n"
    )
    code, _, err = run(capsys, "audit", "--config", str(config), "-vv")
    assert code == 2 and "Traceback" in err and TOKEN not in err


def test_prune_failure_after_the_run_is_stored_is_a_warning(
    tmp_path: Path, repo: GitRemote, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    from auditor.store.repository import Store

    def failing_prune(self: Store, **kwargs: object) -> None:
        raise StoreError("pruning history failed on sqlite:///x: database is locked")

    monkeypatch.setattr(Store, "prune", failing_prune)
    config = write_config(tmp_path, repo)
    (tmp_path / "live.yaml").write_text(live("drifted"))
    code, _, err = run(capsys, "audit", "--config", str(config))
    assert code == 1, err  # the drift finding's exit code stands
    assert "was stored, but applying database.retention failed" in err
    code, out, _ = run(capsys, "runs", "--config", str(config), "--format", "json")
    assert len(json.loads(out)["runs"]) == 1


_READ_SYSCALL = {"x86_64": "0", "aarch64": "63"}  # /proc/<pid>/syscall's first field for read(2)


def _blocked_reading_stdin(pid: int) -> bool:
    wchan = Path(f"/proc/{pid}/wchan").read_text()
    syscall = Path(f"/proc/{pid}/syscall").read_text().split()
    read = _READ_SYSCALL.get(platform.machine())
    return "pipe" in wchan or (len(syscall) > 1 and syscall[:2] == [read, "0x0"])


def _wait_until_blocked_on_stdin(pid: int, timeout: float = 60.0) -> None:
    """Wait until the process sits in read(2) on stdin, its handlers long installed: however slow
    the interpreter start is on a loaded machine, the signal then lands where a user's Ctrl-C
    would, not inside an import (that case has its own test in tests/unit/test_cli_basics.py)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _blocked_reading_stdin(pid):
            return
        time.sleep(0.05)
    raise AssertionError("the auditor never blocked reading stdin")


@pytest.mark.parametrize(("signum", "expected"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_exit_130_and_143(tmp_path: Path, signum: int, expected: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "auditor", "analyze", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    _wait_until_blocked_on_stdin(process.pid)
    process.send_signal(signum)
    _, err = process.communicate(timeout=30)
    assert process.returncode == expected, err
    assert b"Traceback" not in err


# -- 9: read commands open the database read-only ----------------------------------------------


def test_read_commands_do_not_write_the_database(
    tmp_path: Path, repo: GitRemote, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, repo)
    (tmp_path / "live.yaml").write_text(live("drifted"))
    assert run(capsys, "audit", "--config", str(config))[0] == 1
    db = tmp_path / "history.db"
    with sqlite3.connect(db) as connection:  # as a read-only copy would be: no WAL
        connection.execute("PRAGMA journal_mode=DELETE")
    before = db.read_bytes()
    finding = json.loads(run(capsys, "history", "--config", str(config), "--format", "json")[1])
    for args in (
        ["history"],
        ["stats"],
        ["runs"],
        ["show", finding["findings"][0]["id"][:12]],
    ):
        code, _, err = run(capsys, *args, "--config", str(config))
        assert code == 0, err
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert db.read_bytes() == before and not (tmp_path / "history.db-wal").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_commands_on_a_read_only_directory(
    tmp_path: Path, repo: GitRemote, capsys: pytest.CaptureFixture[str]
) -> None:  # pragma: no cover - runs only as a non-root user
    config = write_config(tmp_path, repo)
    assert run(capsys, "audit", "--config", str(config))[0] == 0
    readonly = tmp_path / "ro"
    readonly.mkdir()
    (readonly / "history.db").write_bytes((tmp_path / "history.db").read_bytes())
    readonly.chmod(0o555)
    try:
        code, _, err = run(capsys, "runs", "--db", f"sqlite:///{readonly / 'history.db'}")
    finally:
        readonly.chmod(0o755)
    assert code == 0, err


# -- 10: capped values, view manifests ---------------------------------------------------------


def test_huge_annotation_is_capped_before_it_is_stored_or_shown(
    tmp_path: Path, repo: GitRemote, capsys: pytest.CaptureFixture[str]
) -> None:
    huge = "A" * (2 * 1024 * 1024)
    (tmp_path / "live.yaml").write_text(live(huge))
    config = write_config(tmp_path, repo)
    code, out, err = run(capsys, "audit", "--config", str(config), "--format", "json")
    assert code == 1, err
    change = next(
        c for f in json.loads(out)["findings"] for c in f["changes"] if "note" in c["path"]
    )
    assert change["live"].endswith(f"… [truncated: {len(huge)} bytes]")
    assert len(change["live"]) < 5000
    assert len(database_bytes(tmp_path)) < 1024 * 1024
    code, out, _ = run(capsys, "history", "--config", str(config), "--format", "json")
    stored = json.loads(out)["findings"][0]
    assert len(json.dumps(stored)) < 20_000


def test_analyze_source_findings_are_view_manifests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text("not: [valid")
    (tmp_path / "route.yaml").write_text(ROUTE)
    code, out, _ = run(capsys, "analyze", str(tmp_path), "--format", "json")
    findings = json.loads(out)["findings"]
    assert "PDA-SRC-001" in {f["check"] for f in findings}
    assert {f["view"] for f in findings} == {"manifests"}
    assert code == 3


@pytest.mark.parametrize(
    ("interrupt", "expected", "said"),
    [
        (lambda: signal.raise_signal(signal.SIGTERM), 143, "terminated\n"),
        (lambda: signal.raise_signal(signal.SIGINT), 130, "\ninterrupted\n"),
        (lambda: (_ for _ in ()).throw(EOFError()), 2, "\naborted\n"),
    ],
)
def test_signals_in_process_restore_the_handlers(
    tmp_path: Path,
    repo: GitRemote,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: Any,
    interrupt: Any,
    expected: int,
    said: str,
) -> None:
    monkeypatch.setattr("auditor.app.service.run_audit", lambda *a, **k: interrupt())
    before = signal.getsignal(signal.SIGTERM)
    code, out, err = run(capsys, "audit", "--config", str(write_config(tmp_path, repo)))
    assert (code, out, err) == (expected, "", said)
    assert signal.getsignal(signal.SIGTERM) is before


def test_symlink_loop_is_named_as_a_loop(
    tmp_path: Path, repo: GitRemote, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.symlink("ping.yaml", "pong.yaml")
    repo.symlink("pong.yaml", "ping.yaml")
    repo.commit(message="a loop")
    config = write_config(tmp_path, repo)
    code, out, err = run(capsys, "audit", "--config", str(config), "--format", "json")
    messages = {f["message"] for f in json.loads(out)["findings"] if f["check"] == "PDA-SRC-003"}
    assert messages == {
        "ping.yaml: symlink to 'pong.yaml' is a symlink loop (it never reaches a file); not followed",
        "pong.yaml: symlink to 'ping.yaml' is a symlink loop (it never reaches a file); not followed",
    }
    assert code == 3 and "outside the repository" not in out + err


def test_read_command_on_an_empty_database_neither_initializes_nor_reports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    code, out, err = run(capsys, "history", "--db", f"sqlite:///{empty}")
    assert code == 2 and out == ""
    assert "the database holds no auditor history yet (run `auditor audit` first)" in err
    assert empty.stat().st_size == 0


def test_huge_object_name_is_capped_in_tables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "n" * 100_000
    route = ROUTE.replace("name: web, namespace", f"name: {name}, namespace")
    (tmp_path / "route.yaml").write_text(route)
    code, out, _ = run(capsys, "analyze", str(tmp_path / "route.yaml"))
    assert code == 1 and "truncated" in out
    assert len(out) < 60_000  # uncapped, every cell and message naming it holds 100 kB
