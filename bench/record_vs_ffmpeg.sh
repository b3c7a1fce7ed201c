#!/usr/bin/env bash
# Records the same simulated cameras with the recorder and with the reference (one `ffmpeg -c copy -f segment`
# per camera), in alternating rounds (recorder, ffmpeg, recorder, ffmpeg...) so that both see the same
# machine, and reports for each: CPU, memory, bytes and frames against what camsim sent.
#   bench/record_vs_ffmpeg.sh CAMERAS SECONDS ROUNDS [extra camsim options, e.g. --codec h265]
# Environment: BUILD_DIR (build), WARMUP_SECONDS (min(15, SECONDS/3)): the part of each round left out
# of the steady figures; KEEP_BENCH_DIR=1 keeps the recordings; BENCH_KINDS ("recorder ffmpeg"): what
# each round runs, in order, where "recorder:NAME=VALUE" runs the recorder with that in its environment
# (to compare two settings of the same build side by side).
# Figures, all from the kernel's accounting, camsim excluded:
#   cpu      user+system ticks of the recorder process / of all ffmpeg processes (/proc/PID/stat), over the
#            steady window, as CPU seconds per camera-minute; "whole" is the same over the entire round
#   rss      VmRSS at the end of the window (steady) and the highest sample (peak); for ffmpeg the sum over
#            its processes, and also their summed PSS, since N processes share their libraries' pages;
#            "slope": least-squares growth of the per-second samples over the window, and over its second
#            half alone; a long single recorder round (BENCH_KINDS=recorder) shows whether memory creeps
#   bytes    what the files hold (du, catalog excluded) against the access-unit bytes camsim handed to
#            its payloaders while the round ran (no RTP/RTSP headers): "sent"
#   frames   video packets in the files (bench/count_frames.cpp, libav, as ffprobe -count_packets) against
#            the frames camsim sent
# Exits non-zero only when the harness breaks (a process dies, nothing is recorded), never on figures.
set -euo pipefail
cd "$(dirname "$0")/.."
cameras=${1:?cameras} seconds=${2:?seconds} rounds=${3:?rounds}
shift 3
build=${BUILD_DIR:-build}
warmup=${WARMUP_SECONDS:-$(( seconds / 3 < 15 ? seconds / 3 : 15 ))}
window=$(( seconds - warmup ))
hz=$(getconf CLK_TCK)
work=$(mktemp -d /tmp/bench-record-XXXXXX)
pids=()
cleanup() {
  set +e  # a failed kill (the process is gone already) must not end the clean-up half way
  [ ${#pids[@]} -gt 0 ] && kill -KILL "${pids[@]}" 2>/dev/null
  [ -n "${cam_pid:-}" ] && kill -TERM "$cam_pid" 2>/dev/null
  wait 2>/dev/null
  [ -n "${KEEP_BENCH_DIR:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "bench: $*" >&2; exit 1; }
note() { [ -z "${BENCH_VERBOSE:-}" ] || echo "bench: ${SECONDS} s: $*" >&2; }

# Each reads every process's file in one awk, so that sampling 75 ffmpeg processes costs one fork.
# A process that has gone counts 0; the liveness check after the window says so.
sum_field() {  # sum_field AWK-PROGRAM FILE...: prints the sum, 0 when no file could be read
  local sum
  sum=$(awk "$1"' END {print t + 0}' "${@:2}" 2>/dev/null || true)
  echo "${sum:-0}"
}
rss_slope() {  # rss_slope FROM-SECOND FILE: least-squares KiB per hour of "second rss" samples after FROM
  awk -v from="$1" '$1 > from {n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2}
    END {d = n * sxx - sx * sx; printf "%.0f", (d > 0 ? (n * sxy - sx * sy) / d * 3600 : 0)}' "$2"
}
ticks() { sum_field '{t += $14 + $15}' $(printf '/proc/%s/stat ' "$@"); }  # utime + stime
rss_kib() { sum_field '$1 == "VmRSS:" {t += $2}' $(printf '/proc/%s/status ' "$@"); }
pss_kib() { sum_field '$1 == "Pss:" {t += $2}' $(printf '/proc/%s/smaps_rollup ' "$@"); }
# camsim prints "sent video frames F bytes B" on SIGUSR1
sent() {
  local before after
  before=$(grep -c '^sent ' "$work/camsim.out" || true)
  kill -USR1 "$cam_pid"
  for _ in $(seq 1 50); do
    after=$(grep -c '^sent ' "$work/camsim.out" || true)
    [ "$after" -gt "$before" ] && break
    sleep 0.1
  done
  grep '^sent ' "$work/camsim.out" | tail -1 | awk '{print $4, $6}'
}
count_frames() {  # video packets in every mp4 under $1 (a file that cannot be read counts 0)
  find "$1" -name '*.mp4' -print0 | xargs -0 -r "$build/bench/count_frames" | awk '{f += $2} END {print f + 0}'
}

"$build/tools/camsim/camsim" --cameras "$cameras" --port 0 --resolution 1920x1080 --fps 25 --bitrate 4000 \
  --gop-seconds 2 "$@" >"$work/camsim.out" 2>"$work/camsim.err" &
cam_pid=$!
until grep -qx ready "$work/camsim.out" 2>/dev/null; do
  kill -0 "$cam_pid" 2>/dev/null || { cat "$work/camsim.err" >&2; fail "camsim did not start"; }
  sleep 0.2
done
note "camsim ready"
mapfile -t urls < <(grep '^rtsp://' "$work/camsim.out")

# Runs one round of $1 (recorder|ffmpeg) and appends one line of key=value figures to rounds.txt.
# Not in a subshell: the EXIT trap must see the pids to stop them when the harness fails.
run_round() {
  local kind=$1 round=$2 dir="$work/round-$2-${#kinds_done[@]}"
  kinds_done+=("$kind")
  mkdir -p "$dir"
  read -r frames0 bytes0 < <(sent)
  pids=()
  if [[ $kind == recorder* ]]; then
    local environment=()
    [[ $kind == recorder:* ]] && environment=("${kind#recorder:}")
    {
      echo "storage:"; echo "  path: $dir/footage"; echo "  segment_seconds: 60"; echo "log_level: info"
      echo "cameras:"
      local i=0 url
      for url in "${urls[@]}"; do i=$((i + 1)); echo "  - {id: cam$i, url: \"$url\"}"; done
    } >"$dir/recorder.yaml"
    "$build/tools/recorderctl/recorderctl" storage init --config "$dir/recorder.yaml" >/dev/null
    env ${environment[@]+"${environment[@]}"} "$build/recorder/app/recorder" --config "$dir/recorder.yaml" 2>"$dir/recorder.log" &
    pids=($!)
  else
    local i=0 url
    for url in "${urls[@]}"; do
      i=$((i + 1)); mkdir -p "$dir/cam$i"
      ffmpeg -nostdin -loglevel error -rtsp_transport tcp -i "$url" -c copy -f segment -segment_time 10 \
        -reset_timestamps 1 "$dir/cam$i/out%03d.mp4" 2>"$dir/cam$i.log" &
      pids+=($!)
    done
  fi
  note "$kind started"
  sleep "$warmup"
  local c0 c1 peak=0 rss p
  c0=$(ticks "${pids[@]}")
  local second
  for second in $(seq 1 "$window"); do
    sleep 1
    rss=$(rss_kib "${pids[@]}"); [ "$rss" -gt "$peak" ] && peak=$rss
    echo "$second $rss" >>"$dir/rss.txt"
  done
  c1=$(ticks "${pids[@]}")
  local steady pss alive=0 slope
  # How RSS grows over the window: least-squares slope of the per-second samples, in KiB per hour.
  # The same over the window's second half alone: memory that fills once to a high-water mark shows a
  # slope over the whole window but none late; a leak shows both.
  local late_slope
  slope=$(rss_slope 0 "$dir/rss.txt")
  late_slope=$(rss_slope $(( window / 2 )) "$dir/rss.txt")
  steady=$(rss_kib "${pids[@]}"); [ "$steady" -gt "$peak" ] && peak=$steady; pss=$(pss_kib "${pids[@]}")
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
  [ "$alive" -eq "${#pids[@]}" ] || fail "$kind round $round: $(( ${#pids[@]} - alive )) of ${#pids[@]} processes died (logs in $dir)"
  # Finalise: the recorder closes its segments on SIGTERM, ffmpeg writes its trailer on SIGINT.
  if [[ $kind == recorder* ]]; then kill -TERM "${pids[@]}"; else kill -INT "${pids[@]}"; fi
  note "$kind stopping"
  for p in "${pids[@]}"; do wait "$p" || true; done
  pids=()
  note "$kind stopped"
  sleep 1  # camsim's shared media stop once their client has gone
  read -r frames1 bytes1 < <(sent)
  note "camsim asked"
  local written recorded failures=0
  written=$(du -sb --exclude='catalog*' --exclude='*.log' --exclude='*.yaml' "$dir" | cut -f1)
  recorded=$(count_frames "$dir")
  note "frames counted"
  [ "$recorded" -gt 0 ] || fail "$kind round $round recorded no frames (logs in $dir)"
  [[ $kind == recorder* ]] && failures=$(grep -c 'backoff' "$dir/recorder.log" || true)
  echo "kind=$kind round=$round cpu_ticks=$(( c1 - c0 )) rss_kib=$steady peak_kib=$peak pss_kib=$pss" \
       "sent_frames=$(( frames1 - frames0 )) sent_bytes=$(( bytes1 - bytes0 )) frames=$recorded bytes=$written" \
       "failures=$failures rss_slope_kib_h=$slope late_slope_kib_h=$late_slope" >>"$work/rounds.txt"
  rm -rf "${dir:?}"/cam* "$dir/footage"
}

echo "bench: $cameras cameras, $rounds rounds of $seconds s each for the recorder and for ffmpeg," \
     "steady window $window s after $warmup s; camsim $(grep -m1 'encoded' "$work/camsim.err" | cut -d' ' -f2-)"
read -r -a kinds <<<"${BENCH_KINDS:-recorder ffmpeg}"
kinds_done=()
for round in $(seq 1 "$rounds"); do
  for kind in "${kinds[@]}"; do
    run_round "$kind" "$round"
    line=$(tail -1 "$work/rounds.txt")
    awk -v n="$cameras" -v w="$window" -v hz="$hz" -v line="$line" 'BEGIN {
      split(line, kv, " "); for (i in kv) { e = index(kv[i], "="); f[substr(kv[i], 1, e - 1)] = substr(kv[i], e + 1) }
      printf "round %d %-8s  cpu %.3f s/camera-min  rss %.1f MiB (%.2f/camera) peak %.1f  pss %.1f MiB" \
             "  frames %d/%d sent  bytes %.1f/%.1f MB sent  failures %d  rss slope %+.1f MiB/h (second half %+.1f)\n",
        f["round"], f["kind"], f["cpu_ticks"] / hz / n / (w / 60), f["rss_kib"] / 1024, f["rss_kib"] / 1024 / n,
        f["peak_kib"] / 1024, f["pss_kib"] / 1024, f["frames"], f["sent_frames"], f["bytes"] / 1e6,
        f["sent_bytes"] / 1e6, f["failures"], f["rss_slope_kib_h"] / 1024, f["late_slope_kib_h"] / 1024 }'
  done
done
# Means over the rounds, and the ratio recorder/ffmpeg.
awk -v n="$cameras" -v w="$window" -v hz="$hz" '
  { for (i = 1; i <= NF; i++) { e = index($i, "="); f[substr($i, 1, e - 1)] = substr($i, e + 1) }
    k = f["kind"]; runs[k]++; cpu[k] += f["cpu_ticks"]; rss[k] += f["rss_kib"]; pss[k] += f["pss_kib"]
    if (f["peak_kib"] > peak[k]) peak[k] = f["peak_kib"]
    fr[k] += f["frames"]; sf[k] += f["sent_frames"]; by[k] += f["bytes"]; sb[k] += f["sent_bytes"] }
  END {
    for (k in runs) {
      c[k] = cpu[k] / runs[k] / hz / n / (w / 60)
      printf "mean  %-8s  cpu %.3f s/camera-min (%.2f %% of a core per camera)  rss %.1f MiB, %.2f MiB/camera" \
             " (peak %.1f)  pss %.1f MiB  frames %.2f %% of sent  bytes %.1f %% of sent\n",
        k, c[k], c[k] / 60 * 100, rss[k] / runs[k] / 1024, rss[k] / runs[k] / 1024 / n, peak[k] / 1024,
        pss[k] / runs[k] / 1024, 100 * fr[k] / sf[k], 100 * by[k] / sb[k]
    }
    if (c["ffmpeg"] > 0) for (k in runs) if (k != "ffmpeg")
      printf "ratio %s/ffmpeg: cpu %.2f  rss %.2f  pss %.2f\n", k, c[k] / c["ffmpeg"],
        rss[k] / rss["ffmpeg"], pss[k] / pss["ffmpeg"]
  }' "$work/rounds.txt"
