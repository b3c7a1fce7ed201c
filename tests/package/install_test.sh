#!/usr/bin/env bash
# The .deb, checked without installing it: builds it with cpack into a scratch folder, extracts it with
# dpkg-deb -x into a scratch root, and checks what it would put on a recorder (binaries, stripped; the
# drop-log helper; units, snippets, docs, the example configuration), its Depends and maintainer
# scripts, and that the packaged recorder accepts the packaged example configuration.
#   install_test.sh BUILD_DIR SOURCE_DIR CPACK
# Exit 0 pass, 1 fail, 77 skipped (ctest SKIP_RETURN_CODE). Runs as root or not; changes nothing outside
# its scratch folder.
set -euo pipefail
shopt -s nullglob  # systemd/ may have no *.sysusers or *.tmpfiles yet

build_dir=$1 source_dir=$2 cpack=$3

skip() { echo "SKIP: $*"; exit 77; }
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_file() { [ -f "$root/$1" ] || fail "the package has no $1"; }

command -v dpkg-deb >/dev/null || skip "dpkg-deb is missing: not a Debian system, cannot build or inspect a .deb"
command -v dpkg-shlibdeps >/dev/null || skip "dpkg-shlibdeps is missing: install dpkg-dev (scripts/setup does)"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
root=$scratch/root

# -B: the package and CPack's staging tree go to the scratch folder, not into the build tree.
example_in_etc_before=$([ -e /etc/onboard-recorder/recorder.yaml.example ] && echo yes || echo no)
if ! "$cpack" --config "$build_dir/CPackConfig.cmake" -G DEB -B "$scratch/out" >"$scratch/cpack.log" 2>&1; then
  cat "$scratch/cpack.log"
  echo "FAIL: cpack -G DEB failed"
  exit 1
fi
debs=("$scratch"/out/onboard-recorder_*.deb)
if [ ${#debs[@]} -ne 1 ]; then
  ls -l "$scratch/out"
  echo "FAIL: expected one onboard-recorder_*.deb"
  exit 1
fi
deb=${debs[0]}
echo "built $(basename "$deb")"
# The /etc file has an absolute destination: it must land in the package, never on this machine.
if [ "$example_in_etc_before" = no ] && [ -e /etc/onboard-recorder/recorder.yaml.example ]; then
  fail "cpack wrote /etc/onboard-recorder/recorder.yaml.example on the build machine"
fi

dpkg-deb -x "$deb" "$root"
mkdir -p "$scratch/control" && dpkg-deb -e "$deb" "$scratch/control"

# Files. The systemd ones are whatever systemd/ holds, so units added there later are checked too.
for binary in recorder recorderctl; do
  [ -x "$root/usr/bin/$binary" ] || fail "usr/bin/$binary is missing or not executable"
done
extra_binaries=$(find "$root/usr/bin" -mindepth 1 ! -name recorder ! -name recorderctl -printf '%f ')
[ -z "$extra_binaries" ] || fail "usr/bin holds more than recorder and recorderctl: $extra_binaries"
# The drop-log helper is for systemd, not for people: libexec, where recorder-nflog@.service looks.
helper=usr/libexec/onboard-recorder/nflog-opener
[ -x "$root/$helper" ] || fail "$helper is missing or not executable"
grep -q "^ExecStart=/$helper " "$source_dir/systemd/recorder-nflog@.service" ||
  fail "recorder-nflog@.service does not start /$helper"
# Stripped (CPACK_STRIP_FILES): no debug sections and no symbol table in what goes onto a train.
if command -v readelf >/dev/null; then
  for binary in usr/bin/recorder usr/bin/recorderctl "$helper"; do
    [ -f "$root/$binary" ] || continue
    sections=$(readelf -S --wide "$root/$binary")
    ! grep -qE '\.debug_info|\.symtab' <<<"$sections" || fail "$binary is not stripped (.debug_info or .symtab)"
  done
else
  fail "readelf (binutils) is missing: cannot check that the binaries are stripped"
fi
for unit in "$source_dir"/systemd/*.service "$source_dir"/systemd/*.socket "$source_dir"/systemd/*.timer; do
  expect_file "usr/lib/systemd/system/$(basename "$unit")"
done
for unit in recorder-firewall.service recorder-nflog.socket recorder-nflog@.service; do
  expect_file "usr/lib/systemd/system/$unit"
done
for snippet in "$source_dir"/systemd/*.sysusers; do
  expect_file "usr/lib/sysusers.d/$(basename "$snippet" .sysusers).conf"
done
for snippet in "$source_dir"/systemd/*.tmpfiles; do
  expect_file "usr/lib/tmpfiles.d/$(basename "$snippet" .tmpfiles).conf"
done
doc=usr/share/doc/onboard-recorder
expect_file "$doc/README.md"
for page in "$source_dir"/docs/*.md; do expect_file "$doc/$(basename "$page")"; done
expect_file "$doc/examples/icng-train.yaml"
expect_file "$doc/examples/demo.yaml"
expect_file etc/onboard-recorder/recorder.yaml.example
[ ! -e "$root/etc/onboard-recorder/recorder.yaml" ] || fail "the package ships a live recorder.yaml"
outside=$(cd "$root" && find . -mindepth 1 -maxdepth 1 ! -name usr ! -name etc)
[ -z "$outside" ] || fail "files outside /usr and /etc: $outside"

# Control fields. The GStreamer plugins are declared by hand; the linked libraries come from shlibdeps.
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
for package in gstreamer1.0-plugins-good gstreamer1.0-plugins-bad libgstreamer1.0-0 libnftables1 libmnl0; do
  grep -qE "(^|, )$package( |,|$)" <<<"$depends" || fail "Depends lacks $package"
done
[ "$(dpkg-deb -f "$deb" Package)" = onboard-recorder ] || fail "the package is not called onboard-recorder"
[ "$(dpkg-deb -f "$deb" Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture is not dpkg's"
grep -qx /etc/onboard-recorder/recorder.yaml.example "$scratch/control/conffiles" ||
  fail "recorder.yaml.example is not a conffile"

# Maintainer scripts: executable, valid shell, the unit names filled in, and exit 0 with systemd's tools
# replaced by stubs that only record their arguments (so this machine's users and units stay untouched).
stubs=$scratch/stubs
mkdir -p "$stubs"
for tool in systemd-sysusers systemd-tmpfiles systemctl; do
  printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$tool" "$scratch/calls" >"$stubs/$tool"
  chmod +x "$stubs/$tool"
done
for script in postinst prerm postrm; do
  [ -x "$scratch/control/$script" ] || { fail "no executable $script"; continue; }
  sh -n "$scratch/control/$script" || fail "$script is not valid sh"
  ! grep -q '@PACKAGE_' "$scratch/control/$script" || fail "$script has an unsubstituted @PACKAGE_...@"
done
grep -q 'recorder-firewall.service' "$scratch/control/postinst" || fail "postinst does not name the units"
grep -q 'recorder-nflog.socket' "$scratch/control/postinst" || fail "postinst does not name recorder-nflog.socket"
# A template without an instance cannot be restarted or stopped: systemctl would complain at every upgrade.
for script in postinst prerm; do
  ! grep -q '@\.service' "$scratch/control/$script" || fail "$script names a template unit"
done
run_script() {
  PATH="$stubs:$PATH" "$scratch/control/$1" "${@:2}" >"$scratch/script.log" 2>&1 ||
    { cat "$scratch/script.log"; fail "$* exited non-zero"; }
}
run_script postinst configure
run_script postinst configure 0.0.1
run_script prerm upgrade 0.2.0
run_script prerm remove
run_script postrm remove
run_script postrm purge
for snippet in "$source_dir"/systemd/*.sysusers; do
  grep -q "^systemd-sysusers .*$(basename "$snippet" .sysusers).conf" "$scratch/calls" ||
    fail "postinst did not run systemd-sysusers for $(basename "$snippet")"
done

# The packaged recorder on the packaged configurations. The train example names one password file per
# camera beside it, as an operator provides them: first without them (refused, naming the file), then
# with them (accepted). --check-config must not need or create the storage path.
recorder=$root/usr/bin/recorder
example=$root/etc/onboard-recorder/recorder.yaml.example
if "$recorder" --config "$example" --check-config >"$scratch/check.log" 2>&1; then
  fail "--check-config accepted the example without its password files"
fi
grep -q "cannot read password file" "$scratch/check.log" || { cat "$scratch/check.log"; fail "no password-file message"; }
cameras=$(grep -cE '^\s*- id: ' "$example")
mkdir -p "$root/etc/onboard-recorder/camera-passwords"
for id in $(sed -nE 's/^\s*- id: ([A-Za-z0-9_-]+).*/\1/p' "$example"); do
  echo "secret-$id" >"$root/etc/onboard-recorder/camera-passwords/$id.pw"
done
storage_before=$([ -e /srv/onboard-recorder ] && echo yes || echo no)
if "$recorder" --config "$example" --check-config >"$scratch/check.log" 2>&1; then
  grep -q "^configuration OK: $cameras camera(s), storage /srv/onboard-recorder/footage$" "$scratch/check.log" ||
    { cat "$scratch/check.log"; fail "unexpected --check-config output for the example"; }
else
  cat "$scratch/check.log"; fail "--check-config rejected the packaged example"
fi
[ "$storage_before" = yes ] || [ ! -e /srv/onboard-recorder ] || fail "--check-config created the storage path"
if "$recorder" --config "$root/$doc/examples/demo.yaml" --check-config >"$scratch/check.log" 2>&1; then
  grep -q "^configuration OK: 8 camera(s)" "$scratch/check.log" || { cat "$scratch/check.log"; fail "demo.yaml output"; }
else
  cat "$scratch/check.log"; fail "--check-config rejected the packaged demo.yaml"
fi

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "package OK: $(basename "$deb"), $cameras cameras in the example"
