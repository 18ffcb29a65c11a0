#!/usr/bin/env bash
# Makes sure a Docker Engine answers and the e2e test image exists, for `npm test` (test.sh runs
# it before vitest). On a clean Debian machine as root it installs docker.io and busybox-static,
# starts dockerd in the background and builds flotilla-test/busybox:2 from the host's busybox and
# a static UDP echo server (scripts/test-image/udp-echo.c; busybox has no UDP server).
set -euo pipefail

TEST_IMAGE="${FLOTILLA_TEST_IMAGE:-flotilla-test/busybox:2}"
DOCKERD_LOG="${FLOTILLA_DOCKERD_LOG:-/var/log/flotilla-dockerd.log}"
SOCKET_DEADLINE_S=60

say() { echo "docker-engine: $*"; }
die() {
  echo "docker-engine: ERROR: $*" >&2
  exit 1
}

# pgrep (procps) may be missing on a minimal machine: read /proc directly.
dockerd_running() { grep -qx dockerd /proc/[0-9]*/comm 2>/dev/null; }

engine_answers() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 && command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /usr/bin/busybox ] || command -v busybox >/dev/null 2>&1 || missing+=(busybox-static)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "the Docker Engine does not answer and ${missing[*]} is not installed; installing it needs root (run as root, or install ${missing[*]} and start dockerd yourself)"
  command -v apt-get >/dev/null 2>&1 || die "the Docker Engine does not answer and ${missing[*]} is not installed; no apt-get here to install it (install it with this system's package manager and start dockerd)"
  say "installing ${missing[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed: cannot install ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    die "apt-get install ${missing[*]} failed"
}

# A C compiler and a static libc for the test image's UDP echo server.
can_compile_static() { printf 'int main(void){return 0;}\n' | cc -static -x c -o /dev/null - >/dev/null 2>&1; }

install_compiler() {
  command -v cc >/dev/null 2>&1 && can_compile_static && return 0
  [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1 ||
    die "cannot build $TEST_IMAGE: no C compiler with a static libc here (install gcc and libc6-dev)"
  say "installing gcc libc6-dev (apt-get) for the test image's UDP echo server"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed: cannot install gcc"
  apt-get install -y -qq --no-install-recommends gcc libc6-dev >/dev/null ||
    die "apt-get install gcc libc6-dev failed"
}

start_dockerd() {
  [ "$(id -u)" -eq 0 ] || die "the Docker Engine does not answer and starting dockerd needs root (run as root, or start dockerd and make /var/run/docker.sock reachable)"
  if dockerd_running; then
    say "dockerd runs but does not answer yet; waiting for it"
  else
    say "starting dockerd in the background (log: $DOCKERD_LOG)"
    mkdir -p "$(dirname "$DOCKERD_LOG")"
    # No systemd here (CI containers): dockerd runs detached from this shell and outlives it.
    nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
    disown || true
  fi
  local deadline=$((SECONDS + SOCKET_DEADLINE_S))
  until docker info >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      echo "---- last lines of $DOCKERD_LOG ----" >&2
      tail -n 30 "$DOCKERD_LOG" >&2 2>/dev/null || true
      die "dockerd did not answer on its socket within ${SOCKET_DEADLINE_S} s"
    fi
    if ! dockerd_running; then
      echo "---- last lines of $DOCKERD_LOG ----" >&2
      tail -n 30 "$DOCKERD_LOG" >&2 2>/dev/null || true
      die "dockerd exited while starting"
    fi
    sleep 0.2
  done
  say "dockerd answers"
}

build_test_image() {
  local busybox
  busybox="$(command -v busybox || echo /usr/bin/busybox)"
  [ -x "$busybox" ] || die "cannot build $TEST_IMAGE: busybox is not installed (apt-get install busybox-static)"
  # The image needs a static busybox: it holds no libc.
  if command -v file >/dev/null 2>&1 && ! file -L "$busybox" | grep -q 'statically linked'; then
    die "cannot build $TEST_IMAGE: $busybox is not statically linked (install busybox-static)"
  fi
  say "building $TEST_IMAGE from $busybox"
  local root
  root="$(mktemp -d)"
  IMAGE_ROOT="$root"
  trap 'rm -rf "$IMAGE_ROOT"' EXIT
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root"
  chmod 1777 "$root/tmp"
  cp "$busybox" "$root/bin/busybox"
  local applet
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
  done
  # root and nobody, so specs can say `user: nobody` (resolved by the engine from /etc/passwd).
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
  install_compiler
  cc -static -Os -o "$root/bin/udp-echo" "$(dirname "$0")/test-image/udp-echo.c" ||
    die "cannot build $TEST_IMAGE: compiling scripts/test-image/udp-echo.c failed"
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
    docker import \
      -c 'CMD ["/bin/sh"]' \
      -c 'ENV PATH=/bin' \
      -c 'LABEL com.flotilla.test.image=busybox' \
      - "$TEST_IMAGE" >/dev/null || die "docker import of $TEST_IMAGE failed"
  say "built $TEST_IMAGE"
}

if ! engine_answers; then
  install_packages
  start_dockerd
fi
docker image inspect "$TEST_IMAGE" >/dev/null 2>&1 || build_test_image
