#!/usr/bin/env bash
# A real single-node OpenSearch 2.x on 127.0.0.1, next to scripts/elasticsearch.sh.
#
#   scripts/opensearch.sh start    resolve jars (Maven), compile the launcher, start, wait for yellow; prints the URL
#   scripts/opensearch.sh stop     SIGTERM, wait for exit (no-op when not running)
#   scripts/opensearch.sh status   "running <url> pid <pid>" (exit 0) or "stopped" (exit 3)
#   scripts/opensearch.sh url      prints the URL
#
# Only the URL goes to stdout (URL=$(scripts/opensearch.sh start)); progress goes to stderr.
# Settings (environment):
#   TRIAGE_OS_PORT          HTTP port                                   (9210)
#   TRIAGE_OS_HOME          cache: jars, compiled launcher, node dirs   ($HOME/.cache/triage-os)
#   TRIAGE_OS_HEAP          -Xms/-Xmx                                   (512m)
#   TRIAGE_OS_JAVA_HOME     JDK to run it with (17+)                    (the default javac's JDK)
#   TRIAGE_OS_JAVA_OPTS     extra JVM flags                             (none)
#   TRIAGE_OS_CLEAN=1       wipe the node's data dir before starting    (keep)
#   TRIAGE_OS_START_TIMEOUT / TRIAGE_OS_STOP_TIMEOUT  seconds           (180 / 60)
#   TRIAGE_OS_M2_REPO       Maven local repository                      ($HOME/.m2/repository)
#   TRIAGE_OS_KEEPALIVE_INTERVAL   search.keep_alive_interval           (1s)
#   TRIAGE_OS_PIT_INIT_KEEPALIVE   point_in_time.init.keep_alive        (1s)
# See scripts/README-opensearch.md for why it is built this way.
set -euo pipefail

OS_VERSION="2.19.6"  # also in scripts/os-launcher/pom.xml
MVN_DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
MIN_JAVA=17
LAUNCHER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/os-launcher"
LAUNCHER_CLASS="triage.oslauncher.Launcher"

PORT="${TRIAGE_OS_PORT:-9210}"
CACHE=$(realpath -m -- "${TRIAGE_OS_HOME:-${HOME:?HOME is not set}/.cache/triage-os}")
HEAP="${TRIAGE_OS_HEAP:-512m}"
START_TIMEOUT="${TRIAGE_OS_START_TIMEOUT:-180}"
STOP_TIMEOUT="${TRIAGE_OS_STOP_TIMEOUT:-60}"
KEEPALIVE_INTERVAL="${TRIAGE_OS_KEEPALIVE_INTERVAL:-1s}"
PIT_INIT_KEEPALIVE="${TRIAGE_OS_PIT_INIT_KEEPALIVE:-1s}"
M2_REPO="${TRIAGE_OS_M2_REPO:-$HOME/.m2/repository}"

[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "TRIAGE_OS_PORT must be a number, got '${PORT}'" >&2; exit 2; }
URL="http://127.0.0.1:${PORT}"
DIST="${CACHE}/dist/opensearch-${OS_VERSION}"
NODE="${CACHE}/node-${PORT}"
PID_FILE="${NODE}/opensearch.pid"
CLUSTER_NAME="triage-os"
OS_LOG="${NODE}/logs/${CLUSTER_NAME}.log"

SCRIPT_NAME="opensearch.sh"
PRODUCT="OpenSearch"
PORT_SETTING="TRIAGE_OS_PORT"
# shellcheck source=node-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/node-common.sh"

# ---------------------------------------------------------------- prerequisites

# OpenSearch 2.19 runs on 17 (the machine's default); javac compiles the launcher.
find_jdk() {
    local home="${TRIAGE_OS_JAVA_HOME:-${JAVA_HOME:-}}" javac
    if [[ -z "$home" ]]; then
        javac=$(command -v javac || true)
        [[ -n "$javac" ]] || apt_install javac openjdk-17-jdk-headless
        home=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    fi
    local v; v=$(java_major "$home")
    [[ -x "$home/bin/javac" && "${v:-0}" -ge "$MIN_JAVA" ]] ||
        die "$home is not a JDK >= $MIN_JAVA; set TRIAGE_OS_JAVA_HOME"
    printf '%s' "$home"
}

# ---------------------------------------------------------------- jars and launcher

# The marker records the pom and the launcher's sources the cached tree was built from,
# so an edit to scripts/os-launcher/ rebuilds it on the next start.
launcher_stamp() {
    (cd "$LAUNCHER_DIR" && cat pom.xml config/log4j2.properties triage/oslauncher/*.java) |
        sha256sum | cut -d' ' -f1
}

install_dist() {
    local stamp; stamp=$(launcher_stamp)
    if [[ -f "${DIST}/.triage-ready" && "$(<"${DIST}/.triage-ready")" == "$stamp" ]]; then
        return 0
    fi
    local t0 tmp; t0=$(now)
    mkdir -p "${CACHE}/dist"
    rm -rf "${CACHE}/dist/.build."*  # left by an interrupted earlier run (we hold the lock)
    tmp=$(mktemp -d "${CACHE}/dist/.build.XXXXXX")
    log "resolving OpenSearch ${OS_VERSION} and its modules with Maven (about 70 MB on a fresh ~/.m2)"
    # -C: strict checksums; Central has them for every jar here.
    if ! mvn -B -ntp -C -f "${LAUNCHER_DIR}/pom.xml" "${MVN_DEP_PLUGIN}:copy-dependencies" \
        -DoutputDirectory="${tmp}/lib" -DincludeScope=runtime -Dmaven.repo.local="$M2_REPO" \
        >"${CACHE}/maven.log" 2>&1; then
        tail -n 30 "${CACHE}/maven.log" >&2
        die "Maven could not resolve the jars in ${LAUNCHER_DIR}/pom.xml (full log: ${CACHE}/maven.log)"
    fi
    [[ -s "${tmp}/lib/opensearch-${OS_VERSION}.jar" ]] || die "Maven left no opensearch-${OS_VERSION}.jar"
    mkdir -p "${tmp}/classes" "${tmp}/config"
    "$JDK/bin/javac" --release "$MIN_JAVA" -proc:none -nowarn -cp "${tmp}/lib/*" -d "${tmp}/classes" \
        "${LAUNCHER_DIR}"/triage/oslauncher/*.java >&2 ||
        die "could not compile the launcher against OpenSearch ${OS_VERSION}"
    cp "${LAUNCHER_DIR}/config/log4j2.properties" "${tmp}/config/"
    rm -rf "$DIST"
    mv "$tmp" "$DIST"
    echo "$stamp" >"${DIST}/.triage-ready"
    log "jars and launcher ready in ${DIST} in $(since "$t0")s"
}

# ---------------------------------------------------------------- node

# A pid is ours only if it is alive and is the launcher for this node's config dir,
# so a stale pid file (reboot, reused pid) is never mistaken for a running node.
running_pid() {
    [[ -s "$PID_FILE" ]] || return 1
    local pid; pid=$(<"$PID_FILE")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    tr '\0' '\n' <"/proc/${pid}/cmdline" 2>/dev/null | grep -qxF -- "${NODE}/config" || return 1
    printf '%s' "$pid"
}

prepare_node() {
    if [[ "${TRIAGE_OS_CLEAN:-0}" == 1 ]]; then
        log "TRIAGE_OS_CLEAN=1: wiping ${NODE}/data"
        rm -rf "${NODE}/data"
    fi
    mkdir -p "${NODE}/config" "${NODE}/data" "${NODE}/logs" "${NODE}/tmp"
    cp "${DIST}/config/log4j2.properties" "${NODE}/config/"
    write_node_config >"${NODE}/config/opensearch.yml"
    rm -f "$PID_FILE"
    # Keep the previous run's log aside so a failed start shows only its own lines.
    if [[ -f "$OS_LOG" ]]; then mv -f "$OS_LOG" "${OS_LOG}.previous"; fi
}

write_node_config() {
    cat <<EOF
# Written by scripts/opensearch.sh on every start; edits are overwritten.
cluster.name: ${CLUSTER_NAME}
node.name: ${CLUSTER_NAME}-${PORT}
path.home: ${NODE}
path.data: ${NODE}/data
path.logs: ${NODE}/logs
network.host: 127.0.0.1
http.port: ${PORT}
# Above Elasticsearch's default 9300-9399, so the two nodes never contend for one.
transport.port: 9400-9499
discovery.type: single-node
cluster.routing.allocation.disk.threshold_enabled: false
# How often expired search contexts and points in time are freed (default 1m), and the
# keep-alive a new PIT starts with (default 30s; a PIT never lives shorter than it):
# short, so a PIT that outlives its keep_alive fails within seconds, as tests need.
search.keep_alive_interval: ${KEEPALIVE_INTERVAL}
point_in_time.init.keep_alive: ${PIT_INIT_KEEPALIVE}
EOF
}

# setsid: the node leaves the caller's session, so a Ctrl-C or a CI job's process group
# signal does not reach it; only `stop` does. The pid is java's: setsid execs it in place.
# A clean environment keeps a caller's JAVA_TOOL_OPTIONS out; fd 9 (our lock) is closed.
launch() {
    local -a cmd=(env -i "PATH=/usr/local/bin:/usr/bin:/bin" "HOME=${NODE}" "LANG=C.UTF-8"
        setsid "${JDK}/bin/java" "-Xms${HEAP}" "-Xmx${HEAP}" "-Djava.io.tmpdir=${NODE}/tmp"
        "-Djava.awt.headless=true" "-Dfile.encoding=UTF-8" ${TRIAGE_OS_JAVA_OPTS:-}
        -cp "${DIST}/classes:${DIST}/lib/*" "$LAUNCHER_CLASS" "${NODE}/config")
    (cd "${NODE}" && exec "${cmd[@]}" </dev/null >"$OS_LOG" 2>&1 9>&-) &
    echo $! >"$PID_FILE"
}

show_logs() {
    log "---- last 50 lines of ${OS_LOG} ----"
    tail -n 50 "$OS_LOG" >&2 2>/dev/null || log "(no log written)"
}

# GET / must say OpenSearch: the Python side picks its client by the configured engine.
check_distribution() {
    curl -fsS --max-time 5 "${URL}/" 2>/dev/null | grep -q '"distribution" : "opensearch"' ||
        abort_start "${URL}/ answers, but not as OpenSearch"
}

# ---------------------------------------------------------------- commands

cmd_start() {
    need_tools curl:curl mvn:maven flock:util-linux setsid:util-linux
    with_lock
    already_running "$OS_LOG" && return 0
    check_port_free
    JDK=$(find_jdk)
    with_dist_lock install_dist
    prepare_node
    local t0; t0=$(now)
    log "starting OpenSearch ${OS_VERSION} on ${URL} (JDK ${JDK}, heap ${HEAP}, data ${NODE}/data)"
    launch
    sleep 0.2
    running_pid >/dev/null || abort_start "no OpenSearch process after launch"
    wait_yellow
    check_distribution
    log "started in $(since "$t0")s (pid $(running_pid))"
    echo "$URL"
}

main "$@"
