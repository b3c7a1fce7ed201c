#!/usr/bin/env bash
# Exports one hour of one 4 Mbit/s camera with `recorderctl export`, through the running recorder's API
# (GET /api/v1/cameras/cam/export.mp4, plain HTTP on loopback, curl) and, side by side on the same segment
# files, with `ffmpeg -f concat -c copy`, alternating them; prints wall and CPU time of each and the
# ratios. One minute is recorded for real from camsim, then laid out 60 times as an hour of segments
# (files and catalog rows), so the run takes minutes, not an hour.
#   bench/export_vs_ffmpeg.sh [MINUTES=60] [ROUNDS=3]
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-60}
rounds=${2:-3}
build=${BUILD_DIR:-build}
work=$(mktemp -d /tmp/bench-export-XXXXXX)
trap 'kill -TERM ${cam_pid:-} ${rec_pid:-} 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

"$build/tools/camsim/camsim" --cameras 1 --port 0 --resolution 1920x1080 --bitrate 4000 --gop-seconds 2 \
  >"$work/camsim.out" 2>/dev/null &
cam_pid=$!
until grep -qx ready "$work/camsim.out" 2>/dev/null; do sleep 0.5; done
url=$(grep '^rtsp://' "$work/camsim.out" | head -1)
cat >"$work/recorder.yaml" <<YAML
storage:
  path: $work/storage
  segment_seconds: 60
cameras:
  - {id: cam, url: "$url"}
api:
  listen: 127.0.0.1:18443
  insecure_http: true
  users_file: $work/users.yaml
  signing_key: $work/api-signing.key
YAML
"$build/tools/recorderctl/recorderctl" storage init --config "$work/recorder.yaml" >/dev/null
"$build/recorder/app/recorder" --config "$work/recorder.yaml" 2>/dev/null &
rec_pid=$!
sleep 128  # two full 60 s segments at least
kill -TERM "$rec_pid"; wait "$rec_pid" || true; rec_pid=
kill -TERM "$cam_pid"; wait "$cam_pid" || true; cam_pid=

db="$work/storage/catalog.sqlite3"
source_row=$(sqlite3 "$db" "SELECT path, media_duration_us, bytes, key_frames FROM segments WHERE state='complete' ORDER BY start_us LIMIT 1 OFFSET 1")
IFS='|' read -r source_path duration bytes keys <<<"$source_row"
start=$(( ($(date +%s) - 7200) * 1000000 ))
mkdir -p "$work/storage/cam/hour"
: >"$work/concat.txt"
{
  echo "BEGIN;"
  for i in $(seq 0 $((minutes - 1))); do
    at=$((start + i * duration))
    name="cam/hour/cam-$(printf '%04d' "$i").mp4"
    cp "$work/storage/$source_path" "$work/storage/$name"
    echo "file '$work/storage/$name'" >>"$work/concat.txt"
    echo "INSERT INTO segments (camera_id, path, start_us, end_us, media_duration_us, bytes, key_frames, state) VALUES ('cam', '$name', $at, $((at + duration)), $duration, $bytes, $keys, 'complete');"
  done
  echo "COMMIT;"
} | sqlite3 "$db"
from=$(date -u -d "@$((start / 1000000))" +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d "@$(((start + minutes * duration) / 1000000))" +%Y-%m-%dT%H:%M:%SZ)
echo "footage: $minutes segment(s) of $((duration / 1000000)) s, $((bytes * minutes / 1048576)) MiB, $from .. $to"

measure() {  # prints "wall cpu" in seconds for the command (cpu: user+sys of the command, from `times`)
  local t0 t1 children
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1
  t1=$(date +%s.%N)
  times >"$work/times.txt"  # in this shell, not a pipe: the last line is user and system time of its children
  children=$(tail -1 "$work/times.txt")
  awk -v a="$t0" -v b="$t1" -v c="$children" 'BEGIN {
    split(c, f, " "); cpu = 0
    for (i = 1; i <= 2; i++) { split(f[i], m, "m"); sub("s", "", m[2]); cpu += m[1] * 60 + m[2] }
    printf "%.2f %.2f\n", b - a, cpu }'
}
# The recorder again, now serving the API over the hour of footage (its camera is gone: it only backs off).
port=18443
echo "bench-password" | "$build/tools/recorderctl/recorderctl" users add bench --role exporter --config "$work/recorder.yaml" \
  >/dev/null 2>&1 || true
"$build/recorder/app/recorder" --config "$work/recorder.yaml" 2>"$work/recorder-api.log" &
rec_pid=$!
until grep -q "API listening" "$work/recorder-api.log" 2>/dev/null; do sleep 0.2; done
recorder_cpu() {  # user+sys seconds of the recorder so far (/proc/PID/stat fields 14 and 15, in clock ticks)
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$rec_pid/stat"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }

for round in $(seq 1 "$rounds"); do
  rm -f "$work/ours.mp4"* "$work/ffmpeg.mp4" "$work/api.mp4"
  ours=$(measure "$build/tools/recorderctl/recorderctl" export --storage "$work/storage" --camera cam --from "$from" \
    --to "$to" -o "$work/ours.mp4" --key "$work/signing.key")
  theirs=$(measure ffmpeg -v error -f concat -safe 0 -i "$work/concat.txt" -c copy "$work/ffmpeg.mp4")
  # A range one millisecond shorter each round: the API keeps a made export for resumed downloads, and
  # each round must make its own.
  api_to_ms=$(((start + minutes * duration) / 1000 - round))
  api_to=$(date -u -d "@$((api_to_ms / 1000))" +%Y-%m-%dT%H:%M:%S).$(printf '%03d' $((api_to_ms % 1000)))Z
  cpu_before=$(recorder_cpu)
  api=$(measure curl -sf -u bench:bench-password -o "$work/api.mp4" \
    "http://127.0.0.1:$port/api/v1/cameras/cam/export.mp4?from=$from&to=$api_to")
  api_cpu=$(awk -v a="$cpu_before" -v b="$(recorder_cpu)" -v c="${api##* }" 'BEGIN {printf "%.2f", b - a + c}')
  echo "round $round: recorderctl export wall/cpu $ours s; API export wall/cpu ${api%% *} $api_cpu s;" \
       "ffmpeg concat wall/cpu $theirs s; ratio to ffmpeg: recorderctl wall $(ratio "${ours%% *}" "${theirs%% *}")," \
       "cpu $(ratio "${ours##* }" "${theirs##* }"); API wall $(ratio "${api%% *}" "${theirs%% *}"), cpu $(ratio "$api_cpu" "${theirs##* }")"
done
echo "sizes: ours $(stat -c %s "$work/ours.mp4") bytes, API $(stat -c %s "$work/api.mp4") bytes," \
     "ffmpeg $(stat -c %s "$work/ffmpeg.mp4") bytes"
