#!/usr/bin/env bash
# A real single-node Elasticsearch on 127.0.0.1 for triage's tests and users.
#
#   scripts/elasticsearch.sh start    fetch (Maven), unpack, start, wait for yellow; prints the URL
#   scripts/elasticsearch.sh stop     SIGTERM, wait for exit (no-op when not running)
#   scripts/elasticsearch.sh status   "running <url> pid <pid>" (exit 0) or "stopped" (exit 3)
#   scripts/elasticsearch.sh url      prints the URL
#
# Only the URL goes to stdout (URL=$(scripts/elasticsearch.sh start)); progress goes to stderr.
# Settings (environment):
#   TRIAGE_ES_PORT          HTTP port                                   (9200)
#   TRIAGE_ES_HOME          cache: unpacked distribution + node dirs    ($HOME/.cache/triage-es)
#   TRIAGE_ES_HEAP          -Xms/-Xmx                                   (512m)
#   TRIAGE_ES_JAVA_HOME     JDK to run it with (9.x needs 21+)          (newest JDK found)
#   TRIAGE_ES_USER          account the node runs as when we are root   (triage-es)
#   TRIAGE_ES_CLEAN=1       wipe the node's data dir before starting    (keep)
#   TRIAGE_ES_START_TIMEOUT / TRIAGE_ES_STOP_TIMEOUT  seconds           (180 / 60)
#   TRIAGE_ES_M2_REPO       Maven local repository                      ($HOME/.m2/repository)
#   TRIAGE_ES_KEEPALIVE_INTERVAL  search.keep_alive_interval             (1s)
#   TRIAGE_ES_SECURITY=1    security on (HTTP basic auth, no TLS) with a file-realm
#                           superuser TRIAGE_ES_SECURE_USER (triage) and a role-less
#                           <user>-noaccess, both with TRIAGE_ES_SECURE_PASSWORD (required)  (off)
# See scripts/README-elasticsearch.md for why it is built this way.
set -euo pipefail
# useradd and runuser live in sbin, which a CI job's PATH may lack.
PATH="${PATH}:/usr/sbin:/sbin"

ES_VERSION="9.5.4"
# Central publishes no .sha1/.pom for the 9.x integ-test zips, so Maven cannot check
# the download: this pin is the only integrity check.
ES_ZIP_SHA256="d9b0c28e08e499f6510b52ad66ec4bf9cdceab97cc28b3456989b8744b896934"
ES_GAV="org.elasticsearch.distribution.integ-test-zip:elasticsearch:${ES_VERSION}:zip"
MVN_DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
MIN_JAVA=21
# The GET / plugin's source, compiled against the zip's jars on first start.
PLUGIN_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/es-plugin/triage/esroot/RootInfoPlugin.java"

PORT="${TRIAGE_ES_PORT:-9200}"
CACHE=$(realpath -m -- "${TRIAGE_ES_HOME:-${HOME:?HOME is not set}/.cache/triage-es}")
HEAP="${TRIAGE_ES_HEAP:-512m}"
ES_USER="${TRIAGE_ES_USER:-triage-es}"
START_TIMEOUT="${TRIAGE_ES_START_TIMEOUT:-180}"
STOP_TIMEOUT="${TRIAGE_ES_STOP_TIMEOUT:-60}"
KEEPALIVE_INTERVAL="${TRIAGE_ES_KEEPALIVE_INTERVAL:-1s}"
SECURITY="${TRIAGE_ES_SECURITY:-0}"
SECURE_USER="${TRIAGE_ES_SECURE_USER:-triage}"
if [[ "$SECURITY" == 1 && -z "${TRIAGE_ES_SECURE_PASSWORD:-}" && "${1:-}" == start ]]; then
    echo "TRIAGE_ES_SECURITY=1 needs TRIAGE_ES_SECURE_PASSWORD (6+ characters)" >&2; exit 2
fi
M2_REPO="${TRIAGE_ES_M2_REPO:-$HOME/.m2/repository}"

[[ "$PORT" =~ ^[0-9]+$ ]] || { echo "TRIAGE_ES_PORT must be a number, got '${PORT}'" >&2; exit 2; }
URL="http://127.0.0.1:${PORT}"
DIST="${CACHE}/dist/elasticsearch-${ES_VERSION}"
NODE="${CACHE}/node-${PORT}"
PID_FILE="${NODE}/elasticsearch.pid"
CLUSTER_NAME="triage-es"
ES_LOG="${NODE}/logs/${CLUSTER_NAME}.log"
START_OUT="${NODE}/logs/start.out"
ZIP="${M2_REPO}/org/elasticsearch/distribution/integ-test-zip/elasticsearch/${ES_VERSION}/elasticsearch-${ES_VERSION}.zip"

SCRIPT_NAME="elasticsearch.sh"
PRODUCT="Elasticsearch"
PORT_SETTING="TRIAGE_ES_PORT"
# shellcheck source=node-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/node-common.sh"

# ---------------------------------------------------------------- prerequisites

# ES 9 needs a JDK 21+, and a full JDK: javac/jar build the small GET / plugin.
find_jdk() {
    local cand best="" best_v=0 v
    if [[ -n "${TRIAGE_ES_JAVA_HOME:-}" ]]; then
        v=$(java_major "$TRIAGE_ES_JAVA_HOME")
        [[ -x "$TRIAGE_ES_JAVA_HOME/bin/javac" && "${v:-0}" -ge "$MIN_JAVA" ]] ||
            die "TRIAGE_ES_JAVA_HOME=$TRIAGE_ES_JAVA_HOME is not a JDK >= $MIN_JAVA"
        printf '%s' "$TRIAGE_ES_JAVA_HOME"; return
    fi
    for cand in "${ES_JAVA_HOME:-}" "${JAVA_HOME:-}" /usr/lib/jvm/*; do
        [[ -n "$cand" && -x "$cand/bin/javac" ]] || continue
        v=$(java_major "$cand")
        if [[ "${v:-0}" -gt "$best_v" ]]; then best="$cand"; best_v="$v"; fi
    done
    [[ "$best_v" -ge "$MIN_JAVA" ]] ||
        die "Elasticsearch ${ES_VERSION} needs a JDK >= ${MIN_JAVA} (none under /usr/lib/jvm); set TRIAGE_ES_JAVA_HOME"
    printf '%s' "$best"
}

# ES refuses to run as root, so as root the node runs as a locked system account.
ensure_user() {
    is_root || return 0
    id -u "$ES_USER" >/dev/null 2>&1 && return 0
    log "creating system user ${ES_USER}"
    useradd --system --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$ES_USER"
}

# /root is 0700 on Debian: the node's account must be able to walk down to the cache.
# Only the search (x) bit is added, never read, and only where it is missing.
ensure_reachable() {
    is_root || return 0
    local dir="" part
    local -a parts
    IFS=/ read -r -a parts <<<"${CACHE#/}"
    for part in "${parts[@]}"; do  # top-down: a child cannot be tested before its parent is open
        dir="${dir}/${part}"
        if ! runuser -u "$ES_USER" -- test -x "$dir" 2>/dev/null; then
            log "granting search permission (o+x, not read) on ${dir} so ${ES_USER} can reach ${CACHE}"
            chmod o+x "$dir"
        fi
    done
}

# ---------------------------------------------------------------- distribution

fetch_zip() {
    if [[ ! -s "$ZIP" ]]; then
        local t0; t0=$(now)
        log "downloading ${ES_GAV} with Maven (about 130 MB)"
        # -c: Central has no checksum files for these zips; the sha256 pin below checks it.
        if ! mvn -B -ntp -c "${MVN_DEP_PLUGIN}:get" -Dartifact="$ES_GAV" -Dtransitive=false \
            -Dmaven.repo.local="$M2_REPO" >"${CACHE}/maven.log" 2>&1; then
            tail -n 30 "${CACHE}/maven.log" >&2
            die "Maven could not fetch ${ES_GAV} (full log: ${CACHE}/maven.log)"
        fi
        [[ -s "$ZIP" ]] || die "Maven reported success but ${ZIP} is missing"
        log "download: $(since "$t0")s, $(du -h "$ZIP" | cut -f1)"
    fi
    local sum; sum=$(sha256sum "$ZIP" | cut -d' ' -f1)
    [[ "$sum" == "$ES_ZIP_SHA256" ]] ||
        die "checksum mismatch for ${ZIP} (got ${sum}, pinned ${ES_ZIP_SHA256}); delete it and retry"
}

# The marker records which plugin source the cached tree was built with, so an
# edit to scripts/es-plugin/.../RootInfoPlugin.java rebuilds the plugin without a new download.
plugin_stamp() { write_plugin_source | sha256sum | cut -d' ' -f1; }

unpack_dist() {
    local stamp; stamp=$(plugin_stamp)
    if [[ -f "${DIST}/.triage-ready" ]]; then
        [[ "$(<"${DIST}/.triage-ready")" == "$stamp" ]] && return 0
        log "GET / plugin changed: rebuilding it in ${DIST}"
        rm -rf "${DIST}/plugins/triage-root"
        build_root_plugin "$DIST"
        chmod -R a+rX "${DIST}/plugins"
        echo "$stamp" >"${DIST}/.triage-ready"
        return 0
    fi
    local t0 tmp; t0=$(now)
    mkdir -p "${CACHE}/dist"
    rm -rf "${CACHE}/dist/.unpack."*  # left by an interrupted earlier run (we hold the lock)
    tmp=$(mktemp -d "${CACHE}/dist/.unpack.XXXXXX")
    unzip -q "$ZIP" -d "$tmp" || die "could not unzip ${ZIP}"
    [[ -x "${tmp}/elasticsearch-${ES_VERSION}/bin/elasticsearch" ]] || die "unexpected layout in ${ZIP}"
    build_root_plugin "${tmp}/elasticsearch-${ES_VERSION}"
    chmod -R a+rX "$tmp"
    rm -rf "$DIST"
    mv "${tmp}/elasticsearch-${ES_VERSION}" "$DIST"
    rmdir "$tmp"
    echo "$stamp" >"${DIST}/.triage-ready"
    log "unpacked into ${DIST} in $(since "$t0")s"
}

# The integ-test zip has no rest-root module, so `GET /` (client.info(), ping())
# answers 405. This plugin, compiled here against the zip's own jars, serves it
# with the same fields as a stock node.
build_root_plugin() {  # $1 = unpacked distribution
    local es="$1" work="$1/plugins/.build" out="$1/plugins/triage-root"
    mkdir -p "$work/src" "$work/classes" "$out"
    write_plugin_source >"$work/src/RootInfoPlugin.java"
    "$JDK/bin/javac" --release "$MIN_JAVA" -proc:none -nowarn -cp "$es/lib/*" \
        -d "$work/classes" "$work/src/RootInfoPlugin.java" >&2 ||
        die "could not compile the GET / plugin against Elasticsearch ${ES_VERSION}"
    "$JDK/bin/jar" --create --file "$out/triage-root.jar" -C "$work/classes" .
    cat >"$out/plugin-descriptor.properties" <<EOF
name=triage-root
description=GET / and HEAD / for the triage test node (the integ-test zip lacks rest-root)
version=${ES_VERSION}
classname=triage.esroot.RootInfoPlugin
java.version=${MIN_JAVA}
elasticsearch.version=${ES_VERSION}
EOF
    rm -rf "$work"
}

write_plugin_source() {
    cat "$PLUGIN_SRC" || die "missing ${PLUGIN_SRC}"
}

# ---------------------------------------------------------------- node

# A pid is ours only if it is alive and is the ES server using this node's temp dir,
# so a stale pid file (reboot, reused pid) is never mistaken for a running node.
running_pid() {
    [[ -s "$PID_FILE" ]] || return 1
    local pid; pid=$(<"$PID_FILE")
    [[ "$pid" =~ ^[0-9]+$ ]] || return 1
    tr '\0' '\n' <"/proc/${pid}/cmdline" 2>/dev/null |
        grep -qxF -- "-Djava.io.tmpdir=${NODE}/tmp" || return 1
    printf '%s' "$pid"
}

prepare_node() {
    if [[ "${TRIAGE_ES_CLEAN:-0}" == 1 ]]; then
        log "TRIAGE_ES_CLEAN=1: wiping ${NODE}/data"
        rm -rf "${NODE}/data"
    fi
    mkdir -p "${NODE}/config" "${NODE}/data" "${NODE}/logs" "${NODE}/tmp"
    cp "${DIST}/config/jvm.options" "${DIST}/config/log4j2.properties" "${NODE}/config/"
    mkdir -p "${NODE}/config/jvm.options.d"
    write_node_config >"${NODE}/config/elasticsearch.yml"
    rm -f "$PID_FILE"
    # Keep the previous run's log aside so a failed start shows only its own lines.
    if [[ -f "$ES_LOG" ]]; then mv -f "$ES_LOG" "${ES_LOG}.previous"; fi
    if is_root; then chown -R "${ES_USER}:" "$NODE"; fi
}

write_node_config() {
    cat <<EOF
# Written by scripts/elasticsearch.sh on every start; edits are overwritten.
cluster.name: ${CLUSTER_NAME}
node.name: ${CLUSTER_NAME}-${PORT}
network.host: 127.0.0.1
http.port: ${PORT}
discovery.type: single-node
cluster.routing.allocation.disk.threshold_enabled: false
path.data: ${NODE}/data
path.logs: ${NODE}/logs
# How often expired search contexts and points in time are freed (default 1m):
# short, so a PIT that outlives its keep_alive fails within seconds, as tests need.
search.keep_alive_interval: ${KEEPALIVE_INTERVAL}
EOF
    # The setting only exists when the x-pack security module ships in the zip.
    if [[ "$SECURITY" == 1 ]]; then
        # Explicit settings also keep ES from auto-configuring TLS and enrollment;
        # transport TLS is not required for a single-node cluster on loopback.
        printf '%s\n' "xpack.security.enabled: true" "xpack.security.http.ssl.enabled: false" \
            "xpack.security.transport.ssl.enabled: false"
    elif [[ -d "${DIST}/modules/x-pack-security" ]]; then
        echo "xpack.security.enabled: false"
    fi
}

# The file realm's users live in the node's config dir; written afresh on every start.
add_secure_user() {
    [[ "$SECURITY" == 1 ]] || return 0
    # elasticsearch-users edits these files and refuses to start without them.
    : >"${NODE}/config/users"
    : >"${NODE}/config/users_roles"
    if is_root; then chown "${ES_USER}:" "${NODE}/config/users" "${NODE}/config/users_roles"; fi
    users_tool useradd "$SECURE_USER" -p "$TRIAGE_ES_SECURE_PASSWORD" -r superuser
    # The same password and no role at all: authenticated, allowed nothing (403s).
    users_tool useradd "${SECURE_USER}-noaccess" -p "$TRIAGE_ES_SECURE_PASSWORD"
}

users_tool() {
    local -a cmd=(env -i "PATH=/usr/local/bin:/usr/bin:/bin" "HOME=${NODE}" "ES_JAVA_HOME=${JDK}"
        "ES_PATH_CONF=${NODE}/config" "${DIST}/bin/elasticsearch-users" "$@")
    if is_root; then cmd=(runuser -u "$ES_USER" -- "${cmd[@]}"); fi
    "${cmd[@]}" >&2 9>&- || die "elasticsearch-users $1 $2 failed"
}

node_curl() {  # curl, with the secure user's credentials when security is on (node-common.sh's, redefined)
    if [[ "$SECURITY" == 1 ]]; then
        curl -u "${SECURE_USER}:${TRIAGE_ES_SECURE_PASSWORD}" "$@"
    else
        curl "$@"
    fi
}

# -d daemonizes: the launcher returns once the server JVM is up; -p writes its pid.
# A clean environment keeps a caller's JAVA_TOOL_OPTIONS/ES_JAVA_OPTS out of the node;
# fd 9 (our lock) is closed so the daemon does not hold it.
launch() {
    local -a cmd=(env -i "PATH=/usr/local/bin:/usr/bin:/bin" "HOME=${NODE}" "LANG=C.UTF-8"
        "ES_JAVA_HOME=${JDK}" "ES_PATH_CONF=${NODE}/config" "ES_TMPDIR=${NODE}/tmp"
        "ES_JAVA_OPTS=-Xms${HEAP} -Xmx${HEAP} ${TRIAGE_ES_JAVA_OPTS:-}"
        "${DIST}/bin/elasticsearch" -d -p "$PID_FILE")
    if is_root; then cmd=(runuser -u "$ES_USER" -- "${cmd[@]}"); fi
    (cd "${NODE}" && "${cmd[@]}" </dev/null >"$START_OUT" 2>&1 9>&-)
}

show_logs() {
    log "---- last 50 lines of ${ES_LOG} ----"
    tail -n 50 "$ES_LOG" >&2 2>/dev/null || log "(no log written)"
    log "---- launcher output ${START_OUT} (last 20 lines) ----"
    tail -n 20 "$START_OUT" >&2 2>/dev/null || true
}

# ---------------------------------------------------------------- commands

install_dist() {
    fetch_zip
    unpack_dist
}

cmd_start() {
    need_tools curl:curl unzip:unzip mvn:maven flock:util-linux
    with_lock
    already_running "$ES_LOG" && return 0
    check_port_free
    JDK=$(find_jdk)
    ensure_user
    with_dist_lock install_dist
    ensure_reachable
    prepare_node
    add_secure_user
    local t0; t0=$(now)
    log "starting Elasticsearch ${ES_VERSION} on ${URL} (JDK ${JDK}, heap ${HEAP}, data ${NODE}/data)"
    launch || abort_start "the Elasticsearch launcher failed"
    running_pid >/dev/null || abort_start "no Elasticsearch process after launch"
    wait_yellow
    log "started in $(since "$t0")s (pid $(running_pid))"
    echo "$URL"
}

main "$@"
