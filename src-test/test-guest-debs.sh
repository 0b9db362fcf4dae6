#!/usr/bin/env bash
# Fetches the two Debian packages the QEMU tests' guest (org.havirt.testing.TestGuest, see
# docs/kvm.md) is built from, with apt-get download (nothing is installed), into a cache that
# outlives "mvn clean": the cloud kernel that linux-image-cloud-amd64 depends on now, and
# busybox-static. Nothing else is downloaded. Does nothing when they are there. As root only;
# otherwise it says what is missing. Used by src-test/run-tests.sh and src-test/bench/run.sh.
set -euo pipefail
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
  [ -n "$kernel" ] || { echo "test-guest-debs: apt knows no linux-image-cloud-amd64" >&2; exit 2; }
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
  echo "test-guest-debs: no test guest packages in $guest_debs (run as root to fetch them)" >&2
fi

