#!/usr/bin/env bash
# The balancer side by side with nginx, HAProxy and the Go seed, all over the same three backends on
# loopback: builds the jar if needed, starts the balancer the way the container image does (extracted, with
# an ahead-of-time cache or class data sharing archive), and prints the table of bench/compare.sh.
#
# usage: bench/run.sh [--floor] [compare.sh options]
#   bench/run.sh                  no backend delay, wrk -c64
#   bench/run.sh -D 10ms -c 256   backends answering after 10 ms, 256 connections
#   bench/run.sh --floor ...      also measure bench/floor/ReactorNettyProxy.java (port 18095): a bare proxy
#                                 on Reactor Netty, the library under the gateway, as the floor for any Java
#                                 proxy built on it; needs a JDK, which runs the source file directly
#   JAVA_OPTS=-Xmx256m bench/run.sh
#   JAVA=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java bench/run.sh   the JVM (default: java on the PATH); the
#                                 container image runs on Java 25
# Needs wrk, Go and curl; nginx and HAProxy are compared when installed:
#   apt-get install -y wrk golang-go curl nginx haproxy
set -euo pipefail
cd "$(dirname "$0")/.."
floor=''
if [[ ${1:-} == --floor ]]; then floor=1; shift; fi

jar=$(ls target/balancer-*.jar 2>/dev/null | head -1 || true)
if [[ -z $jar ]]; then
  ./mvnw -B -q -DskipTests package
  jar=$(ls target/balancer-*.jar | head -1)
fi

app=$(mktemp -d /tmp/balancer-bench.XXXXXX)
trap 'rm -rf "$app"' EXIT
java=${JAVA:-java}
"$java" -Djarmode=tools -jar "$jar" extract --application-filename balancer.jar --destination "$app/app" >/dev/null
# As in the Dockerfile: an ahead-of-time cache on Java 25 and later, a class data sharing archive before.
if "$java" -XX:+PrintFlagsFinal -version 2>/dev/null | grep -q AOTCacheOutput; then
  archive=-XX:AOTCacheOutput=balancer.aot use=-XX:AOTCache=balancer.aot
else
  archive=-XX:ArchiveClassesAtExit=balancer.jsa use=-XX:SharedArchiveFile=balancer.jsa
fi
(cd "$app/app" && "$java" "$archive" -Dspring.context.exit=onRefresh -jar balancer.jar \
  --balancer.backends[0].url=http://localhost:1 --server.port=0 --management.server.port=0 >/dev/null 2>&1)

starts=(-s "cd $app/app && exec \"$java\" ${JAVA_OPTS:-} $use -jar balancer.jar \
--server.port=18090 --management.server.port=18091 --balancer.health-check.path=/health \
--balancer.backends[0].url=http://127.0.0.1:18081 --balancer.backends[1].url=http://127.0.0.1:18082 \
--balancer.backends[2].url=http://127.0.0.1:18083")
targets=(balancer=http://127.0.0.1:18090/)
if [[ -n $floor ]]; then
  starts+=(-s "exec \"$java\" ${JAVA_OPTS:-} -cp '$app/app/lib/*' '$PWD/bench/floor/ReactorNettyProxy.java' 18095 \
http://127.0.0.1:18081 http://127.0.0.1:18082 http://127.0.0.1:18083")
  targets+=(floor=http://127.0.0.1:18095/)
fi

# A JVM compiles its hot paths while it runs: 40 s of warm-up before the 10 s that count.
bench/compare.sh -W 40 "$@" "${starts[@]}" "${targets[@]}"
