#!/usr/bin/env bash
# Installs araldo into a temporary prefix, builds examples/plugin-uppercase
# against that prefix only, runs the installed araldo with it, then moves the
# prefix elsewhere and checks the install still finds its own plugins. Last,
# every in-tree plugin is built the same way, out of tree, and the installed
# araldo runs with those builds in place of its own.
set -euo pipefail
build="$1"
source_dir="$2"
work="$(mktemp -d /tmp/araldo-sdk-XXXXXX)"
pid=""
cleanup() {
  [[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$work/prefix" >/dev/null
for f in bin/araldo include/araldo/plugin.hpp share/araldo/araldo.yaml.example \
         lib/cmake/araldo/araldoConfig.cmake; do
  [[ -e "$work/prefix/$f" ]] || fail "install lacks $f"
done
ls "$work"/prefix/lib*/araldo/plugins/araldo-endpoint-file.so >/dev/null || fail "install lacks the plugins"

# The example knows nothing of the source tree: only the installed package.
cmake -S "$source_dir/examples/plugin-uppercase" -B "$work/example" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/example" >/dev/null
[[ -f "$work/example/plugins/araldo-marshal-uppercase.so" ]] || fail "the example plugin was not built"
# The responder example likewise; the installed araldo takes its example config.
cmake -S "$source_dir/examples/plugin-responder" -B "$work/responder" \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/responder" >/dev/null
[[ -f "$work/responder/plugins/araldo-endpoint-example-responder.so" ]] || fail "the responder example was not built"
"$work/prefix/bin/araldo" --check -c "$source_dir/examples/plugin-responder/example.yaml" \
  --plugin-dir "$work/responder/plugins" >/dev/null || fail "the installed araldo refused the responder example"

# Runs the installed binary on the example config until both lines are out.
run_example() {
  local bin="$1"; shift
  printf 'hello\nWorld 2\n' > "$work/in.txt"
  : > "$work/out.txt"
  # A copy: data-dir is relative to the config's folder, which must not be the source tree.
  cp "$source_dir/examples/plugin-uppercase/example.yaml" "$work/example.yaml"
  (cd "$work" && exec "$bin" -c "$work/example.yaml" "$@" \
      < "$work/in.txt" > "$work/out.txt" 2> "$work/err.txt") &
  pid=$!
  for _ in $(seq 1 500); do
    [[ "$(cat "$work/out.txt")" == $'> HELLO\n> WORLD 2' ]] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.02
  done
  kill -TERM "$pid" 2>/dev/null || true
  local code=0
  wait "$pid" || code=$?
  pid=""
  [[ "$(cat "$work/out.txt")" == $'> HELLO\n> WORLD 2' ]] || {
    cat "$work/err.txt" >&2; fail "unexpected output: $(cat "$work/out.txt")"; }
  [[ $code -eq 0 ]] || { cat "$work/err.txt" >&2; fail "araldo exited $code after SIGTERM"; }
}

run_example "$work/prefix/bin/araldo" --plugin-dir "$work/example/plugins"
echo "ok: the installed araldo runs the out-of-tree plugin"

# Installed into the prefix's plugin folder, it is found without --plugin-dir,
# and a relocated prefix still finds it.
cmake --install "$work/example" >/dev/null
mv "$work/prefix" "$work/moved"
run_example "$work/moved/bin/araldo"
"$work/moved/bin/araldo" --list-plugins | grep -q "marshal-uppercase.*$work/moved" || fail "relocated install lost its plugins"
echo "ok: a relocated install finds its own plugins"

# Every in-tree plugin, built against the installed prefix alone (-O0: this
# checks what the plugins link, not how fast they run; ccache when there is one).
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$source_dir/tests/sdk/plugins-out-of-tree" -B "$work/all" -DCMAKE_PREFIX_PATH="$work/moved" \
  -DARALDO_PLUGINS_SOURCE="$source_dir/plugins" -DCMAKE_BUILD_TYPE= -DCMAKE_CXX_FLAGS=-O0 "${launcher[@]}" >/dev/null
cmake --build "$work/all" -j"$(nproc)" >/dev/null || { cmake --build "$work/all" 2>&1 | tail -40 >&2; fail "an in-tree plugin does not build against the installed SDK"; }
built="$(ls "$work/all/plugins" | sort | tr '\n' ' ')"
expected="$(ls "$source_dir/plugins" | grep -v CMakeLists | sed 's/^/araldo-/; s/$/.so/' | sort | tr '\n' ' ')"
[[ "$built" == "$expected" ]] || fail "built out of tree: $built; expected: $expected"

# The installed relay with only those: its own plugin folder moved aside.
plugdir="$(ls -d "$work"/moved/lib*/araldo/plugins)"
mv "$plugdir" "$plugdir.aside"
port_file="$work/all-port"
cat > "$work/all.yaml" <<YAML
global:
  server-port: 0
  bind: 127.0.0.1
  data-dir: $work/all-data
plugins:
  araldo.marshalling: [{name: json, id: marshal-json}, {name: raw, id: marshal-raw}]
  araldo.endpoints.endpoint:
    - {name: emit, id: endpoint-http, path: /emit, marshalling: json}
    - {name: chat, id: endpoint-websocket, path: /ws, marshalling: json}
    - {name: hook, id: endpoint-webhook, url: "http://127.0.0.1:9/", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", marshalling: json}
    - {name: bus, id: endpoint-redis, url: "redis://127.0.0.1:9", publish: out, marshalling: json}
    - {name: sink, id: endpoint-file, output: "$work/all-out.txt", marshalling: raw}
    - {name: mock, id: endpoint-mock}
routes:
  emit: [sink, chat]
YAML
"$work/moved/bin/araldo" --check -c "$work/all.yaml" --plugin-dir "$work/all/plugins" >/dev/null 2>"$work/all-err.txt" \
  || { cat "$work/all-err.txt" >&2; fail "the installed araldo refused the out-of-tree plugins"; }
(cd "$work" && exec "$work/moved/bin/araldo" -c "$work/all.yaml" --plugin-dir "$work/all/plugins" \
    > "$work/all-stdout.txt" 2> "$work/all-err.txt") &
pid=$!
port=""
for _ in $(seq 1 500); do
  port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/all-err.txt" | head -1)"
  [[ -n "$port" ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.02
done
[[ -n "$port" ]] || { cat "$work/all-err.txt" >&2; fail "the relay with out-of-tree plugins did not start"; }
status="$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data '{"type": "hello", "parameters": {"n": 1}}' "http://127.0.0.1:$port/emit")"
[[ "$status" == 202 ]] || fail "POST /emit answered $status"
for _ in $(seq 1 500); do
  grep -q '"type": "hello"' "$work/all-out.txt" 2>/dev/null && break
  sleep 0.02
done
grep -q '"type": "hello"' "$work/all-out.txt" || { cat "$work/all-err.txt" >&2; fail "the event did not reach the file endpoint"; }
kill -TERM "$pid"
code=0
wait "$pid" || code=$?
pid=""
mv "$plugdir.aside" "$plugdir"
[[ $code -eq 0 ]] || { cat "$work/all-err.txt" >&2; fail "araldo exited $code after SIGTERM"; }
echo "ok: every in-tree plugin builds against the installed SDK and runs in the installed araldo"
