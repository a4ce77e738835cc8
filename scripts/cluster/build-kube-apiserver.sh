#!/usr/bin/env bash
# Builds a real kube-apiserver (Kubernetes v1.20.2) from Debian bookworm's `kubernetes` source
# package, offline apart from Debian's package archive, and installs etcd (Debian etcd-server).
# The binary is cached: a second run with the binary in place only checks it.
#
# Usage: scripts/cluster/build-kube-apiserver.sh
# Env:   KUBESCRIBE_CLUSTER_CACHE  cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/kubescribe-cluster);
#                                  the binary ends up in $KUBESCRIBE_CLUSTER_CACHE/bin/kube-apiserver
# Needs: a Debian (bookworm or later) machine with apt and root; ~10 min cold on 2 cores, ~3 GB disk.
set -euo pipefail
CACHE=${KUBESCRIBE_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubescribe-cluster}
W="$CACHE/build"
OUT="$CACHE/bin"
mkdir -p "$W" "$OUT"
export DEBIAN_FRONTEND=noninteractive
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

need_pkgs=()
command -v etcd >/dev/null || need_pkgs+=(etcd-server)
command -v openssl >/dev/null || need_pkgs+=(openssl)
command -v curl >/dev/null || need_pkgs+=(curl)
if [ -x "$OUT/kube-apiserver" ] && "$OUT/kube-apiserver" --version >/dev/null 2>&1; then
  if [ ${#need_pkgs[@]} -gt 0 ]; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  fi
  echo "cached: $("$OUT/kube-apiserver" --version) at $OUT/kube-apiserver"
  exit 0
fi

# 1. toolchain + etcd + the reflect2 fix, all from Debian
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends golang-go etcd-server rsync make \
  golang-github-modern-go-reflect2-dev dpkg-dev openssl curl >/dev/null

# 2. the kubernetes source package, through a private apt config holding only deb-src lines
#    (leaves /etc/apt alone; bookworm only, so a later release's stripped "+ds" source is never picked)
A="$W/apt"; mkdir -p "$A/parts" "$A/lists/partial" "$A/cache"
MIRROR=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
cat > "$A/parts/src.sources" <<SRC
Types: deb-src
URIs: $MIRROR
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
APTOPTS=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$A/parts"
         -o Dir::State::Lists="$A/lists" -o Dir::Cache="$A/cache")
apt-get "${APTOPTS[@]}" update -qq
cd "$W"
if ! ls -d "$W"/kubernetes-*/ >/dev/null 2>&1; then
  apt-get "${APTOPTS[@]}" source -qq kubernetes >/dev/null 2>&1
fi
SRC=$(ls -d "$W"/kubernetes-*/ | head -1)
cd "$SRC"

# 3. k8s 1.20 vendors reflect2 v1.0.1, which crashes ("fatal error: fault" in mapiterinit) under
#    Go >= 1.18; Debian's reflect2 1.0.2 has the same API.
V=vendor/github.com/modern-go/reflect2
rm -f "$V"/*.go "$V"/*.s
cp /usr/share/gocode/src/github.com/modern-go/reflect2/*.go /usr/share/gocode/src/github.com/modern-go/reflect2/*.s "$V"/

# 4. only kube-apiserver (runs the code generators first)
export GOPATH="$W/gopath" CGO_ENABLED=0 HOME="$W/home"
mkdir -p "$HOME"
make WHAT=cmd/kube-apiserver
install -m 0755 _output/bin/kube-apiserver "$OUT/kube-apiserver"
"$OUT/kube-apiserver" --version
# the Go build tree is large; keep only the binary
rm -rf "$W/gopath" "$SRC/_output/local"
