#!/usr/bin/env bash
# Records N simulated cameras with the recorder for T seconds and reports the CPU and memory of camsim
# and of the recorder, measured from the kernel's accounting (/proc/PID/stat, /proc/PID/status).
#   bench/record_fleet.sh [N=50] [T=60] [extra camsim options...]
set -euo pipefail
cd "$(dirname "$0")/.."
cameras=${1:-50}
seconds=${2:-60}
shift $(( $# > 2 ? 2 : $# )) || true
warmup=${WARMUP_SECONDS:-15}
build=${BUILD_DIR:-build}
work=$(mktemp -d /tmp/bench-fleet-XXXXXX)
trap 'kill -TERM ${rec_pid:-} ${cam_pid:-} 2>/dev/null || true; wait 2>/dev/null || true; [ -n "${KEEP_BENCH_DIR:-}" ] || rm -rf "$work"' EXIT

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }            # utime + stime, in clock ticks
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

"$build/tools/camsim/camsim" --cameras "$cameras" --port 0 --resolution 1920x1080 --fps 25 --bitrate 4000 \
  --gop-seconds 2 "$@" >"$work/camsim.out" 2>"$work/camsim.err" &
cam_pid=$!
until grep -qx ready "$work/camsim.out" 2>/dev/null; do
  kill -0 "$cam_pid" 2>/dev/null || { cat "$work/camsim.err"; exit 1; }
  sleep 0.5
done

{
  echo "storage:"; echo "  path: $work/footage"; echo "  segment_seconds: 60"; echo "log_level: ${LOG_LEVEL:-info}"; echo "cameras:"
  i=0
  grep '^rtsp://' "$work/camsim.out" | while read -r url; do
    i=$((i + 1)); echo "  - {id: cam$i, url: \"$url\"}"
  done
} >"$work/recorder.yaml"
"$build/tools/recorderctl/recorderctl" storage init --config "$work/recorder.yaml" >/dev/null
"$build/recorder/app/recorder" --config "$work/recorder.yaml" 2>"$work/recorder.log" &
rec_pid=$!

sleep "$warmup"
cam0=$(ticks $cam_pid); rec0=$(ticks $rec_pid); bytes0=$(du -sb --exclude='catalog*' "$work/footage" | cut -f1)
rec_peak=0
for _ in $(seq 1 "$seconds"); do
  sleep 1
  r=$(rss_kib $rec_pid); [ "$r" -gt "$rec_peak" ] && rec_peak=$r
done
cam1=$(ticks $cam_pid); rec1=$(ticks $rec_pid); bytes1=$(du -sb --exclude='catalog*' "$work/footage" | cut -f1)
cam_rss=$(rss_kib $cam_pid); rec_rss=$(rss_kib $rec_pid)
recording=$(grep -cE '\] recording( again.*)?$' "$work/recorder.log" || true)
failures=$(grep -c 'backoff' "$work/recorder.log" || true)

awk -v n="$cameras" -v t="$seconds" -v hz="$hz" -v c0="$cam0" -v c1="$cam1" -v r0="$rec0" -v r1="$rec1" \
    -v crss="$cam_rss" -v rrss="$rec_rss" -v rpeak="$rec_peak" -v b0="$bytes0" -v b1="$bytes1" -v up="$recording" -v fails="$failures" 'BEGIN {
  cam = (c1 - c0) / hz / t * 100; rec = (r1 - r0) / hz / t * 100
  printf "cameras: %d (times a camera started recording: %d, failures: %d), measured over %d s after warm-up\n", n, up, fails, t
  printf "camsim:   %.1f %% of one core in all, %.3f %% per camera; RSS %.1f MiB\n", cam, cam / n, crss / 1024
  printf "recorder: %.1f %% of one core in all, %.3f %% per camera; RSS %.1f MiB (peak %.1f MiB), %.2f MiB per camera\n", rec, rec / n, rrss / 1024, rpeak / 1024, rrss / 1024 / n
  printf "written:  %.2f MB/s in all, %.0f kbit/s per camera\n", (b1 - b0) / t / 1e6, (b1 - b0) * 8 / t / n / 1000
}'
