#!/bin/sh
# pbctl's command line against a fake daemon: usage errors, help for every
# command, the exact params each command sends, and table rendering.
# Usage: test-pbctl-cli.sh   ($PBCTL from ctest; needs python3)
set -eu

tmp=$(mktemp -d /tmp/pbctl-cli.XXXXXX)
sock="$tmp/fake.sock"
log="$tmp/requests.jsonl"
fake_pid=
cleanup() {
	[ -z "$fake_pid" ] || kill "$fake_pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# The fake daemon: records every request line, answers {} or a canned result.
cat >"$tmp/fake.py" <<'EOF'
import base64, json, socket, sys, threading

path, log = sys.argv[1], sys.argv[2]
ix = {"gw4": "198.18.0.1", "gw6": "2001:db8::1", "cidr4": "198.18.0.0/24", "cidr6": "2001:db8::/64"}
home = {"name": "home", "uplink": {"iface": "ix", "ip": "198.18.0.10", "ip6": None, "ll6": None},
        "downstream": {"cidr": "10.0.1.0/24", "gw": "10.0.1.1", "cidr6": None, "gw6": None},
        "nat": "home", "nat_config": None, "nat_v6": "none", "firewall": "block-inbound",
        "ip_support": "v4-only", "mtu": None, "region": None, "upstream": None,
        "downlink_condition": None, "devices": ["laptop"]}
corp = dict(home, name="corp", nat="custom", nat_config={"mapping": "edm"},
            firewall={"block_inbound": True, "tcp": {"allow": [80, 443]}, "udp": "none"},
            upstream="home", devices=[],
            uplink={"iface": "wan", "ip": "10.0.1.3", "ip6": None, "ll6": None},
            downstream={"cidr": "10.0.2.0/24", "gw": "10.0.2.1", "cidr6": None, "gw6": None})
laptop = {"name": "laptop", "default_via": "wlan0", "ip": "10.0.1.2", "ip6": None, "mtu": None,
          "ifaces": [
              {"name": "eth0", "router": "home", "ip": "10.0.1.4", "prefix": 24, "ip6": None,
               "ll6": None, "condition": None, "up": True,
               "counters": {"rx_bytes": 2048, "tx_bytes": 10}},
              {"name": "wlan0", "router": "home", "ip": "10.0.1.2", "prefix": 24, "ip6": None,
               "ll6": None, "condition": {"preset": "wifi", "latency_ms": 20},
               "direction": "both", "up": False}]}
state = {"name": "lab1", "lifetime": "daemon", "outdir": None, "created": "2026-11-25T05:00:00Z",
         "ix": ix, "routers": [home, corp], "devices": [laptop],
         "regions": [{"name": "us", "router": "region_us", "cidr4": "198.18.16.0/20", "links": ["eu"]}],
         "region_links": [{"a": "us", "b": "eu", "condition": {"latency_ms": 40}, "broken": True}],
         "procs": [{"proc": 7, "pid": 42, "lab": "lab1", "node": "laptop", "name": "srv",
                    "argv": ["nc", "-l", "hello world"], "running": False, "exit_code": None,
                    "signal": 9}],
         "dns": {"entries": [{"name": "server", "ip": "198.18.0.1", "device": None}],
                 "nameserver": "198.18.0.53"},
         "captures": [{"id": 3, "node": "home", "iface": "ix", "path": "/tmp/x.pcap"}],
         "reflectors": []}
canned = {
    "lab.state": state,
    "lab.list": [{"name": "lab1", "lifetime": "daemon", "ix": ix, "routers": 2, "devices": 1,
                  "regions": 1, "procs": 0, "created": "2026-11-25T05:00:00Z"},
                 {"name": "lab2", "lifetime": "session", "ix": ix, "routers": 0, "devices": 0,
                  "regions": 0, "procs": 0, "created": "2026-11-25T05:01:00Z"}],
    "lab.create": {"name": "lab1", "lifetime": "daemon", "outdir": None, "ix": ix},
    "lab.export": {"routers": [{"name": "home", "preset": "home"}]},
    "router.get": corp,
    "device.get": laptop,
    "node.exec": {"exit_code": 3, "signal": None, "stdout": "out\n", "stderr": "err\n",
                  "truncated": False, "wall_ms": 1.5},
    "node.spawn": {"proc": 12, "pid": 99},
    "node.probe": {"observed": "198.18.0.10:4000", "rtt_ms": 1.25},
    "proc.wait": {"exit_code": None, "signal": 9},
    "proc.list": state["procs"],
    "dns.resolve": {"ip": "198.18.0.1"},
    "capture.start": {"id": 3, "path": "/tmp/x.pcap"},
    "capture.stop": {"id": 3, "path": "/tmp/x.pcap", "packets": 5, "bytes": 300, "dropped": 0},
}

def answer(method, params):
    if params.get("lab") == "nosuch":
        return None, {"code": -32001, "message": "no lab named nosuch",
                      "data": {"error": "patchbay.NoSuchLab"}}
    if method == "proc.output":
        # Two chunks, then end of file.
        off = params.get("offset", 0)
        if off >= 12:
            return {"data": "", "offset": off, "eof": True}, None
        chunk = b"hello\n" if off == 0 else b"\xffbin\n\x00"
        data = base64.b64encode(chunk).decode() if params.get("encoding") == "base64" \
            else chunk.decode(errors="replace")
        return {"data": data, "offset": off + 6, "eof": False}, None
    return canned.get(method, {}), None

def serve(conn):
    with conn, conn.makefile("rb") as f:
        for line in f:
            with open(log, "a") as out:
                out.write(line.decode())
            req = json.loads(line)
            if "id" not in req:
                continue
            res, err = answer(req["method"], req.get("params") or {})
            reply = {"jsonrpc": "2.0", "id": req["id"]}
            reply.update({"error": err} if err else {"result": res})
            frames = [reply]
            if req["method"] == "events.subscribe":
                frames += [{"jsonrpc": "2.0", "method": "event", "params": {
                    "seq": 1, "time": "2026-11-25T05:24:27.123Z", "lab": "lab1",
                    "kind": "device_added", "device": laptop}},
                    {"jsonrpc": "2.0", "method": "event", "params": {
                        "seq": 2, "time": "2026-11-25T05:24:28.000Z", "lab": "lab1",
                        "kind": "condition_changed", "target": "iface", "device": "laptop",
                        "iface": "eth0", "condition": {"latency_ms": 20, "loss_pct": 1.5}}}]
            conn.sendall("".join(json.dumps(x) + "\n" for x in frames).encode())

srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(16)
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF

python3 "$tmp/fake.py" "$sock" "$log" &
fake_pid=$!
for _ in $(seq 100); do
	[ -S "$sock" ] && break
	sleep 0.05
done
[ -S "$sock" ] || fail "the fake daemon did not start"

# run_rc WANT CMD...: run pbctl against the fake daemon with a fresh request log.
run_rc() {
	want=$1
	shift
	: >"$log"
	set +e
	"$PBCTL" --no-autostart --socket "$sock" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] ||
		fail "'pbctl $*' exited $rc, wanted $want; stderr: $(cat "$tmp/err")"
}

# check EXPR: a Python expression over the recorded requests: 'reqs' (all),
# 'm' and 'p' (method and params of the last one).
check() {
	python3 - "$log" "$1" <<'EOF' || fail "$1; requests: $(cat "$log")"
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
m = reqs[-1]["method"] if reqs else None
p = reqs[-1].get("params") if reqs else None
sys.exit(0 if eval(sys.argv[2]) else 1)
EOF
}

out_has() { grep -q -- "$1" "$tmp/out" || fail "no '$1' in output: $(cat "$tmp/out")"; }
err_has() { grep -q -- "$1" "$tmp/err" || fail "no '$1' on stderr: $(cat "$tmp/err")"; }

# --- Help: every group and every verb. ---
run_rc 0 --help
out_has '^Topology:'
for g in $("$PBCTL" __complete groups); do
	run_rc 0 "$g" --help
	out_has '^Usage: pbctl '"$g"
	run_rc 0 help "$g"
	out_has '^Usage: pbctl '"$g"
	for v in $("$PBCTL" __complete verbs "$g"); do
		run_rc 0 "$g" "$v" --help
		out_has "^Usage: pbctl $g $v"
		run_rc 0 help "$g" "$v"
		out_has "^Usage: pbctl $g $v"
	done
done
[ ! -s "$log" ] || fail "help talked to the daemon: $(cat "$log")"

# --- Usage errors: exit 1, the verb's own usage line, nothing sent. ---
usage_error() {
	run_rc 1 "$@"
	err_has '^Usage: pbctl '
	[ ! -s "$log" ] || fail "'pbctl $*' sent a request: $(cat "$log")"
}
usage_error lab
usage_error lab frobnicate
usage_error frobnicate
usage_error router add lab1
err_has 'missing NAME'
err_has '^Usage: pbctl router add LAB NAME'
usage_error router add lab1 r1 surplus
usage_error router add lab1 r1 --mtu big
usage_error router add lab1 r1 --bogus
usage_error router add lab1 r1 --mtu
usage_error router add lab1 r1 --ip v5
usage_error router add lab1 r1 --downlink latency=fast
usage_error router add lab1 r1 --downlink speed=1
usage_error router add lab1 r1 --nat 'mapping=edm,colour=red'
usage_error router add lab1 r1 --firewall '{"tcp":'
usage_error router set-nat lab1 r1
usage_error device add lab1 d1
usage_error device add lab1 d1 --iface eth0
usage_error device add lab1 d1 --via home --iface eth0:home
usage_error device add lab1 d1 --iface eth0:home --cond wifi
usage_error iface add-ip lab1 d1 eth0 10.0.0.1/200
usage_error exec lab1 dev
usage_error exec lab1
usage_error run lab1 dev --timeout
usage_error spawn lab1
usage_error proc wait notanumber
usage_error proc write 3
usage_error capture stop lab1 x
usage_error capture lab1 home ix --duration soon
usage_error capture lab1 home
usage_error lab rm
usage_error lab rm --all lab1
usage_error events --count 0
usage_error info surplus
usage_error call
usage_error lab create --lifetime

# --- Params, command by command. ---
run_rc 0 lab create lab1
check 'm == "lab.create" and p == {"name": "lab1", "lifetime": "daemon"}'
out_has '^ix  *198.18.0.1 (198.18.0.0/24), 2001:db8::1 (2001:db8::/64)$'
run_rc 0 lab create lab1 --lifetime session --outdir rel/out --dad --addressing private4=10.9.0.0/16
check 'p["lifetime"] == "session" and p["ipv6_dad"] is True and p["outdir"].startswith("/") and p["outdir"].endswith("/rel/out") and p["addressing"] == {"private4": "10.9.0.0/16"}'
err_has 'session lab is destroyed'
run_rc 0 lab create --no-dad --addressing '{"ix4":"198.19.0.0/24"}'
check '"name" not in p and p["ipv6_dad"] is False and p["addressing"] == {"ix4": "198.19.0.0/24"}'
run_rc 0 lab ls
check 'm == "lab.list" and p is None'
out_has '^NAME  *LIFETIME  *ROUTERS'
out_has '^lab2  *session  *0 '
run_rc 0 lab rm lab1 lab2
check '[(r["method"], r["params"]) for r in reqs] == [("lab.destroy", {"lab": "lab1"}), ("lab.destroy", {"lab": "lab2"})]'
[ ! -s "$tmp/out" ] || fail "lab rm printed $(cat "$tmp/out")"
run_rc 0 lab rm --all
check '[r["method"] for r in reqs] == ["lab.list", "lab.destroy", "lab.destroy"]'
run_rc 2 lab rm nosuch lab2
check 'len(reqs) == 2'
err_has 'patchbay.NoSuchLab'
run_rc 0 lab state lab1
check 'm == "lab.state" and p == {"lab": "lab1"}'
out_has '"routers"'
run_rc 0 lab export lab1
check 'm == "lab.export" and p == {"lab": "lab1"}'
out_has '^  "routers": \['
run_rc 0 --json export lab1
out_has '^{"routers":'

printf '{"routers":[{"name":"r","preset":"home"}]}' >"$tmp/topo.json"
run_rc 0 load "$tmp/topo.json"
check 'm == "lab.load" and p == {"lifetime": "daemon", "topology": {"routers": [{"name": "r", "preset": "home"}]}}'
printf '{"name":"fromfile","topology":{"routers":[]}}' >"$tmp/params.json"
run_rc 0 load --name override - <"$tmp/params.json"
check 'p == {"name": "override", "lifetime": "daemon", "topology": {"routers": []}}'
run_rc 1 load "$tmp/does-not-exist.json"
err_has 'does-not-exist.json: No such file'
printf '[1]' >"$tmp/bad.json"
run_rc 1 load "$tmp/bad.json"
err_has 'not a JSON object'
[ ! -s "$log" ] || fail "load sent a bad document: $(cat "$log")"

run_rc 0 router add lab1 r1 --preset home --nat corporate --nat-v6 nptv6 \
	--firewall corporate --ip dual --upstream home --cidr 10.7.0.0/24 --mtu 1400 --block-frag \
	--downlink 'latency=20,loss=1.5%,rate=2mbit,jitter=3,preset=wifi'
check 'm == "router.add" and p == {"lab": "lab1", "name": "r1", "preset": "home", "nat": "corporate", "nat_v6": "nptv6", "firewall": "corporate", "ip_support": "dual-stack", "upstream": "home", "downstream_cidr": "10.7.0.0/24", "mtu": 1400, "block_icmp_frag_needed": True, "downlink_condition": {"latency_ms": 20, "loss_pct": 1.5, "rate_kbit": 2000, "jitter_ms": 3, "preset": "wifi"}}'
run_rc 0 router add lab1 r2 --region us --nat 'mapping=edm,filtering=eif,hairpin=yes,udp=30' \
	--firewall 'inbound=block,tcp=80,443,udp=none' --downlink none
check '"nat" not in p and p["nat_config"] == {"mapping": "edm", "filtering": "eif", "hairpin": True, "timeouts": {"udp": 30}} and p["firewall"] == {"block_inbound": True, "tcp": {"allow": [80, 443]}, "udp": "none"} and p["downlink_condition"] is None and p["region"] == "us"'
run_rc 0 router add lab1 r3 --nat '{"mapping":"eim"}' --firewall '{"udp":"all"}' --downlink wifi
check 'p["nat_config"] == {"mapping": "eim"} and p["firewall"] == {"udp": "all"} and p["downlink_condition"] == "wifi"'
run_rc 0 router show lab1 corp
check 'm == "router.get" and p == {"lab": "lab1", "name": "corp"}'
out_has '^nat  *custom {"mapping":"edm"}$'
out_has '^firewall  *inbound=block,tcp=80+443,udp=none$'
out_has '^via  *home$'
run_rc 0 router ls lab1
check 'm == "lab.state" and p == {"lab": "lab1"}'
out_has '^NAME  *UPLINK  *LAN  *NAT  *NAT6  *FIREWALL  *VIA$'
out_has '^home  *198.18.0.10  *10.0.1.0/24  *home  *none  *block-inbound  *ix$'
out_has '^corp  *10.0.1.3  *10.0.2.0/24  *custom '
run_rc 0 --json router ls lab1
python3 -c 'import json,sys; v=json.load(open(sys.argv[1])); assert [r["name"] for r in v] == ["home", "corp"]' "$tmp/out" ||
	fail "router ls --json: $(cat "$tmp/out")"
run_rc 0 router ls lab1 --field 1.name
[ "$(cat "$tmp/out")" = corp ] || fail "--field after the command: $(cat "$tmp/out")"
run_rc 0 router rm lab1 r1
check 'm == "router.remove" and p == {"lab": "lab1", "name": "r1"}'
run_rc 0 router set-nat lab1 r1 full-cone
check 'm == "router.set_nat" and p == {"lab": "lab1", "name": "r1", "nat": "full-cone"}'
run_rc 0 router set-nat lab1 r1 mapping=eim
check 'p == {"lab": "lab1", "name": "r1", "nat_config": {"mapping": "eim"}}'
run_rc 0 router set-nat-v6 lab1 r1 nat64
check 'm == "router.set_nat_v6" and p["nat_v6"] == "nat64"'
run_rc 0 router set-firewall lab1 r1 block-inbound --no-block-frag
check 'm == "router.set_firewall" and p == {"lab": "lab1", "name": "r1", "firewall": "block-inbound", "block_icmp_frag_needed": False}'
run_rc 0 router set-downlink lab1 r1 'delay=1s,dup=2'
check 'm == "router.set_downlink_condition" and p["condition"] == {"latency_ms": 1000, "duplicate_pct": 2}'
run_rc 0 router flush-nat lab1 r1
check 'm == "router.flush_nat" and p == {"lab": "lab1", "name": "r1"}'
run_rc 2 router ls nosuch
err_has 'patchbay.NoSuchLab'

run_rc 0 device add lab1 d1 --iface eth0:home --iface 'wlan0:cafe:latency=5:both' \
	--iface 'wwan0:isp:{"loss_pct":1}' --default-via wlan0 --mtu 1280
check 'm == "device.add" and p == {"lab": "lab1", "name": "d1", "ifaces": [{"name": "eth0", "router": "home"}, {"name": "wlan0", "router": "cafe", "direction": "both", "condition": {"latency_ms": 5}}, {"name": "wwan0", "router": "isp", "condition": {"loss_pct": 1}}], "default_via": "wlan0", "mtu": 1280}'
run_rc 0 device add lab1 d2 --via home --cond mobile-4g --dir down
check 'p["ifaces"] == [{"name": "eth0", "router": "home", "direction": "down", "condition": "mobile-4g"}]'
run_rc 0 device add lab1 d3 -v home
check 'p["ifaces"] == [{"name": "eth0", "router": "home"}]'
out_has '^DEVICE  *IFACE  *ROUTER'
run_rc 0 device ls lab1
out_has '^NAME  *IFACES  *IP  *IP6  *DEFAULT_VIA$'
out_has '^laptop  *eth0@home, wlan0@home  *10.0.1.2  *-  *wlan0$'
run_rc 0 device show lab1 laptop
check 'm == "device.get" and p == {"lab": "lab1", "name": "laptop"}'
out_has '^laptop  *wlan0  *home  *10.0.1.2/24  *-  *preset=wifi,latency=20 (both)  *down'
run_rc 0 device rm lab1 laptop
check 'm == "device.remove" and p == {"lab": "lab1", "name": "laptop"}'
run_rc 0 device set-default lab1 laptop eth0
check 'm == "device.set_default_route" and p == {"lab": "lab1", "name": "laptop", "iface": "eth0"}'

run_rc 0 iface add lab1 laptop wlan1 cafe --cond satellite
check 'm == "iface.add" and p == {"lab": "lab1", "device": "laptop", "iface": "wlan1", "router": "cafe", "condition": "satellite"}'
for v in rm:iface.remove up:iface.up down:iface.down renew:iface.renew_ip; do
	run_rc 0 iface "${v%%:*}" lab1 laptop eth0
	check "m == '${v#*:}' and p == {'lab': 'lab1', 'device': 'laptop', 'iface': 'eth0'}"
done
run_rc 0 iface replug lab1 laptop eth0 corp
check 'm == "iface.replug" and p["router"] == "corp"'
run_rc 0 iface add-ip lab1 laptop eth0 192.168.5.5/24
check 'm == "iface.add_ip" and p == {"lab": "lab1", "device": "laptop", "iface": "eth0", "ip": "192.168.5.5", "prefix": 24}'
run_rc 0 iface add-ip lab1 laptop eth0 fd00::5
check 'p["ip"] == "fd00::5" and p["prefix"] == 128'
run_rc 0 iface cond lab1 laptop eth0 null --dir both
check 'm == "iface.set_condition" and p == {"lab": "lab1", "device": "laptop", "iface": "eth0", "condition": None, "direction": "both"}'
run_rc 0 iface ls lab1 laptop
out_has '^laptop  *eth0  *home  *10.0.1.4/24  *-  *-  *up  *2.0K  *10$'
run_rc 2 iface ls lab1 nobody
run_rc 0 link cond lab1 laptop home 'rate=500' --dir b-to-a
check 'm == "link.set_condition" and p == {"lab": "lab1", "a": "laptop", "b": "home", "condition": {"rate_kbit": 500}, "direction": "b-to-a"}'

run_rc 0 region add lab1 us
check 'm == "region.add" and p == {"lab": "lab1", "name": "us"}'
run_rc 0 region rm lab1 us
check 'm == "region.remove" and p == {"lab": "lab1", "name": "us"}'
run_rc 0 region link lab1 us eu latency=40
check 'm == "region.link" and p == {"lab": "lab1", "a": "us", "b": "eu", "condition": {"latency_ms": 40}}'
run_rc 0 region link lab1 us eu
check 'p["condition"] is None'
run_rc 0 region break lab1 us eu
check 'm == "region.break" and p == {"lab": "lab1", "a": "us", "b": "eu"}'
run_rc 0 region restore lab1 us eu
check 'm == "region.restore"'
run_rc 0 region defaults lab1
check 'm == "region.add_defaults" and p == {"lab": "lab1"}'
run_rc 0 region ls lab1
out_has '^us  *region_us  *198.18.16.0/20  *eu$'
out_has '^us <-> eu  *latency=40  *broken$'

run_rc 0 dns add lab1 server 198.18.0.1 --device laptop
check 'm == "dns.add" and p == {"lab": "lab1", "name": "server", "ip": "198.18.0.1", "device": "laptop"}'
run_rc 0 dns ns lab1 198.18.0.53
check 'm == "dns.set_nameserver" and p == {"lab": "lab1", "ip": "198.18.0.53"}'
run_rc 0 dns resolve lab1 server
check 'm == "dns.resolve" and p == {"lab": "lab1", "name": "server"}'
[ "$(cat "$tmp/out")" = 198.18.0.1 ] || fail "dns resolve printed $(cat "$tmp/out")"
run_rc 0 dns ls lab1
out_has '^server  *198.18.0.1  *(lab)$'
out_has '^nameserver 198.18.0.53$'

run_rc 0 capture start lab1 home ix --path cap.pcap
check 'm == "capture.start" and p["node"] == "home" and p["iface"] == "ix" and p["path"].endswith("/cap.pcap") and p["path"].startswith("/")'
run_rc 0 capture stop lab1 3
check 'm == "capture.stop" and p == {"lab": "lab1", "id": 3}'
run_rc 0 capture ls lab1
out_has '^3  *home  *ix  *-  */tmp/x.pcap$'
# The unnamed verb: start, wait, stop, report.
run_rc 0 capture lab1 home ix -w cap.pcap --duration 0.1
check 'len(reqs) == 2 and reqs[0]["method"] == "capture.start" and reqs[0]["params"]["path"].endswith("/cap.pcap") and m == "capture.stop" and p == {"lab": "lab1", "id": 3}'
out_has '^/tmp/x.pcap: 5 packets, 300 bytes, 0 dropped$'
run_rc 0 --json capture lab1 home ix --duration 0.1
out_has '"packets": *5'

# Commands run in nodes: options may precede the command, which may also follow "--".
run_rc 3 run lab1 laptop --timeout 500 --env A=1 --env HOME -C sub sh -c 'exit 3'
check 'm == "node.exec" and p["argv"] == ["sh", "-c", "exit 3"] and p["timeout_ms"] == 500 and p["env"]["A"] == "1" and "HOME" in p["env"] and p["cwd"].endswith("/sub")'
[ "$(cat "$tmp/out")" = out ] || fail "run stdout: $(cat "$tmp/out")"
[ "$(cat "$tmp/err")" = err ] || fail "run stderr: $(cat "$tmp/err")"
echo 'input text' >"$tmp/stdin.txt"
run_rc 3 run lab1 laptop --stdin-file "$tmp/stdin.txt" -- cat --number
check 'p["argv"] == ["cat", "--number"] and p["stdin"] == "input text\n"'
run_rc 0 --json run lab1 laptop -- true
out_has '"exit_code":3'
run_rc 0 spawn lab1 laptop --name srv -- nc -l 7
check 'm == "node.spawn" and p == {"lab": "lab1", "node": "laptop", "argv": ["nc", "-l", "7"], "name": "srv"}'
[ "$(cat "$tmp/out")" = 12 ] || fail "spawn printed $(cat "$tmp/out")"
run_rc 0 proc ls
check 'm == "proc.list" and p is None'
out_has "^7  *42  *lab1  *laptop  *srv  *killed by SIGKILL  *nc -l 'hello world'$"
run_rc 0 proc ls lab1
check 'p == {"lab": "lab1"}'
run_rc 137 proc wait 7 --timeout 100
check 'm == "proc.wait" and p == {"proc": 7, "timeout_ms": 100}'
out_has '^killed by SIGKILL$'
run_rc 0 proc kill 7
check 'm == "proc.kill" and p == {"proc": 7}'
run_rc 0 proc kill 7 -9
check 'p == {"proc": 7, "signal": 9}'
run_rc 0 proc kill 7 HUP
check 'p == {"proc": 7, "signal": "HUP"}'
run_rc 0 proc logs 7 --stderr
check '[r["params"]["offset"] for r in reqs] == [0, 6, 12] and all(r["params"]["stream"] == "stderr" and r["params"]["encoding"] == "base64" for r in reqs)'
printf 'hello\n\377bin\n\000' | cmp -s - "$tmp/out" || fail "proc logs bytes: $(od -c "$tmp/out")"
run_rc 0 proc write 7 'hi there' --close -n
check 'm == "proc.write" and p == {"proc": 7, "data": "hi there\n", "close": True}'
printf 'a\001b' >"$tmp/bin"
run_rc 0 proc write 7 - <"$tmp/bin"
check 'p == {"proc": 7, "data": "YQFi", "encoding": "base64"}'
run_rc 0 proc write 7 --close
check 'p == {"proc": 7, "data": "", "close": True}'

run_rc 0 probe lab1 laptop 198.18.0.1:3478 --proto tcp --bind 0.0.0.0:4000 --timeout 200 --attempts 5
check 'm == "node.probe" and p == {"lab": "lab1", "node": "laptop", "target": "198.18.0.1:3478", "proto": "tcp", "bind": "0.0.0.0:4000", "timeout_ms": 200, "attempts": 5}'
out_has '^observed 198.18.0.10:4000  rtt 1.250 ms$'
run_rc 0 reflector start lab1 ix 3478 --proto udp
check 'm == "node.reflector" and p == {"lab": "lab1", "node": "ix", "bind": "0.0.0.0:3478", "proto": "udp"}'
run_rc 0 reflector start lab1 ix '[::]:0'
check 'p["bind"] == "[::]:0"'
run_rc 0 reflector stop lab1 2
check 'm == "node.reflector_stop" and p == {"lab": "lab1", "id": 2}'

# Events: human lines, then JSON lines.
run_rc 0 events lab1 --count 2
check 'm == "events.subscribe" and p == {"lab": "lab1"}'
out_has ' lab1 device_added device=laptop$'
out_has '^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.123 lab1 device_added'
out_has ' lab1 condition_changed target=iface device=laptop iface=eth0 condition=latency=20,loss=1.5$'
run_rc 0 --json events -n 1
check 'p is None'
[ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "events --json -n 1 printed $(cat "$tmp/out")"
out_has '^{"seq": *1,'

# lab show: every section.
run_rc 0 lab show lab1
out_has '^Lab lab1  (daemon, created 2026-11-25T05:00:00Z)$'
out_has '^Routers$'
out_has '^laptop  *eth0  *home  *10.0.1.4/24'
out_has '^  *wlan0\*  *home  *10.0.1.2/24  *-  *preset=wifi,latency=20 (both)$'
out_has '^Regions$'
out_has '^Processes$'
out_has '^DNS$'
out_has '^Captures$'
out_has '^Interfaces$'
out_has '^laptop  *eth0  *-  *2.0K  *-  *10  *-$'
if grep -q "$(printf '\033')" "$tmp/out"; then fail "escape sequences in piped output"; fi
run_rc 0 --json lab show lab1
out_has '^{"name":"lab1",'

# exec/shell need pb_node_enter: either it is missing, or node.enter is asked for.
set +e
"$PBCTL" --no-autostart --socket "$sock" exec lab1 laptop -- true >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "exec against a fake daemon succeeded"
grep -q 'cannot enter nodes\|node.enter' "$tmp/err" || fail "exec: $(cat "$tmp/err")"

# call and the completion helper.
run_rc 0 call router.get '{"lab":"lab1","name":"corp"}'
check 'm == "router.get" and p == {"lab": "lab1", "name": "corp"}'
[ "$("$PBCTL" __complete args router add)" = "$(printf 'LAB\nNAME')" ] || fail "__complete args"
"$PBCTL" __complete opts device add | grep -q '^--iface SPEC$' || fail "__complete opts"
"$PBCTL" __complete values COND | grep -q 'satellite-geo' || fail "__complete values"
run_rc 0 __complete names routers lab1
[ "$(cat "$tmp/out")" = "$(printf 'home\ncorp')" ] || fail "__complete names: $(cat "$tmp/out")"
run_rc 0 __complete names ifaces lab1 laptop
[ "$(cat "$tmp/out")" = "$(printf 'eth0\nwlan0')" ] || fail "__complete ifaces: $(cat "$tmp/out")"
echo "PASS pbctl_cli"
