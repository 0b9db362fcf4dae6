#!/usr/bin/env bash
# The whole havirt test suite: unit tests of every module, then the cross-module integration
# tests in src-test. Works on a fresh Debian 12 with Java 17 and Maven: it installs the Debian
# packages the integration tests need (as root, with apt-get) and Maven fetches the rest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Debian packages the tests use. Each later fixture adds its own here.
# resource-agents gives ocf-tester (and xmllint via libxml2-utils); python3 runs the OCF agent;
# rpm reads the built .rpm; groff checks the man pages; corosync and Pacemaker make the two-node
# cluster of PacemakerTwoNodeIT (iproute2 and util-linux give it its namespaces); isoinfo
# (genisoimage) reads the DR payload images the KVM backend writes; systemd gives systemd-analyze,
# which checks the unit and its exposure score (nothing starts it), and strace records the
# agent's system calls against the unit's filter.
packages=(libvirt-daemon libvirt-clients libvirt0 libvirt-daemon-driver-qemu qemu-system-x86
  resource-agents libxml2-utils python3 rpm groff-base corosync pacemaker pacemaker-cli-utils
  iproute2 util-linux genisoimage systemd strace)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "run-tests: missing Debian packages: ${missing[*]} (run as root to install them)" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The QEMU tests' guest (org.havirt.testing.TestGuest) is built from two Debian packages that
# this fetches (never installs) into a cache; without them the guest tests fail, pointing here.
src-test/test-guest-debs.sh

exec mvn -B -ntp verify "$@"
