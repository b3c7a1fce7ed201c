#!/bin/sh
# Checks the systemd units in systemd/: `systemd-analyze verify` (syntax, dependencies, executables;
# services, sockets, timers, the template recorder-nflog@.service as an instance) and `systemd-analyze
# security` (recorder.service and the drop-log helper recorder-nflog@.service must stay at exposure 2.0
# or lower).
# Usage: check_units.sh SOURCE_DIR RECORDER RECORDERCTL NFLOG_OPENER
#   (the built binaries stand in for /usr/bin's and /usr/libexec/onboard-recorder's)
# Also that the guard timer's period is the shipped configuration's network.verify_seconds: the recorder
# expects a guard result every verify_seconds and calls the guard silent after three missed.
# Skips (exit 77, ctest SKIP_RETURN_CODE) where systemd-analyze is missing.
set -eu
source_dir=$1 recorder=$2 recorderctl=$3 nflog_opener=$4
timer_period=$(sed -n 's/^OnUnitActiveSec=\([0-9]*\)s$/\1/p' "$source_dir/systemd/recorder-firewall-guard.timer")
verify_seconds=$(sed -n 's/^ *verify_seconds: *\([0-9]*\).*/\1/p' "$source_dir/config/icng-train.yaml")
if [ -z "$timer_period" ] || [ "$timer_period" != "$verify_seconds" ]; then
  echo "recorder-firewall-guard.timer runs every '${timer_period}' s but config/icng-train.yaml has" \
       "verify_seconds: '${verify_seconds}': keep them equal (docs/firewall.md)"
  exit 1
fi
echo "guard timer period = verify_seconds = $verify_seconds s"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze is not installed: units not checked"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# verify insists that ExecStart= names an executable file: point the copies at the built binaries.
for unit in "$source_dir"/systemd/*.service "$source_dir"/systemd/*.socket "$source_dir"/systemd/*.timer; do
  sed -e "s|/usr/bin/recorderctl|$recorderctl|g" -e "s|/usr/bin/recorder |$recorder |g" \
    -e "s|/usr/libexec/onboard-recorder/nflog-opener|$nflog_opener|g" "$unit" >"$work/$(basename "$unit")"
done
cd "$work"
# The socket unit and the template it starts are checked together (verify instantiates the template).
[ -f recorder-nflog.socket ] && [ -f recorder-nflog@.service ] || { echo "recorder-nflog.socket or its service is missing"; exit 1; }
# verify exits 0 even on some warnings: any output at all is a finding.
output=$(systemd-analyze verify ./*.service ./*.socket ./*.timer 2>&1) || { echo "$output"; exit 1; }
if [ -n "$output" ]; then
  echo "systemd-analyze verify complained:"
  echo "$output"
  exit 1
fi
echo "systemd-analyze verify: clean"
# --threshold makes security fail above the figure (exposure x10: 20 is 2.0).
systemd-analyze security --offline=true --threshold=20 recorder.service | tail -1
echo "systemd-analyze security: recorder.service at or under 2.0"
systemd-analyze security --offline=true --threshold=20 recorder-nflog@.service | tail -1
echo "systemd-analyze security: recorder-nflog@.service at or under 2.0"
