# Shared by scripts/run and scripts/test: install what is missing, idempotently.

# Debian 12 packages the build needs (Boost 1.81 by its own package names: the
# generic libboost-dev is 1.74 and conflicts with them).
ARALDO_BUILD_PACKAGES=(
  g++ cmake make pkg-config ccache
  libboost1.81-dev libboost-system1.81-dev libboost-filesystem1.81-dev
  libboost-url1.81-dev libboost-json1.81-dev
  libyaml-cpp-dev libhiredis-dev libspdlog-dev libssl-dev libjemalloc-dev
)
# nginx, libnginx-mod-nchan, jq: the bench smoke test runs nchan beside araldo;
# wrk drives the link smoke test (bench/link), and haproxy is its second peer.
# chromium: the browser test drives Debian's build (npm's playwright-core cannot
# download one here).
# mosquitto, mosquitto-clients: endpoint-mqtt tests run a real broker and its clients.
# curl: the tour test runs the curl commands of examples/tour/README.md.
# dpkg-dev, systemd: the package test builds the .deb (dpkg-shlibdeps) and
# verifies its unit (systemd-analyze).
ARALDO_TEST_PACKAGES=(catch2 redis-server mosquitto mosquitto-clients chromium nginx libnginx-mod-nchan jq curl wrk
  haproxy dpkg-dev systemd)
# scripts/fuzz: clang 14 and its libFuzzer and sanitizer runtimes (the fuzz
# targets are built with clang; the product stays on g++).
ARALDO_FUZZ_PACKAGES=(clang libclang-rt-14-dev)

# Installs the named packages that are not installed yet; does nothing when all are.
ensure_packages() {
  local missing=()
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "installing: ${missing[*]}" >&2
    local sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  fi
}

# Keeps ccache inside the workspace-independent default, sized for a few builds.
setup_ccache() {
  export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/ccache}"
  # Share objects between build trees (build-test, build-release, ...).
  export CCACHE_NOHASHDIR=true CCACHE_BASEDIR="$root"
  ccache --max-size=5G >/dev/null 2>&1 || true
}

# Node and npm for the WebSocket and browser tests. A node that is already on
# the PATH (e.g. nodesource's package, which bundles npm) is kept: Debian's npm
# package would conflict with it.
ensure_node() {
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then return; fi
  ensure_packages nodejs npm
}

# tests/node_modules from tests/package-lock.json; does nothing when it is up to date.
ensure_node_modules() {
  "$root/scripts/node-modules"
}
