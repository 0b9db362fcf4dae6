#!/bin/bash
# The anchor of one lab node, started by lab.sh as
#   ip netns exec havirt-NODE unshare -m -u --propagation private node-init.sh LAB NODE
# so it already sits in the node's network namespace and in fresh mount and UTS namespaces. It
# mounts the node's private directories, records its pid (ip netns exec and unshare exec in
# place, so $$ is the anchor) and sleeps; lab.sh enters the node with nsenter -t <anchor>.
set -euo pipefail
LAB=$1 N=$2 D=$1/$2
hostname "$N"
# /usr, /etc and /var first (the binds below go on top): overlays whose changes stay in
# $D/overlay, so a dpkg -i inside this node (lab.sh install_deb) changes no global file.
for m in usr etc var; do
  mount -t overlay "lab-$N-$m" -o "lowerdir=/$m,upperdir=$D/overlay/$m/upper,workdir=$D/overlay/$m/work" "/$m"
done
mount -t tmpfs -o mode=1777,size=256m shm /dev/shm
for m in etc/corosync var/lib/corosync var/log/corosync var/lib/pacemaker var/log/pacemaker \
  run etc/libvirt var/lib/libvirt var/cache/libvirt var/log/libvirt; do
  mount --bind "$D/fs/${m//\//_}" "/$m"
done
mount --bind "$D/fs/hosts" /etc/hosts
mount --bind "$D/fs/ocf" /usr/lib/ocf/resource.d
echo $$ >"$D/anchor.pid"
exec sleep infinity
