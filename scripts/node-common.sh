# Shared by scripts/elasticsearch.sh and scripts/opensearch.sh (sourced, not run):
# logging, apt fallbacks and tool checks, the wait for yellow, stop/status and the command dispatch.
#
# The sourcing script sets SCRIPT_NAME, PRODUCT (for messages), PORT_SETTING (the
# variable that moves the port), PORT, URL, CACHE, PID_FILE, START_TIMEOUT and
# STOP_TIMEOUT, and defines running_pid, show_logs and cmd_start; node_curl may be
# redefined (Elasticsearch's adds credentials when security is on).

log() { printf '[%s] %s\n' "$SCRIPT_NAME" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
is_root() { [[ "$(id -u)" == 0 ]]; }
node_curl() { curl "$@"; }

apt_install() {
    is_root || die "missing $1; install it (Debian package: $2)"
    log "installing $2 with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq "$2"; } >&2 || die "apt-get install $2 failed"
}

need_tools() {  # "$@" = tool:package pairs; a missing tool is installed from its package
    local pair
    for pair in "$@"; do
        command -v "${pair%%:*}" >/dev/null || apt_install "${pair%%:*}" "${pair#*:}"
    done
}

java_major() {  # $1 = a JDK home; prints its feature version, or nothing
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null || true
}

# A failed start must not leave a half-started node behind (CI would keep it).
abort_start() {
    show_logs
    local pid
    if pid=$(running_pid); then
        log "stopping the half-started node (pid ${pid})"
        kill -TERM "$pid" 2>/dev/null || true
        wait_exit "$pid"
    fi
    die "$1"
}

wait_exit() {  # $1 = pid; SIGKILL after STOP_TIMEOUT
    local deadline=$((SECONDS + STOP_TIMEOUT))
    while kill -0 "$1" 2>/dev/null; do
        if ((SECONDS >= deadline)); then
            log "pid $1 still alive after ${STOP_TIMEOUT}s: SIGKILL"
            kill -KILL "$1" 2>/dev/null || true
            sleep 1; return
        fi
        sleep 0.2
    done
}

healthy() {
    node_curl -fsS -o /dev/null --max-time 5 "${URL}/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null
}

wait_yellow() {
    local deadline=$((SECONDS + START_TIMEOUT))
    while ((SECONDS < deadline)); do
        healthy && return 0
        running_pid >/dev/null || abort_start "${PRODUCT} exited during startup"
        sleep 0.5
    done
    abort_start "${PRODUCT} did not reach yellow within ${START_TIMEOUT}s (${URL})"
}

# Something other than our node on the port would make the health check lie.
check_port_free() {
    if curl -s -o /dev/null --max-time 2 "${URL}/" 2>/dev/null; then
        die "port ${PORT} already answers HTTP and it is not this script's node; set ${PORT_SETTING}"
    fi
}

# One lock per port for the node (the scripts take another for their shared
# distribution), so nodes on two ports can start at once.
with_lock() {
    mkdir -p "$CACHE"
    exec 9>"${CACHE}/.lock-${PORT}"
    flock -w 600 9 || die "another ${SCRIPT_NAME} holds ${CACHE}/.lock-${PORT}"
}

with_dist_lock() {  # runs "$@" holding the lock on the distribution all ports share
    exec 8>"${CACHE}/.lock-dist"
    flock -w 600 8 || die "another ${SCRIPT_NAME} holds ${CACHE}/.lock-dist"
    "$@"
    exec 8>&-
}

# With this script's node up: says so, checks it is healthy, prints the URL.
already_running() {  # $1 = the node's log, named when it is not healthy
    local pid
    pid=$(running_pid) || return 1
    log "already running (pid ${pid})"
    healthy || die "pid ${pid} is running but ${URL} is not yellow; see $1"
    echo "$URL"
}

cmd_stop() {
    with_lock
    local pid t0
    if ! pid=$(running_pid); then
        log "not running"; rm -f "$PID_FILE"; return 0
    fi
    t0=$(now)
    log "stopping pid ${pid} (SIGTERM)"
    kill -TERM "$pid"
    wait_exit "$pid"
    rm -f "$PID_FILE"
    log "stopped in $(since "$t0")s"
}

cmd_status() {
    local pid
    if pid=$(running_pid); then
        echo "running ${URL} pid ${pid}"
    else
        echo "stopped"; return 3
    fi
}

main() {
    case "${1:-}" in
        start) cmd_start ;;
        stop) cmd_stop ;;
        status) cmd_status ;;
        url) echo "$URL" ;;
        *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
    esac
}
