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

# The QEMU tests' guest (org.havirt.testing.TestGuest, docs/kvm.md) is built at test time from
# two Debian packages, fetched (not installed) into a cache that outlives "mvn clean": the cloud
# kernel that linux-image-cloud-amd64 depends on now, and busybox-static. Nothing else is
# downloaded. Without them the guest tests fail with a message that points here.
guest_debs=${HAVIRT_TEST_GUEST_DEBS:-/var/cache/havirt-test-guest}
guest_kernel() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1
}
if [ "$(id -u)" -eq 0 ]; then
  kernel=$(guest_kernel)
  if [ -z "$kernel" ]; then
    apt-get update -qq
    kernel=$(guest_kernel)
  fi
  [ -n "$kernel" ] || { echo "run-tests: apt knows no linux-image-cloud-amd64" >&2; exit 2; }
  mkdir -p "$guest_debs"
  fetch=()
  compgen -G "$guest_debs/${kernel}_*.deb" >/dev/null || fetch+=("$kernel")
  compgen -G "$guest_debs/busybox-static_*.deb" >/dev/null || fetch+=(busybox-static)
  if [ ${#fetch[@]} -gt 0 ]; then
    # An outdated package list names versions the mirror no longer has: refresh it and retry.
    (cd "$guest_debs" && apt-get download -qq "${fetch[@]}" 2>/dev/null) ||
      { apt-get update -qq && (cd "$guest_debs" && apt-get download -qq "${fetch[@]}"); }
  fi
  # One kernel only: the one linux-image-cloud-amd64 depends on now.
  find "$guest_debs" -maxdepth 1 -name 'linux-image-*-cloud-amd64_*.deb' ! -name "${kernel}_*" -delete
elif ! compgen -G "$guest_debs/busybox-static_*.deb" >/dev/null; then
  echo "run-tests: no test guest packages in $guest_debs (run as root to fetch them)" >&2
fi

exec mvn -B -ntp verify "$@"
