#!/usr/bin/env bash
# Installs araldo into a temporary prefix, builds examples/plugin-uppercase
# against that prefix only, runs the installed araldo with it, then moves the
# prefix elsewhere and checks the install still finds its own plugins.
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
