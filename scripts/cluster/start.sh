#!/usr/bin/env bash
# Starts etcd + kube-apiserver on loopback only and writes a kubeconfig (token in system:masters).
# Nothing runs pods (no scheduler, kubelet or controller-manager): Pods, Deployments and Services
# exist as API objects only, which is what kubescribe reads.
#
# Usage: scripts/cluster/start.sh [STATE_DIR]
#        (default $KUBESCRIBE_CLUSTER_CACHE/state; prints KUBECONFIG=... when ready)
# Env:   APISERVER (default $KUBESCRIBE_CLUSTER_CACHE/bin/kube-apiserver), ETCD (default etcd),
#        ETCD_PORT (23790, and the next one for peers), API_PORT (16443); when a default port is
#        taken (another cluster of ours, another user), free ones are picked instead
set -euo pipefail
CACHE=${KUBESCRIBE_CLUSTER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubescribe-cluster}
APISERVER=${APISERVER:-$CACHE/bin/kube-apiserver}
ETCD=${ETCD:-etcd}
W=${1:-$CACHE/state}
busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
if [ -z "${ETCD_PORT:-}" ]; then
  ETCD_PORT=23790
  while busy "$ETCD_PORT" || busy "$((ETCD_PORT+1))"; do ETCD_PORT=$(free_port); done
fi
if [ -z "${API_PORT:-}" ]; then
  API_PORT=16443
  busy "$API_PORT" && API_PORT=$(free_port)
fi
[ -x "$APISERVER" ] || { echo "no kube-apiserver at $APISERVER: run scripts/cluster/build-kube-apiserver.sh" >&2; exit 1; }
command -v "$ETCD" >/dev/null || { echo "no etcd: apt-get install etcd-server" >&2; exit 1; }
"$(dirname "$0")/stop.sh" "$W" 2>/dev/null || true
rm -rf "$W"; mkdir -p "$W/etcd" "$W/pki"
cd "$W/pki"

# certificates: a CA, a serving cert for 127.0.0.1/localhost, a service-account key
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 2 \
  -subj "/CN=kubescribe-test-ca" -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj "/CN=kube-apiserver" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile ext.cnf 2>/dev/null
openssl genrsa -out sa.key 2048 2>/dev/null
openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
TOKEN=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "$TOKEN,kubescribe-admin,1,\"system:masters\"" > tokens.csv

"$ETCD" --name test --data-dir "$W/etcd" \
  --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls "http://127.0.0.1:$((ETCD_PORT+1))" --initial-advertise-peer-urls "http://127.0.0.1:$((ETCD_PORT+1))" \
  --initial-cluster "test=http://127.0.0.1:$((ETCD_PORT+1))" \
  --log-level error > "$W/etcd.log" 2>&1 &
echo $! > "$W/etcd.pid"

# token auth, RBAC, no ServiceAccount admission (no controller-manager creates service accounts)
"$APISERVER" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
  --tls-cert-file="$W/pki/server.crt" --tls-private-key-file="$W/pki/server.key" \
  --token-auth-file="$W/pki/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$W/pki/sa.pub" --service-account-signing-key-file="$W/pki/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --disable-admission-plugins=ServiceAccount \
  --cert-dir="$W/pki" \
  > "$W/apiserver.log" 2>&1 &
echo $! > "$W/apiserver.pid"

cat > "$W/kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: kubescribe-test
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority: $W/pki/ca.crt
users:
- name: admin
  user:
    token: $TOKEN
contexts:
- name: kubescribe-test
  context: {cluster: kubescribe-test, user: admin}
current-context: kubescribe-test
KC

for _ in $(seq 1 600); do
  if curl -sf --cacert "$W/pki/ca.crt" -H "Authorization: Bearer $TOKEN" "https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1; then
    echo "KUBECONFIG=$W/kubeconfig"
    exit 0
  fi
  if ! kill -0 "$(cat "$W/apiserver.pid")" 2>/dev/null; then echo "kube-apiserver died" >&2; tail -30 "$W/apiserver.log" >&2; exit 1; fi
  sleep 0.1
done
echo "kube-apiserver not ready after 60 s" >&2; tail -30 "$W/apiserver.log" >&2; exit 1
