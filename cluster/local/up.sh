#!/usr/bin/env bash
# Start a one-node Slurm cluster (munged, slurmctld, slurmd) on this machine,
# without systemd, for tests and laptops.  See cluster/local/README.md.
#
# Idempotent: when the cluster of this directory is up it changes nothing.
# Everything the daemons write lives under $RNNSWEEP_SLURM_DIR; $DIR/run/started
# lists the daemons this script started, which are the only ones down.sh stops.
set -euo pipefail

usage() {
  cat <<EOF
usage: cluster/local/up.sh [--help]

Starts munged (unless one already runs on this machine), slurmctld and slurmd,
installing the Debian packages first if missing, and waits until the node
'localhost' of partition 'debug' is idle.  A second run says the cluster is
already up and changes nothing.  Stop it with cluster/local/down.sh.

Environment:
  RNNSWEEP_SLURM_DIR      private directory for config, state, spool, logs
                          and PID files (default /tmp/rnnsweep-slurm)
  RNNSWEEP_SLURM_TIMEOUT  seconds to wait for the daemons (default 60)
  RNNSWEEP_SLURM_PORT     slurmctld port; slurmd uses the next one (default:
                          6817, or the first free pair above it, so that
                          several clusters can run side by side)

Afterwards:  . "\$RNNSWEEP_SLURM_DIR/env.sh"   (exports SLURM_CONF)
Exit status 0 when the node is up, 1 on failure (with the daemon log tail).
EOF
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac

DIR=${RNNSWEEP_SLURM_DIR:-/tmp/rnnsweep-slurm}
TIMEOUT=${RNNSWEEP_SLURM_TIMEOUT:-60}
PORT=${RNNSWEEP_SLURM_PORT:-}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CONF=$DIR/slurm.conf
PKGS=(munge slurmctld slurmd slurm-client openmpi-bin libopenmpi-dev libpmix-dev)
T0=$(date +%s%N)

SUDO=()

say() { echo "up.sh: $*"; }

# One paragraph saying what failed, the tail of the log that tells why, then
# stop whatever up.sh has started so that a failed bring-up leaves nothing.
fail() {
  local msg=$1 log others
  shift
  {
    echo "up.sh: error: $msg"
    others=$(for p in $(live_pids slurmctld) $(live_pids slurmd); do
               tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -vF -- "$DIR/" | sed "s/^/$p /" || true
             done)
    if [ -n "$others" ]; then
      echo "up.sh: note: other Slurm daemons run on this machine (another port or directory may help: RNNSWEEP_SLURM_PORT, RNNSWEEP_SLURM_DIR):"
      printf '    %s\n' "${others//$'\n'/$'\n'    }"
    fi
    for log in "$@"; do
      [ -s "$log" ] || continue
      echo "--- last 20 lines of $log ---"
      tail -n 20 "$log" 2>/dev/null || "${SUDO[@]}" tail -n 20 "$log" || true
      echo "---"
    done
  } >&2
  if [ -s "$DIR/run/started" ]; then
    echo "up.sh: stopping what up.sh started: $(paste -sd ' ' "$DIR/run/started")" >&2
    RNNSWEEP_SLURM_DIR=$DIR "$HERE/down.sh" >/dev/null 2>&1 || true
  fi
  exit 1
}

# The PID of daemon $1 if its PID file under $DIR names a live process of
# that name started on a command line naming $DIR (so a recycled PID or a
# daemon of another directory never counts as ours).
pidfile() { if [ "$1" = munged ]; then echo "$DIR/munge/munged.pid"; else echo "$DIR/run/$1.pid"; fi; }
daemon_pid() {
  local f pid
  f=$(pidfile "$1")
  [ -r "$f" ] || return 1
  pid=$(tr -dc 0-9 <"$f")
  [ -n "$pid" ] || return 1
  [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$DIR/" || return 1
  echo "$pid"
}
started_by_us() { [ -r "$DIR/run/started" ] && grep -qx "$1" "$DIR/run/started"; }
record_started() { started_by_us "$1" || echo "$1" >>"$DIR/run/started"; }
# Live processes named $1 (this machine's PID 1 may leave zombies unreaped).
live_pids() {
  local p st
  for p in $(pgrep -x "$1" || true); do
    st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    st=${st##*) }
    [ "${st%% *}" = Z ] || echo "$p"
  done
}
# Live processes named $1 whose command line names $DIR, PID file or not: a
# daemon that has forked but not yet written its PID file is running.
dir_pids() {
  local p
  for p in $(live_pids "$1"); do
    if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$DIR/"; then echo "$p"; fi
  done
}
our_pid() {
  local p
  p=$(daemon_pid "$1") || p=$(dir_pids "$1" | head -n 1)
  [ -n "$p" ] && echo "$p"
}
munge_works() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
node_state() { SLURM_CONF=$CONF sinfo -h -n localhost -o %T 2>/dev/null | head -n 1; }
part_avail() { SLURM_CONF=$CONF sinfo -h -p debug -o %a 2>/dev/null | head -n 1; }
# Whether some process listens on TCP port $1 (any address, IPv4 or IPv6).
port_busy() {
  local hex
  hex=$(printf '%04X' "$1")
  grep -qE "^ *[0-9]+: [0-9A-F]+:$hex [0-9A-F]+:[0-9A-F]+ 0A " /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

print_usage_hint() {
  echo "  use:   . $DIR/env.sh   # exports SLURM_CONF; then e.g. sbatch --wrap hostname"
  echo "  wait:  $HERE/wait_job.sh JOBID [TIMEOUT]"
  echo "  logs:  $DIR/log/"
  echo "  stop:  $HERE/down.sh   (--purge also removes $DIR)"
}

# ---- privileges ------------------------------------------------------------
# Root, or sudo (without a password prompt, or with one on a terminal).
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  elif command -v sudo >/dev/null && [ -t 0 ] && sudo -v; then
    SUDO=(sudo)
  else
    fail "not root and sudo does not work: starting munged, slurmctld and slurmd needs root (run as root, or configure sudo)."
  fi
fi
as_root() { "${SUDO[@]}" "$@"; }

[[ "$PORT" =~ ^([0-9]{2,5})?$ ]] || fail "RNNSWEEP_SLURM_PORT='$PORT' is not a port number."
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || fail "RNNSWEEP_SLURM_TIMEOUT='$TIMEOUT' is not a number of seconds."

# ---- the private directory -------------------------------------------------
case "$DIR" in /*) ;; *) DIR=$PWD/$DIR; CONF=$DIR/slurm.conf ;; esac
# slurm.conf has no quoting: keep the path to characters it takes as they are.
[[ "$DIR" =~ ^/[A-Za-z0-9._/+-]+$ ]] ||
  fail "RNNSWEEP_SLURM_DIR='$DIR' must be a path of letters, digits and . _ / + - only."
# It sits in /tmp by default, where anyone may have made it first: use it only
# when it is a real directory owned by us or by root.
if [ -L "$DIR" ] || { [ -e "$DIR" ] && [ ! -d "$DIR" ]; }; then
  fail "$DIR exists and is not a directory; remove it or set RNNSWEEP_SLURM_DIR."
fi
if [ -d "$DIR" ]; then
  owner=$(stat -c %u "$DIR")
  if [ "$owner" != "$(id -u)" ] && [ "$owner" != 0 ]; then
    fail "$DIR belongs to uid $owner, not to you or root; remove it or set RNNSWEEP_SLURM_DIR."
  fi
fi
# slurmctld (as user slurm) and munged (as user munge) must reach $DIR, so
# every directory above it must be searchable by others.  A private temporary
# directory of the caller's (mktemp -d: mode 0700) gets o+x; anything else is
# the caller's to change.
p=$(dirname "$DIR")
while [ "$p" != / ]; do
  if [ -d "$p" ] && [ $(( 8#$(stat -c %a "$p") & 1 )) -eq 0 ]; then
    case "$p" in
      /tmp/*|"${TMPDIR:-/tmp}"/*)
        if [ "$(stat -c %u "$p")" = "$(id -u)" ] && chmod o+x "$p"; then
          say "made $p searchable by others (o+x): the slurm and munge users must reach $DIR"
        fi ;;
    esac
    [ $(( 8#$(stat -c %a "$p") & 1 )) -ne 0 ] ||
      fail "$p is not searchable by others, so slurmctld (user slurm) and munged (user munge) cannot reach $DIR: 'chmod o+x $p', or choose another RNNSWEEP_SLURM_DIR."
  fi
  p=$(dirname "$p")
done
# Owned by root even when a user runs this through sudo: munged refuses a log
# or PID file below a directory that anyone but root or munge owns.  log/ and
# run/ belong to the caller, who writes there (start-up stderr, the lock, the
# list of started daemons); the daemons write there as root (slurmctld makes
# its log and PID file before it drops to the slurm user, and chowns them).
as_root install -d -o root -g root -m 0755 "$DIR"
as_root install -d -o "$(id -u)" -g "$(id -g)" -m 0755 "$DIR/log" "$DIR/run"
as_root touch "$DIR/.rnnsweep-slurm"     # down.sh --purge removes only marked dirs

# One up.sh or down.sh at a time per directory: two test scripts starting the
# same cluster at once would otherwise both start slurmctld, and the loser's
# clean-up would stop the winner's daemons.
exec 9>>"$DIR/run/lock"
flock -w 300 9 || fail "another up.sh or down.sh has held $DIR/run/lock for 300 s."
export RNNSWEEP_SLURM_LOCKED=$DIR        # our own down.sh (on failure) must not wait for it
# (Every daemon is started with 8<&- 9>&-: a daemon holding a lock's fd would
# hold the lock for its whole life.)

# ---- already up? -----------------------------------------------------------
if command -v sinfo >/dev/null && [ -r "$CONF" ]; then
  if ctld=$(our_pid slurmctld) && slurmd=$(our_pid slurmd) && munge_works &&
     [ "$(part_avail)" = up ]; then
    st=$(node_state || true)
    case "$st" in
      idle|mixed|allocated|completing)
        say "cluster already up in $DIR (slurmctld $ctld, slurmd $slurmd, node localhost $st); nothing changed"
        print_usage_hint
        exit 0 ;;
    esac
  fi
fi

# ---- packages ----------------------------------------------------------------
missing=()
for p in "${PKGS[@]}"; do
  st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$st" = installed ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || fail "missing packages ${missing[*]} and no apt-get to install them (this script knows Debian/Ubuntu only)."
  say "installing ${missing[*]} (apt-get, log in $DIR/log/apt.log)"
  apt_install() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 \
      install -y -q --no-install-recommends "${missing[@]}" >>"$DIR/log/apt.log" 2>&1
  }
  : >"$DIR/log/apt.log"
  if ! apt_install; then
    # Package lists may be missing or stale (a fresh container has none):
    # refresh them once and retry; any other failure is reported as is.
    if grep -qE "Unable to locate package|has no installation candidate|404 +Not Found|Failed to fetch" "$DIR/log/apt.log"; then
      say "apt-get install failed for lack of package lists; running apt-get update and retrying"
      as_root apt-get -o DPkg::Lock::Timeout=300 update -q >>"$DIR/log/apt.log" 2>&1 ||
        fail "apt-get update failed, so ${missing[*]} could not be installed." "$DIR/log/apt.log"
      apt_install || fail "apt-get could not install ${missing[*]} even after apt-get update." "$DIR/log/apt.log"
    else
      fail "apt-get could not install ${missing[*]}." "$DIR/log/apt.log"
    fi
  fi
fi
for c in munged munge unmunge slurmctld slurmd sinfo scontrol mpirun; do
  command -v "$c" >/dev/null || fail "$c is not on PATH after installing ${PKGS[*]}."
done

# ---- state and spool ---------------------------------------------------------
as_root install -d -o slurm -g slurm -m 0755 "$DIR/state"
as_root install -d -o root -g root -m 0755 "$DIR/spool"

# ---- munged ----------------------------------------------------------------
# There is one munged per machine (Slurm and the munge commands use its
# standard socket), so every cluster shares it.  An up.sh-started munged is
# known by its command line (--pid-file=.../munge/munged.pid); down.sh stops
# it when no Slurm daemon needs it any more.  Anyone else's is never stopped.
DEADLINE=$(( $(date +%s) + TIMEOUT ))
upsh_munged() {
  local p
  for p in $(live_pids munged); do
    if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qE -- '--pid-file=/[^ ]*/munge/munged\.pid '; then echo "$p"; fi
  done
}
reuse_munged() {                         # $1: the PID of the munged in use
  munge_works || fail "a munged not started by this up.sh runs (pid $1) but 'munge -n | unmunge' fails; fix or stop it."
  if upsh_munged | grep -qx "$1"; then
    record_started munged-reused         # another directory's up.sh started it
    say "reusing the munged another cluster's up.sh started (pid $1)"
  else
    say "reusing the munged already running (pid $1); down.sh will leave it alone"
  fi
}
if mpid=$(our_pid munged); then
  munge_works || fail "munged (pid $mpid, started by up.sh) runs but 'munge -n | unmunge' fails." "$DIR/log/munged.log"
elif other=$(live_pids munged | head -n 1) && [ -n "$other" ]; then
  reuse_munged "$other"
else
  key=/etc/munge/munge.key
  if ! as_root test -s "$key"; then
    as_root mungekey --create --keyfile="$key" >/dev/null 2>&1 ||
      as_root sh -c "umask 077; dd if=/dev/urandom of='$key' bs=1 count=1024 2>/dev/null" ||
      fail "could not create the munge key $key."
  fi
  # munged refuses a key that group or others can read.
  as_root chown munge:munge "$key"
  as_root chmod 0400 "$key"
  as_root install -d -o munge -g munge -m 0755 /run/munge "$DIR/munge"
  as_root rm -f "$DIR/munge/munged.pid"
  mlog=$DIR/munge/munged.log
  as_root ln -sfn ../munge/munged.log "$DIR/log/munged.log"
  # munged reports a refusal to start on stderr only.
  if as_root runuser -u munge -- munged --pid-file="$DIR/munge/munged.pid" \
       --log-file="$mlog" >"$DIR/log/munged.stderr" 2>&1 8<&- 9>&-; then
    record_started munged
    until mpid=$(our_pid munged) && munge_works; do
      [ "$(date +%s)" -lt "$DEADLINE" ] || fail "munged did not answer within ${TIMEOUT} s ('munge -n | unmunge' fails)." "$mlog" "$DIR/log/munged.stderr"
      sleep 0.1
    done
  elif other=$(live_pids munged | head -n 1) && [ -n "$other" ]; then
    reuse_munged "$other"                # another up.sh started one just before us
  else
    fail "munged did not start." "$mlog" "$DIR/log/munged.stderr"
  fi
fi

# ---- slurm.conf --------------------------------------------------------------
# Clusters of other directories pick their ports too: one bring-up at a time
# on this machine, from choosing the ports until slurmd has bound its own.
PORTS_LOCK=/run/lock/rnnsweep-slurm-ports.lock
[ -d /run/lock ] || PORTS_LOCK=/tmp/rnnsweep-slurm-ports.lock
[ -e "$PORTS_LOCK" ] || as_root touch "$PORTS_LOCK"
exec 8<"$PORTS_LOCK"                     # flock needs only a read-only descriptor
flock -w 300 8 || fail "another up.sh has held $PORTS_LOCK for 300 s."
# Rewritten only while slurmctld is down: a running controller keeps the file
# it read.  The node line is what slurmd -C sees, minus its hostname.
if ! our_pid slurmctld >/dev/null; then
  hw=$(slurmd -C 2>/dev/null | sed -n 's/^NodeName=[^ ]* //p' | head -n 1)
  # Another cluster (a system Slurm, another checkout's test) may hold
  # 6817/6818: take the next free pair unless the caller chose a port.
  if [ -z "$PORT" ]; then
    PORT=6817
    while port_busy "$PORT" || port_busy $((PORT + 1)); do
      PORT=$((PORT + 2))
      [ "$PORT" -lt 6917 ] || fail "no free pair of TCP ports in 6817-6916 for slurmctld and slurmd; set RNNSWEEP_SLURM_PORT."
    done
  fi
  [ -n "$hw" ] || fail "'slurmd -C' printed no hardware line."
  sed -e "s|@DIR@|$DIR|g" -e "s|@CTLD_PORT@|$PORT|g" -e "s|@SLURMD_PORT@|$((PORT + 1))|g" \
      -e "s|@NODE_HW@|$hw|g" "$HERE/slurm.conf.in" >"$DIR/run/slurm.conf.tmp"
  chmod 0644 "$DIR/run/slurm.conf.tmp"
  as_root mv -f "$DIR/run/slurm.conf.tmp" "$CONF"
fi
{
  echo "# Written by cluster/local/up.sh.  '. $DIR/env.sh' points Slurm's"
  echo "# commands at the one-node cluster of that directory.  Jobs run as root"
  echo "# here, which mpirun refuses unless told."
  printf 'export RNNSWEEP_SLURM_DIR=%q\n' "$DIR"
  printf 'export SLURM_CONF=%q\n' "$CONF"
  echo 'export OMPI_ALLOW_RUN_AS_ROOT=1'
  echo 'export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1'
} >"$DIR/run/env.sh.tmp"
chmod 0644 "$DIR/run/env.sh.tmp"
as_root mv -f "$DIR/run/env.sh.tmp" "$DIR/env.sh"

# ---- slurmctld -------------------------------------------------------------
if ! our_pid slurmctld >/dev/null; then
  as_root env SLURM_CONF="$CONF" slurmctld -f "$CONF" >"$DIR/log/slurmctld.stderr" 2>&1 8<&- 9>&- ||
    fail "slurmctld did not start." "$DIR/log/slurmctld.log" "$DIR/log/slurmctld.stderr"
  record_started slurmctld
fi
# The ping is bounded too: whatever holds the port may accept and never answer.
while :; do
  our_pid slurmctld >/dev/null || fail "slurmctld exited during start-up." "$DIR/log/slurmctld.log" "$DIR/log/slurmctld.stderr"
  if SLURM_CONF=$CONF timeout 3 scontrol ping 2>/dev/null | grep -q 'is UP'; then break; fi
  [ "$(date +%s)" -lt "$DEADLINE" ] || fail "slurmctld did not answer 'scontrol ping' within ${TIMEOUT} s." "$DIR/log/slurmctld.log" "$DIR/log/slurmctld.stderr"
  sleep 0.1
done

# ---- slurmd ----------------------------------------------------------------
# A second slurmd reads the PID file and kills the first: start one only
# when none of this directory runs.
if ! our_pid slurmd >/dev/null; then
  as_root env SLURM_CONF="$CONF" slurmd -f "$CONF" -N localhost \
    >"$DIR/log/slurmd.stderr" 2>&1 8<&- 9>&- || fail "slurmd did not start." "$DIR/log/slurmd.log" "$DIR/log/slurmd.stderr"
  record_started slurmd
fi
resumed=0
while :; do
  st=$(node_state || true)
  case "$st" in
    idle|mixed|allocated|completing) break ;;
    drain*)
      # Drained in an earlier session (state is kept across down/up): a
      # freshly registered slurmd gets one chance to clear it.
      if [ "$resumed" = 0 ] && our_pid slurmd >/dev/null; then
        SLURM_CONF=$CONF scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true
        resumed=1
      fi ;;
  esac
  our_pid slurmd >/dev/null || fail "slurmd exited during start-up." "$DIR/log/slurmd.log" "$DIR/log/slurmd.stderr"
  if [ "$(date +%s)" -ge "$DEADLINE" ]; then
    reason=$(SLURM_CONF=$CONF sinfo -h -n localhost -o %E 2>/dev/null | head -n 1 || true)
    fail "node localhost is '${st:-unknown}' (reason: ${reason:-none}), not idle, after ${TIMEOUT} s." "$DIR/log/slurmd.log" "$DIR/log/slurmd.stderr"
  fi
  sleep 0.1
done

exec 8<&-                                # the ports are bound: release them

# An interrupted down.sh may have left a running controller's partition down.
if [ "$(part_avail)" != up ]; then
  SLURM_CONF=$CONF scontrol update PartitionName=debug State=UP >/dev/null 2>&1 ||
    fail "partition debug is '$(part_avail)' and 'scontrol update State=UP' fails." "$DIR/log/slurmctld.log" "$DIR/log/slurmctld.stderr"
fi

cpus=$(SLURM_CONF=$CONF sinfo -h -n localhost -o %c 2>/dev/null | head -n 1 || true)
say "cluster up in $DIR after $(ms_since "$T0") ms: node localhost $st, ${cpus:-?} CPUs, partition debug"
print_usage_hint
