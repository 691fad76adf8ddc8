#!/usr/bin/env bash
# packaging/araldo.service passes systemd-analyze verify without a warning,
# with ExecStart pointed at the built binary (verify needs it to exist), and
# keeps the lines docs/operations.md promises.
# usage: unit.test.sh UNIT BINARY
set -euo pipefail
unit="$1" binary="$2"
tmp="$(mktemp -d /tmp/araldo-unit-XXXXXX)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
for line in 'Type=notify' 'ExecStart=/usr/bin/araldo -c /etc/araldo/araldo.yaml' 'ExecReload=/bin/kill -HUP $MAINPID' \
  'RestartPreventExitStatus=2' 'Restart=on-failure' 'After=network-online.target' 'Wants=network-online.target' \
  'DynamicUser=yes' 'StateDirectory=araldo' 'ProtectSystem=strict' 'CapabilityBoundingSet=' \
  'SystemCallFilter=@system-service' 'LimitNOFILE=65536'; do
  grep -qxF "$line" "$unit" || fail "$unit lacks '$line'"
done
if grep -q -- '--check' "$unit"; then fail "$unit runs --check"; fi
sed "s|/usr/bin/araldo|$binary|" "$unit" >"$tmp/araldo.service"
out="$(systemd-analyze verify "$tmp/araldo.service" 2>&1)" || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warns: $out"
echo "ok: $unit verifies"
