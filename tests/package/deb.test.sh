#!/usr/bin/env bash
# The Debian package as a user gets it, without installing it: cpack -G DEB
# from the test build, unpacked with dpkg-deb -x into a temp root; its file
# list, its control data, its unit through systemd-analyze verify, and its
# binary started with its own plugins and its own /etc/araldo/araldo.yaml
# (port and data-dir moved into the temp dir), answering /_health/.
# usage: deb.test.sh BUILD_DIR
set -euo pipefail
build="$1"
tmp="$(mktemp -d /tmp/araldo-deb-XXXXXX)"
relay_pid=
cleanup() {
  if [ -n "$relay_pid" ]; then kill "$relay_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

(cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb="$(ls "$tmp"/out/araldo_*.deb)"
echo "built $(basename "$deb")"
root="$tmp/root"
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$tmp/control"

# The file list: the binary, every plugin the build made, the SDK, the web
# client, the unit, the docs and the conffile.
require() { [ -e "$root/$1" ] || fail "the package has no /$1"; }
require usr/bin/araldo
plugin_dir="$(cd "$root/usr" && find lib -path '*/araldo/plugins' -type d | head -1)"
[ -n "$plugin_dir" ] || fail "the package has no plugin folder under /usr/lib"
for so in "$build"/plugins/araldo-*.so; do require "usr/$plugin_dir/$(basename "$so")"; done
libdir="$(dirname "$(dirname "$plugin_dir")")"
require "usr/$libdir/libaraldo-sdk.so"
require usr/include/araldo/plugin.hpp
require "usr/$libdir/cmake/araldo/araldoConfig.cmake"
require usr/share/araldo/web/index.html
require lib/systemd/system/araldo.service
require usr/share/doc/araldo/README.md
require usr/share/doc/araldo/docs/operations.md
require usr/share/doc/araldo/plugins/endpoint-websocket/README.md
require etc/araldo/araldo.yaml
grep -qx /etc/araldo/araldo.yaml "$tmp/control/conffiles" || fail "/etc/araldo/araldo.yaml is not a conffile"
grep -q '^  data-dir: /var/lib/araldo$' "$root/etc/araldo/araldo.yaml" || fail "the packaged config's data-dir is not /var/lib/araldo"
depends="$(sed -n 's/^Depends: //p' "$tmp/control/control")"
echo "Depends: $depends"
for lib in libc6 libstdc++6 libyaml-cpp; do
  [[ "$depends" == *"$lib"* ]] || fail "Depends lacks $lib (dpkg-shlibdeps): $depends"
done

# The unit as packaged, pointed at the unpacked binary (verify needs
# ExecStart to exist); any warning fails.
mkdir "$tmp/unit"
sed "s|/usr/bin/araldo|$root/usr/bin/araldo|" "$root/lib/systemd/system/araldo.service" >"$tmp/unit/araldo.service"
verify="$(systemd-analyze verify "$tmp/unit/araldo.service" 2>&1)" || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify warns: $verify"

# The unpacked binary finds the unpacked plugins by itself (no --plugin-dir).
listing="$("$root/usr/bin/araldo" --list-plugins)"
echo "$listing" | grep -q endpoint-websocket || fail "no endpoint-websocket in: $listing"
if echo "$listing" | grep -v "$root" | grep -q '\.so'; then fail "plugins from outside the package: $listing"; fi

config="$tmp/araldo.yaml"
sed -e 's|^  server-port: 54321$|  server-port: 0|' -e "s|^  data-dir: /var/lib/araldo\$|  data-dir: $tmp/data|" \
  "$root/etc/araldo/araldo.yaml" >"$config"
"$root/usr/bin/araldo" --check -c "$config" >/dev/null
"$root/usr/bin/araldo" -c "$config" 2>"$tmp/relay.log" &
relay_pid=$!
port=
for _ in $(seq 1 500); do
  port="$(sed -n 's/.*araldo listening on [^ ]*:\([0-9]*\) .*/\1/p' "$tmp/relay.log")"
  [ -n "$port" ] && break
  kill -0 "$relay_pid" 2>/dev/null || { cat "$tmp/relay.log"; fail "the packaged relay exited"; }
  sleep 0.02
done
[ -n "$port" ] || { cat "$tmp/relay.log"; fail "the packaged relay did not start listening"; }
health="$(curl -sS --max-time 10 "http://127.0.0.1:$port/_health/")"
[ "$health" = ok ] || fail "GET /_health/ answered '$health'"
status="$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  -d '{"type":"hello"}' "http://127.0.0.1:$port/emit")"
[ "$status" = 202 ] || fail "POST /emit answered $status"
kill -TERM "$relay_pid"
wait "$relay_pid" || fail "the packaged relay exited $? on SIGTERM"
relay_pid=
echo "ok: the package unpacks, verifies and runs"
