#!/usr/bin/env bash
# e2e/setup.sh: a real Kubernetes control plane (etcd + kube-apiserver v1.37.2) on
# 127.0.0.1 for winami's end-to-end tests and benchmarks.
#
#   e2e/setup.sh build        build or install what is missing: e2e/bin/kube-apiserver (from
#                             k8s.io/kubernetes in the e2e/apiserver module, ~6 min cold, cached
#                             afterwards) and etcd (PATH, e2e/bin/etcd, the e2e/etcd module, or
#                             apt-get install etcd-server)
#   e2e/setup.sh up           build, then start etcd and kube-apiserver (RBAC, token file) and
#                             write $DIR/kubeconfig (contexts admin and audit) and $DIR/env
#   e2e/setup.sh down         stop the processes `up` started and remove their data
#   e2e/setup.sh test [ARGS]  up, go test -tags e2e -count=1 [ARGS] ./e2e/..., down;
#                             exits with the tests' status. With -update (`e2e/run -run
#                             README -update` rewrites README.md's Kubernetes outputs) only
#                             package e2e runs: the other packages have no such flag
#
# DIR is $WINAMI_E2E_DIR (default /tmp/winami-e2e). The tests read WINAMI_E2E_KUBECONFIG
# (exported by `test`; `source $DIR/env` after `up`).
set -euo pipefail

E2E=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$E2E/.." && pwd)
BIN=$E2E/bin
DIR=${WINAMI_E2E_DIR:-/tmp/winami-e2e}
K8S_VERSION=v1.37.2
LDFLAGS="-X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37"

log() { echo "e2e/setup.sh: $*" >&2; }
die() { log "$*"; exit 1; }

build_apiserver() {
	if [ -x "$BIN/kube-apiserver" ] && "$BIN/kube-apiserver" --version 2>/dev/null | grep -qx "Kubernetes $K8S_VERSION"; then
		return
	fi
	command -v go >/dev/null || die "go is not on PATH: it is needed to build kube-apiserver"
	log "building kube-apiserver $K8S_VERSION into $BIN (about 6 minutes cold on 2 cores)"
	mkdir -p "$BIN"
	(cd "$E2E/apiserver" && go build -o "$BIN/kube-apiserver" -ldflags "$LDFLAGS" k8s.io/kubernetes/cmd/kube-apiserver) ||
		die "building kube-apiserver from k8s.io/kubernetes $K8S_VERSION failed (module e2e/apiserver)"
}

# find_etcd prints the etcd binary to use, building or installing one when none is found.
find_etcd() {
	if [ -n "${WINAMI_E2E_ETCD:-}" ]; then echo "$WINAMI_E2E_ETCD"; return; fi
	if command -v etcd >/dev/null; then command -v etcd; return; fi
	if [ -x "$BIN/etcd" ]; then echo "$BIN/etcd"; return; fi
	log "no etcd on PATH: building go.etcd.io/etcd/server/v3 v3.7.0 (module e2e/etcd)"
	if (cd "$E2E/etcd" && go build -o "$BIN/etcd" .) >&2; then echo "$BIN/etcd"; return; fi
	if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
		log "building etcd failed: installing Debian's etcd-server"
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server) >&2 || true
		if command -v etcd >/dev/null; then command -v etcd; return; fi
	fi
	die "no etcd: put one on PATH, set WINAMI_E2E_ETCD, or let this script build e2e/etcd (needs the Go module cache or proxy) or apt-get install etcd-server (needs root)"
}

free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
	done
	die "no free port found on 127.0.0.1"
}

wait_ready() { # url token seconds pid
	local deadline=$((SECONDS + $3))
	while [ $SECONDS -lt $deadline ]; do
		kill -0 "$4" 2>/dev/null || return 1
		if command -v curl >/dev/null; then
			if [ "$(curl -sk -m 2 -H "Authorization: Bearer $2" "$1" 2>/dev/null)" = ok ]; then return 0; fi
		elif python3 - "$1" "$2" <<'PY' 2>/dev/null; then return 0; fi
import ssl, sys, urllib.request
ctx = ssl._create_unverified_context()
req = urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + sys.argv[2]})
sys.exit(0 if urllib.request.urlopen(req, context=ctx, timeout=2).read() == b"ok" else 1)
PY
		sleep 0.5
	done
	return 1
}

up() {
	build_apiserver
	local etcd
	etcd=$(find_etcd)
	command -v openssl >/dev/null || die "openssl is needed to make the service-account signing key"
	if [ -f "$DIR/kube-apiserver.pid" ] || [ -f "$DIR/etcd.pid" ]; then down; fi
	mkdir -p "$DIR/certs"
	local etcd_port peer_port api_port
	etcd_port=$(free_port); peer_port=$(free_port); api_port=$(free_port)

	local nofsync=()
	if "$etcd" --help 2>&1 | grep -q -- --unsafe-no-fsync; then nofsync=(--unsafe-no-fsync); fi
	log "starting etcd ($etcd) on 127.0.0.1:$etcd_port"
	"$etcd" --name e2e --data-dir "$DIR/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
		--initial-cluster "e2e=http://127.0.0.1:$peer_port" --quota-backend-bytes $((4 << 30)) "${nofsync[@]}" \
		>"$DIR/etcd.log" 2>&1 &
	echo $! >"$DIR/etcd.pid"

	openssl genrsa -out "$DIR/sa.key" 2048 2>/dev/null
	openssl rsa -in "$DIR/sa.key" -pubout -out "$DIR/sa.pub" 2>/dev/null
	local admin_token audit_token
	admin_token=$(openssl rand -hex 16); audit_token=$(openssl rand -hex 16)
	cat >"$DIR/tokens.csv" <<EOF
$admin_token,e2e-admin,e2e-admin,"system:masters"
$audit_token,winami-audit,winami-audit
EOF
	chmod 600 "$DIR/tokens.csv" "$DIR/sa.key"

	log "starting kube-apiserver on https://127.0.0.1:$api_port"
	"$BIN/kube-apiserver" \
		--etcd-servers "http://127.0.0.1:$etcd_port" \
		--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
		--cert-dir "$DIR/certs" \
		--token-auth-file "$DIR/tokens.csv" \
		--authorization-mode RBAC \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$DIR/sa.pub" --service-account-signing-key-file "$DIR/sa.key" \
		--service-cluster-ip-range 10.96.0.0/24 \
		--endpoint-reconciler-type none \
		--max-requests-inflight 1000 --max-mutating-requests-inflight 500 \
		--profiling=false \
		>"$DIR/kube-apiserver.log" 2>&1 &
	echo $! >"$DIR/kube-apiserver.pid"

	if ! wait_ready "https://127.0.0.1:$api_port/readyz" "$admin_token" 90 "$(cat "$DIR/kube-apiserver.pid")"; then
		tail -20 "$DIR/kube-apiserver.log" >&2 || true
		down
		die "kube-apiserver exited or was not ready within 90 s (log above: $DIR/kube-apiserver.log)"
	fi
	cat >"$DIR/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: e2e
  cluster:
    server: https://127.0.0.1:$api_port
    certificate-authority: $DIR/certs/apiserver.crt
users:
- name: e2e-admin
  user:
    token: $admin_token
- name: winami-audit
  user:
    token: $audit_token
contexts:
- name: admin
  context: {cluster: e2e, user: e2e-admin}
- name: audit
  context: {cluster: e2e, user: winami-audit}
current-context: admin
EOF
	chmod 600 "$DIR/kubeconfig"
	echo "export WINAMI_E2E_KUBECONFIG=$DIR/kubeconfig" >"$DIR/env"
	log "ready: kube-apiserver $K8S_VERSION at https://127.0.0.1:$api_port; source $DIR/env (WINAMI_E2E_KUBECONFIG=$DIR/kubeconfig)"
}

stop_pid() { # file
	[ -f "$1" ] || return 0
	local pid
	pid=$(cat "$1")
	if kill "$pid" 2>/dev/null; then
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	fi
	rm -f "$1"
}

down() {
	stop_pid "$DIR/kube-apiserver.pid"
	stop_pid "$DIR/etcd.pid"
	rm -rf "$DIR/etcd" "$DIR/env" "$DIR/kubeconfig"
}

case "${1:-up}" in
build)
	build_apiserver
	etcd=$(find_etcd) # its own statement: a failure here must fail `build`
	log "etcd: $etcd"
	;;
up) up ;;
down) down ;;
test)
	shift
	trap down EXIT
	up
	export WINAMI_E2E_KUBECONFIG=$DIR/kubeconfig
	cd "$ROOT"
	pkgs=./e2e/...
	for a in "$@"; do
		# -update (TestREADME rewrites the README's outputs) is a flag of package e2e's
		# tests only: the other packages' test binaries would refuse it.
		case $a in -update | -update=*) pkgs=./e2e ;; esac
	done
	# The packages first: go test reads an unknown flag (-update) and all that follows as
	# the test binary's arguments.
	go test -tags e2e -count=1 "$pkgs" "$@"
	;;
*)
	die "unknown command ${1}: use build, up, down or test"
	;;
esac
