#!/usr/bin/env bash
# Unpacks a real ZooKeeper into DIR for the probe's tests: the Debian packages in packages.txt,
# fetched with `apt-get download` (no root, nothing installed), checked against their sha256, and
# unpacked with `dpkg-deb -x`. The server then runs on the machine's Java 17 from DIR/lib.
set -euo pipefail
dir=${1:?usage: install.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$dir" && mkdir -p "$dir/debs" "$dir/root" "$dir/lib"
cd "$dir/debs"
grep -v '^#' "$here/packages.txt" | while read -r package version sha256; do
  [ -n "$package" ] || continue
  apt-get download -qq "$package=$version" 2>/dev/null \
    || { echo "apt-get download $package=$version failed (apt-get update may be needed)" >&2; exit 1; }
  deb=$(ls "${package}"_*.deb)
  echo "$sha256  $deb" | sha256sum --check --quiet
  dpkg-deb -x "$deb" "$dir/root"
done
for jar in zookeeper zookeeper-jute slf4j-api slf4j-simple metrics-core commons-io snappy-java; do
  cp -L "$dir/root/usr/share/java/$jar.jar" "$dir/lib/"
done
# Netty, for the TLS port (ZooKeeper's NettyServerCnxnFactory): each module's jar, since Debian's
# netty-all only names them in its manifest.
for jar in common buffer transport handler codec resolver transport-native-unix-common transport-native-epoll; do
  cp -L "$dir/root/usr/share/java/netty-$jar.jar" "$dir/lib/"
done
touch "$dir/.installed"
