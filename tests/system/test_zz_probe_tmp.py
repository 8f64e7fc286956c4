import json, time
from ansible_collections.strongswan.vici.plugins.module_utils.vici.session import Session
from ansible_collections.strongswan.vici.plugins.module_utils._operations.sa import ike_sa_list
from runtime_support import run_module_in_process
from test_tunnel_changes import _conn, _config, PSK

def test_probe(tunnel_pair, ledger, monkeypatch):
    monkeypatch.setenv("STRONGSWAN_VICI_LEDGER_DIR", str(ledger))
    pair = tunnel_pair.pair
    for n in (1, 2):
        pair.a.ip("addr", "add", "198.51.100.%d/32" % (10 + n), "dev", "lo")
        pair.b.ip("addr", "add", "203.0.113.%d/32" % (10 + n), "dev", "lo")
    _config(tunnel_pair.b, {"t%d" % n: _conn(pair, "b", n) for n in (1, 2)})
    _config(tunnel_pair.a, {"t%d" % n: _conn(pair, "a", n) for n in (1, 2)})
    time.sleep(3)
    with Session(tunnel_pair.a.socket_uri) as s:
        print("VERSION", s.version())
        print("CONNS", json.dumps(s.list_conns(), default=str))
        print("SAS", json.dumps(ike_sa_list(s.list_sas()), default=str))
        print("POL", json.dumps(s.list_policies(trap=True), default=str))
        print("POOLS", json.dumps(s.get_pools(leases=True), default=str))
    print("LEDGER", list(ledger.iterdir()))
