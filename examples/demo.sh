#!/bin/sh
# Demo lab: two public routers on the IX, two devices on each, a ping and a
# probe between them, a slow link, regions and a partition; then a home
# office loaded from examples/home-office.json with a DNS name, a packet
# capture and an IPv6-only phone behind NAT64; then everything torn down.  Runs against an
# autostarted patchbayd (rootless when you are not root).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
PBCTL=${PBCTL:-$here/build/bin/pbctl}
export PATCHBAY_SOCKET=${PATCHBAY_SOCKET:-${TMPDIR:-/tmp}/patchbay-demo-$(id -u)/patchbayd.sock}
pb() { "$PBCTL" "$@"; }

cleanup() {
	pb --no-autostart lab rm demo >/dev/null 2>&1 || true
	pb --no-autostart shutdown >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

echo "== the daemon (started on demand at $PATCHBAY_SOCKET)"
pb info
echo
echo "== a lab: routers dc-east and dc-west on the IX, two devices on each"
pb lab create demo --lifetime daemon >/dev/null
pb router add demo dc-east --ip dual >/dev/null
pb router add demo dc-west --ip dual >/dev/null
pb device add demo laptop --via dc-east >/dev/null
pb device add demo phone --via dc-east >/dev/null
pb device add demo server --via dc-west >/dev/null
pb device add demo backup --via dc-west >/dev/null
pb router ls demo
echo
pb device ls demo
echo
server_ip=$(pb --field ip device show demo server)
server_ip6=$(pb --field ip6 device show demo server)

echo "== ping server ($server_ip and $server_ip6) from laptop, across both routers"
pb run demo laptop -- ping -n -c 3 -i 0.2 "$server_ip"
pb run demo laptop -- ping -n -c 1 "$server_ip6"
echo
echo "== a UDP reflector on server, probed from phone: the address server sees"
pb reflector start demo server "$server_ip:3478" >/dev/null
pb probe demo phone "$server_ip:3478"
echo
echo "== phone moves to a bad mobile link: 60 ms each way, then back"
pb iface cond demo phone eth0 latency=60 --dir both >/dev/null
pb run demo phone -- ping -n -c 3 -i 0.3 "$server_ip"
pb iface cond demo phone eth0 null >/dev/null
pb run demo phone -- ping -n -c 1 "$server_ip"
echo
echo "== regions: us, eu and asia; a data centre in eu and one in asia"
pb region defaults demo
pb router add demo dc-eu --region eu >/dev/null
pb router add demo dc-asia --region asia >/dev/null
asia_gw=$(pb --field downstream.gw router show demo dc-asia)
echo "-- eu to asia directly: 120 ms each way"
pb run demo dc-eu -- ping -n -c 2 -i 0.3 "$asia_gw"
pb region break demo eu asia
echo "-- eu-asia link broken: traffic goes round through us (40 + 95 ms)"
pb run demo dc-eu -- ping -n -c 2 -i 0.3 "$asia_gw"
pb region restore demo eu asia
echo
echo "== a home office from a topology file: CGNAT ISP, home router, WiFi devices"
pb load "$here/examples/home-office.json" --name office >/dev/null
pb router ls office
office_srv=$(pb --field ip device show office server)
pb reflector start office server "$office_srv:3478" >/dev/null
echo "-- the laptop, behind home NAT and CGNAT, as the server sees it:"
pb probe office laptop "$office_srv:3478"
echo
echo "== DNS: a name for the server, seen by every process in every device"
pb dns add office files.example "$office_srv"
pb run office desktop -- getent hosts files.example
echo
echo "== a capture of the laptop's WiFi while it probes the server"
pcap=${TMPDIR:-/tmp}/patchbay-demo-$(id -u)/laptop.pcap
id=$(pb --field id capture start office laptop wlan0 -w "$pcap")
pb probe office laptop "$office_srv:3478" >/dev/null
pb capture stop office "$id"
echo
echo "== NAT64: an IPv6-only phone behind an isp-v6 carrier reaches the IPv4 server"
pb router add office carrier --preset isp-v6 >/dev/null
pb device add office phone6 --via carrier >/dev/null
pb probe office phone6 "[64:ff9b::$office_srv]:3478"
pb lab rm office
echo
echo "== tear down"
pb lab rm demo
pb shutdown
echo "done: the lab is gone and the daemon has stopped"
