#!/bin/sh
# Installs what patchbay needs to build and test on Debian 12 (bookworm).
# Runs apt-get as root, through sudo when started by another user.
set -eu
packages="build-essential cmake pkg-config clang libclang-rt-14-dev libev-dev libjansson-dev \
libnl-3-dev libnl-route-3-dev libmnl-dev libnftnl-dev check clang-format \
iproute2 iputils-ping nftables procps python3 socat"

if [ "$(id -u)" -ne 0 ]; then
	exec sudo "$0" "$@"
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $packages
