"""HN-006 messages: a ListenerSet whose every listener loses is ListenersNotValid (conformance
ListenerSetHostnameConflict: "-with-gateway-2" and "-with-listener-set-2" are
Accepted=False ListenersNotValid, "-with-gateway-1" stays accepted)."""

from __future__ import annotations

from auditor.checks.gateway import check_gateway
from tests.unit.test_gateway_scenarios import DATA, build_state, load, settings_of


def test_emptied_listenerset_is_named_listeners_not_valid() -> None:
    path = DATA / "hn_08_listenerset_hostname_conflict.yaml"
    header, bodies = load(path)
    findings = check_gateway(build_state(header, bodies, path.name), settings=settings_of(header))
    by_owner = {f.object.name: f.message for f in findings if f.object and f.check == "PDA-HN-006"}
    emptied = {name for name, message in by_owner.items() if "ListenersNotValid" in message}
    assert emptied == {
        "listenerset-with-hostname-conflict-with-gateway-2",
        "listenerset-with-hostname-conflict-with-listener-set-2",
    }
    assert (
        "takes precedence in the merge order"
        in by_owner["listenerset-with-hostname-conflict-with-gateway-1"]
    )
