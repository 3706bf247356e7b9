#!/bin/bash
# The Sluice image, without a daemon or a registry: a base from Debian packages (mmdebstrap) with the project's
# JDK (>= 25) linked in by jlink (Debian bookworm has no Java 25), then Jib adds the server's layers on top
# (jib:buildTar, update check off), and containerd imports the results as k8s.local/sluice:dev and
# k8s.local/sluice-operator:dev.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SLUICE_HOME=$(cd "$HERE/../.." && pwd)
R=${R:-${TMPDIR:-/tmp}/sluice-k8s}
. "$SLUICE_HOME/bin/java-home.sh"
mkdir -p $R/images $R/tmp
export TMPDIR=$R/tmp
BASE=$R/images/sluice-base.tar
STAMP="$("$JAVA_HOME/bin/java" -version 2>&1 | head -1) base-v1"
if [ ! -f $BASE ] || [ "$(cat $R/images/sluice-base.stamp 2>/dev/null)" != "$STAMP" ]; then
  mmdebstrap --variant=essential --include=ca-certificates,libstdc++6,libgomp1,zlib1g \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --aptopt='Apt::Install-Recommends "false"' \
    bookworm $R/images/sluice-rootfs.tar \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"
  rm -rf $R/images/sluice-rootfs; mkdir -p $R/images/sluice-rootfs
  tar -C $R/images/sluice-rootfs -xf $R/images/sluice-rootfs.tar
  modules=$("$JAVA_HOME/bin/java" --list-modules | sed 's/@.*//' | grep -v -x -e jdk.jlink -e jdk.jpackage -e jdk.incubator.vector | paste -sd, -)  # a runtime cannot link another
  "$JAVA_HOME/bin/jlink" --add-modules "$modules" --output $R/images/sluice-rootfs/opt/java \
    --strip-debug --no-man-pages --no-header-files --compress=zip-6
  $HERE/mkimage.sh k8s.local/sluice-base:25 $BASE $R/images/sluice-rootfs \
    --config.env PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env JAVA_HOME=/opt/java --config.env HOME=/tmp
  rm -rf $R/images/sluice-rootfs $R/images/sluice-rootfs.tar
  echo "$STAMP" > $R/images/sluice-base.stamp
fi
cd "$SLUICE_HOME"
[ -f sluice-server/target/sluice-server.jar ] || mvn -B -ntp -q -DskipTests install
mvn -B -ntp -q -pl sluice-server,sluice-operator -Djib.disableUpdateChecks=true -Djib.from.image=tar://$BASE jib:buildTar
for image in sluice-server/target/sluice-image.tar sluice-operator/target/sluice-operator-image.tar; do
  if [ -S $R/run/containerd.sock ]; then
    ctr --address $R/run/containerd.sock -n k8s.io images import $image
  fi
  ls -la $image
done
