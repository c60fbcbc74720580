#!/usr/bin/env bash
# Side-by-side HTTP load-balancer benchmark on 127.0.0.1; prints a markdown table (see README.md).
# The team's shared harness (shared/bench/run.sh); in this copy nginx and HAProxy are optional anchors,
# left out when not installed. bench/run.sh runs it with the balancer as the added target.
#
# usage: bench/compare.sh [options] [NAME=URL ...]
#   -c CONNS   wrk connections (64)
#   -t N       wrk threads (1)
#   -d SECS    measured seconds per target (10)
#   -w SECS    warm-up seconds per target (3)
#   -W SECS    warm-up seconds for added targets, e.g. 30 for a JVM (default: -w)
#   -D DELAY   Go backends with a fixed delay, e.g. 10ms (default: nginx backends, no delay)
#   -s CMD     start CMD (e.g. a gateway jar) once the backends are up; stopped at exit. Repeatable: with
#              one -s per added target, the k-th command's CPU counts as the k-th target's
#   -S SECS    how long added targets may take to answer 200 (10, or 120 with -s)
#   -p         pin wrk to CPU 1, backends and load balancers to CPU 0 (default: unpinned)
# NAME=URL adds a target (loopback only), measured like the anchors and listed after them.
# Besides req/s and latency, the table gives the CPU time per request of the load balancer and of the
# backends (user + system, read from /proc during the measured seconds), and how many cores the whole
# machine kept busy: on shared cores, what a request costs decides how many fit.
# Backends: 127.0.0.1:18081-18083; anchors: nginx 18084, haproxy 18085, seed 18086.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
conns=64 threads=1 dur=10 warm=3 warm_extra='' delay='' ready_s='' pin=''
start_cmds=()
die() { echo "run.sh: $*" >&2; exit 1; }
usage() { sed -n '6,21s/^# \{0,1\}//p' "$0" >&2; exit "${1:-2}"; }
while getopts c:t:d:w:W:D:s:S:ph opt; do
  case $opt in
    c) conns=$OPTARG ;; t) threads=$OPTARG ;; d) dur=$OPTARG ;; w) warm=$OPTARG ;; W) warm_extra=$OPTARG ;;
    D) delay=$OPTARG ;; s) start_cmds+=("$OPTARG") ;; S) ready_s=$OPTARG ;; p) pin=1 ;; h) usage 0 ;; *) usage ;;
  esac
done
shift $((OPTIND - 1))
ready_s=${ready_s:-$((${#start_cmds[@]} > 0 ? 120 : 10))}
warm_extra=${warm_extra:-$warm}

names=(direct nginx haproxy seed)
urls=(http://127.0.0.1:18081/ http://127.0.0.1:18084/ http://127.0.0.1:18085/ http://127.0.0.1:18086/)
for target in "$@"; do
  [[ $target =~ ^[A-Za-z0-9._-]+=http://(127\.[0-9.]+|localhost|\[::1\])(:[0-9]+)?(/.*)?$ ]] ||
    die "bad target '$target': want NAME=http://127.0.0.1:PORT/ (loopback only)"
  names+=("${target%%=*}") urls+=("${target#*=}")
done
for tool in wrk go curl; do
  command -v $tool >/dev/null || die "$tool missing: apt-get install -y wrk golang-go curl (and nginx haproxy to compare)"
done
[[ -z $pin ]] || command -v taskset >/dev/null || die "taskset missing: apt-get install -y util-linux"
has() { command -v "$1" >/dev/null; }
skip=()  # skip[i]=1: anchor i is not installed
has nginx || { skip[1]=1; echo "nginx not installed: no nginx anchor, Go backends" >&2; }
has haproxy || { skip[2]=1; echo "haproxy not installed: no HAProxy anchor" >&2; }
for port in 18081 18082 18083 18084 18085 18086; do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then die "port $port already in use"; fi
done

pin0=() pin1=()
[[ -n $pin ]] && pin0=(taskset -c 0) pin1=(taskset -c 1)
run=$(mktemp -d /tmp/lbbench.XXXXXX)
chmod 755 "$run"  # nginx workers run as nobody
pids=()           # plain pids; "-N" is the process group of a -s command
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

alive() { ps -o stat= "$@" 2>/dev/null | grep -qv '^Z'; }  # any live process among those selected
cleanup() {
  local rc=$? pid i
  for pid in "${pids[@]}"; do kill -TERM -- "$pid" 2>/dev/null || true; done
  for i in $(seq 50); do  # up to 5 s to exit, then SIGKILL
    local left=0
    for pid in "${pids[@]}"; do
      if [[ $pid == -* ]]; then alive -s "${pid#-}" && left=1; else alive -p "$pid" && left=1; fi
    done
    [[ $left == 0 ]] && break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -KILL -- "$pid" 2>/dev/null || true; done
  if [[ $rc == 0 ]]; then rm -rf "$run"; else echo "run.sh: logs kept in $run" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() {  # start NAME CMD...: run CMD in the background, log to $run/NAME.log; its pid in $started
  local name=$1; shift
  "${pin0[@]}" "$@" >"$run/$name.log" 2>&1 &
  started=$!
  pids+=("$started")
}
wait_ok() {  # wait_ok URL SECS: poll until URL answers 200
  local end=$((SECONDS + $2))
  until [[ $(curl -s -o /dev/null -m 1 -w '%{http_code}' "$1" || true) == 200 ]]; do
    ((SECONDS < end)) || die "no 200 from $1 within $2 s (logs in $run)"
    sleep 0.2
  done
}
rr() {  # rr URL: last two digits of the backend ports that 6 sequential GETs reached
  local i body out=''
  for i in 1 2 3 4 5 6; do
    body=$(curl -s -m 2 "$1" || true)
    [[ $body =~ backend\ 180([0-9][0-9]) ]] && out+="${BASH_REMATCH[1]} " || out+="? "
  done
  echo "${out% }"
}
strict() {  # strict "81 82 83 ...": yes when each port is the round-robin successor of the last
  local prev='' p
  for p in $1; do
    [[ $p == '?' ]] && { echo no; return; }
    [[ -n $prev && $p != $(( (prev - 81 + 1) % 3 + 81 )) ]] && { echo no; return; }
    prev=$p
  done
  echo yes
}
bench() {  # bench URL SECS OUT: wrk for SECS seconds, output to OUT
  timeout --foreground $(($2 + 20)) "${pin1[@]}" wrk -t"$threads" -c"$conns" -d"$2"s --latency "$1" >"$3" 2>&1 || true
}
parse() {  # parse WRK_OUT: "req/s p50_ms p99_ms errors" (errors: socket errors + non-2xx/3xx)
  awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0
                        if (v ~ /m$/) return v * 60000; return v * 1000 }
       /^ +50%/ { p50 = ms($2) } /^ +99%/ { p99 = ms($2) } /^Requests\/sec:/ { rps = $2 }
       /Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
       /Non-2xx or 3xx responses:/ { err += $NF }
       END { if (rps == "") print "fail - - -"; else printf "%.0f %.2f %.2f %d\n", rps, p50, p99, err }' "$1"
}

# cpu_ticks PID...: CPU clock ticks (user + system, all threads) used so far by each PID and its descendants;
# -N stands for every process in process group N. Each /proc/PID/stat line is "pid (comm) state ppid pgrp
# ... utime stime ...", and comm may hold spaces, so the fields are counted from the last ") ".
cpu_ticks() {
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v roots="$*" '
    BEGIN { n = split(roots, r, " ")
            for (i = 1; i <= n; i++) if (r[i] ~ /^-/) group[substr(r[i], 2)] = 1; else root[r[i]] = 1 }
    { pid = $1; rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
      parent[pid] = f[2]; pgrp[pid] = f[3]; ticks[pid] = f[12] + f[13] }
    END { for (p in ticks) {
            mine = (pgrp[p] in group)
            for (q = p; !mine && q > 1; q = parent[q]) mine = (q in root)
            if (mine) sum += ticks[p]
          }
          print sum + 0 }'
}
busy_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }  # user nice system irq softirq
has_proc=$([[ -r /proc/stat && -r /proc/self/stat ]] && echo 1 || true)
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
per_req() {  # per_req TICKS REQUESTS: microseconds of CPU per request
  awk -v t="$1" -v n="$2" -v hz="$hz" 'BEGIN { if (n > 0 && t != "") printf "%.0f", t * 1e6 / hz / n; else printf "-" }'
}

echo "building Go backend and seed in $run" >&2
[[ -n ${HOME:-}${XDG_CACHE_HOME:-}${GOCACHE:-} ]] || export GOCACHE=/tmp/lbbench-gocache
(cd "$here" && go build -o "$run/backend" . && go build -o "$run/seedlb" ./seedlb)
if [[ -n $delay || -n ${skip[1]:-} ]]; then
  backend_pids=()
  for port in 18081 18082 18083; do
    start backend-$port "$run/backend" -port $port -delay "${delay:-0s}"
    backend_pids+=("$started")
  done
  backend_desc="Go backend.go, ${delay:-no} delay"
else
  start nginx-backends nginx -p "$run/" -e "$run/nginx-backends.err" -c "$here/nginx-backends.conf"
  backend_pids=("$started")
  backend_desc="nginx return 200"
fi
for port in 18081 18082 18083; do wait_ok http://127.0.0.1:$port/health 10; done
# load balancers only now: their first health check must find the backends up
target_pids=()  # target_pids[i]: whose CPU counts as target i's (none for direct, or for added targets
                # that share one -s command)
[[ -n ${skip[1]:-} ]] || { start nginx-lb nginx -p "$run/" -e "$run/nginx-lb.err" -c "$here/nginx-lb.conf"; target_pids[1]=$started; }
[[ -n ${skip[2]:-} ]] || { start haproxy haproxy -db -f "$here/haproxy.cfg"; target_pids[2]=$started; }
start seed "$run/seedlb"
target_pids[3]=$started
for i in 1 2 3; do [[ -n ${skip[i]:-} ]] || wait_ok "${urls[i]}" 10; done
for k in "${!start_cmds[@]}"; do
  echo "starting: ${start_cmds[k]}" >&2
  "${pin0[@]}" setsid bash -c "${start_cmds[k]}" >"$run/start-cmd-$k.log" 2>&1 &
  pids+=("-$!")
  if ((${#start_cmds[@]} == ${#urls[@]} - 4)); then target_pids[4 + k]=-$!; fi
done
for ((i = 4; i < ${#urls[@]}; i++)); do wait_ok "${urls[i]}" "$ready_s"; done

seqs=()
for i in "${!urls[@]}"; do seqs+=("$([[ $i == 0 || -n ${skip[i]:-} ]] && echo '-' || rr "${urls[i]}")"); done
# the seed goes last: its default transport keeps 2 idle connections per backend, so it leaves
# thousands of loopback sockets in TIME_WAIT that should not weigh on the targets after it
results=()
for i in 0 1 2 $(seq 4 $((${#urls[@]} - 1))) 3; do
  if [[ -n ${skip[i]:-} ]]; then results[i]="fail - - -"; continue; fi
  w=$( ((i < 4)) && echo "$warm" || echo "$warm_extra")
  echo "${names[i]} ${urls[i]}: warm-up ${w}s, measure ${dur}s" >&2
  bench "${urls[i]}" "$w" "$run/warm-$i.out"
  if [[ -n $has_proc ]]; then
    t0=$(cpu_ticks ${target_pids[i]:-}) b0=$(cpu_ticks "${backend_pids[@]}") m0=$(busy_ticks) s0=$EPOCHREALTIME
  fi
  bench "${urls[i]}" "$dur" "$run/wrk-$i.out"
  results[i]=$(parse "$run/wrk-$i.out")
  cpu[i]='- - -'
  if [[ -n $has_proc ]]; then
    t1=$(cpu_ticks ${target_pids[i]:-}) b1=$(cpu_ticks "${backend_pids[@]}") m1=$(busy_ticks) s1=$EPOCHREALTIME
    n=$(awk '/ requests in / { print $1 }' "$run/wrk-$i.out")
    cpu[i]="$([[ -n ${target_pids[i]:-} ]] && per_req $((t1 - t0)) "$n" || echo -) $(per_req $((b1 - b0)) "$n")"
    cpu[i]+=" $(awk -v t=$((m1 - m0)) -v s="$s0" -v e="$s1" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz / (e - s) }')"
  fi
done

read -r direct_rps _ <<<"${results[0]}"
read -r nginx_rps _ <<<"${results[1]}"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else printf "-" }'; }
echo "### HTTP load balancers on 127.0.0.1, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "wrk -t$threads -c$conns -d${dur}s --latency per target after a ${warm}s warm-up$([[ $warm_extra != "$warm" ]] && echo " (${warm_extra}s for added targets)");" \
  "backends: $backend_desc;" \
  "$(nproc) cores shared by wrk, load balancer and backends ($([[ -n $pin ]] && echo 'pinned: wrk CPU 1, servers CPU 0' || echo unpinned));" \
  "$(has nginx && nginx -v 2>&1 | sed 's/.*: //' || echo 'no nginx'), HAProxy $(has haproxy && haproxy -v | awk 'NR == 1 { print $3 }' || echo 'not installed'), $(go version | awk '{ print $3 }')"
echo
echo "| target | URL | req/s | req/s vs direct | req/s vs nginx | p50 ms | p99 ms | errors | 6 sequential GETs -> 180xx | strict RR | target CPU µs/req | backends CPU µs/req | cores busy |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|"
for i in "${!urls[@]}"; do
  [[ -n ${skip[i]:-} ]] && continue
  read -r rps p50 p99 err <<<"${results[i]}"
  read -r cpu_target cpu_backends cores <<<"${cpu[i]}"
  echo "| ${names[i]} | ${urls[i]} | $rps | $(ratio "$rps" "$direct_rps") | $(ratio "$rps" "$nginx_rps") | $p50 | $p99 | $err" \
    "| ${seqs[i]} | $([[ $i == 0 ]] && echo '-' || strict "${seqs[i]}") | $cpu_target | $cpu_backends | $cores |"
done
