#!/usr/bin/env bash
# Stop the one-node Slurm cluster that cluster/local/up.sh started: only the
# daemons listed in $DIR/run/started, found through their PID files under $DIR.
# munged is one per machine and may serve other clusters: an up.sh-started one
# is stopped only when no Slurm daemon is left; anyone else's is never touched.
set -euo pipefail

usage() {
  cat <<EOF
usage: cluster/local/down.sh [--purge] [--help]

Cancels the jobs still running on the cluster, stops the slurmd and slurmctld
that cluster/local/up.sh started (SIGTERM, then SIGKILL after a bounded wait)
and removes their PID files.  The munged that an up.sh started is stopped too,
unless other Slurm daemons on this machine still use it; a munged that was
running before is left alone.  With nothing running it says so and exits 0.

  --purge   also remove the cluster's directory (state, logs, config)

Environment:
  RNNSWEEP_SLURM_DIR   the cluster's directory (default /tmp/rnnsweep-slurm)
EOF
}

PURGE=0
for a in "$@"; do
  case "$a" in
    -h|--help) usage; exit 0 ;;
    --purge) PURGE=1 ;;
    *) usage >&2; exit 2 ;;
  esac
done

DIR=${RNNSWEEP_SLURM_DIR:-/tmp/rnnsweep-slurm}
case "$DIR" in /*) ;; *) DIR=$PWD/$DIR ;; esac
CONF=$DIR/slurm.conf
T0=$(date +%s%N)

say() { echo "down.sh: $*"; }
die() { echo "down.sh: error: $*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  elif command -v sudo >/dev/null && [ -t 0 ] && sudo -v; then
    SUDO=(sudo)
  else
    die "not root and sudo does not work: the daemons up.sh started run as root."
  fi
fi
as_root() { "${SUDO[@]}" "$@"; }

# Same test as up.sh: the PID file names a live process of that name whose
# command line names $DIR.
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

# A zombie has exited: only a parent that does not reap keeps it listed.
is_alive() {
  local st
  st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  st=${st##*) }                          # the name in (...) may hold spaces
  [ -n "$st" ] && [ "${st%% *}" != Z ]
}

# Live processes named $1 whose command line names $DIR (in case a PID file
# went missing).
dir_pids() {
  local p
  for p in $(pgrep -x "$1" || true); do
    is_alive "$p" || continue
    if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF -- "$DIR/"; then echo "$p"; fi
  done
}

# A live munged that some up.sh started (its command line says so).
upsh_munged() {
  local p
  for p in $(pgrep -x munged || true); do
    is_alive "$p" || continue
    if tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qE -- '--pid-file=/[^ ]*/munge/munged\.pid '; then echo "$p"; fi
  done
}

# Wait up to $1 seconds for all the PIDs that follow to exit.
wait_gone() {
  local deadline=$(( $(date +%s%N) + $1 * 1000000000 )) p alive
  shift
  while :; do
    alive=0
    for p in "$@"; do is_alive "$p" && alive=1; done
    [ "$alive" = 0 ] && return 0
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# TERM, a bounded wait, then KILL: name=pid pairs.
stop_daemons() {
  local pids=() pair p
  for pair in "$@"; do
    p=${pair#*=}
    say "stopping ${pair%%=*} (pid $p)"
    as_root kill -TERM "$p" 2>/dev/null || true
    pids+=("$p")
  done
  if ! wait_gone 30 "${pids[@]}"; then
    for p in "${pids[@]}"; do
      is_alive "$p" || continue
      say "pid $p ignored SIGTERM for 30 s; sending SIGKILL"
      as_root kill -KILL "$p" 2>/dev/null || true
    done
    wait_gone 10 "${pids[@]}" || die "pids ${pids[*]} survive SIGKILL."
  fi
}

wait_no_jobs() {
  local deadline=$(( $(date +%s) + $1 ))
  while [ -n "$(active)" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# The slurmstepd of this cluster: they keep slurmd's log and their socket in
# the spool open, both under $DIR (their environment and command line are
# overwritten by the process title, so neither can tell).
our_stepds() {
  local p
  for p in $(pgrep -x slurmstepd || true); do
    is_alive "$p" || continue
    if as_root ls -l "/proc/$p/fd/" 2>/dev/null | grep -qF -- "-> $DIR/"; then
      echo "$p"
    fi
  done
}

# SIGKILL every process below our slurmstepd (the jobs' tasks); $1 says why.
kill_tasks() {
  local roots victims
  roots=$(our_stepds)
  [ -n "$roots" ] || return 0
  victims=$(ps -e -o pid=,ppid= | awk -v roots="$roots" '
    BEGIN { n = split(roots, r, "\n"); for (i = 1; i <= n; i++) tree[r[i]] = 1 }
    { parent[$1] = $2 }
    END {
      do {
        grew = 0
        for (p in parent) if (!(p in tree) && (parent[p] in tree)) { tree[p] = 1; grew = 1 }
      } while (grew)
      for (i = 1; i <= n; i++) delete tree[r[i]]
      for (p in tree) print p
    }')
  [ -n "$victims" ] || return 0
  say "killing the tasks of $1: $(echo "$victims" | tr '\n' ' ')"
  # shellcheck disable=SC2086  # one word per pid
  as_root kill -KILL $victims 2>/dev/null || true
}

if [ ! -d "$DIR" ]; then
  say "nothing running ($DIR does not exist)"
  exit 0
fi

# Serialised with up.sh (see there), unless up.sh, holding the lock, runs us.
if [ "${RNNSWEEP_SLURM_LOCKED:-}" != "$DIR" ] && [ -w "$DIR/run" ]; then
  exec 9>>"$DIR/run/lock"
  flock -w 300 9 || die "another up.sh or down.sh has held $DIR/run/lock for 300 s."
fi

declare -A pid=()
listed=()
[ -r "$DIR/run/started" ] && mapfile -t listed <"$DIR/run/started"
mpid=""
for d in "${listed[@]}"; do
  case "$d" in
    slurmd|slurmctld)
      if p=$(daemon_pid "$d") || p=$(dir_pids "$d" | head -n 1); [ -n "$p" ]; then pid[$d]=$p; fi ;;
    munged)
      mpid=$(daemon_pid munged || dir_pids munged | head -n 1) ;;
    munged-reused)                       # started by another directory's up.sh
      [ -n "$mpid" ] || mpid=$(upsh_munged | head -n 1) ;;
  esac
done

if [ ${#pid[@]} -eq 0 ] && [ -z "$mpid" ]; then
  say "nothing running (no daemon started by up.sh is alive in $DIR)"
else
  # Jobs still running would leave their slurmstepd and tasks behind once
  # slurmd is gone.  Take the partition down first so that no pending job
  # starts meanwhile (pending jobs stay queued; the state file keeps the
  # partition down and the next up.sh sets it up again), then cancel the
  # running ones.  A job that ignores SIGTERM would hold on for KillWait
  # (30 s), so after a short grace its tasks get SIGKILL directly.
  if [ -n "${pid[slurmctld]:-}" ]; then
    SLURM_CONF=$CONF scontrol update PartitionName=debug State=DOWN >/dev/null 2>&1 || true
  fi
  if [ -n "${pid[slurmctld]:-}" ] && [ -n "${pid[slurmd]:-}" ]; then
    active() { SLURM_CONF=$CONF squeue -h -t RUNNING,SUSPENDED,CONFIGURING,COMPLETING -o %i 2>/dev/null || true; }
    jobs=$(active)
    if [ -n "$jobs" ]; then
      say "cancelling running jobs: $(echo "$jobs" | tr '\n' ' ')"
      # shellcheck disable=SC2086  # one word per job id
      SLURM_CONF=$CONF scancel $jobs 2>/dev/null || true
      if ! wait_no_jobs 5; then
        kill_tasks "jobs that ignore SIGTERM"
        wait_no_jobs 10 || say "jobs still active: $(active | tr '\n' ' ')"
      fi
    fi
  fi
  # Slurm's daemons together, munged after them since they authenticate
  # through it until the end.
  slurm=()
  for d in slurmd slurmctld; do
    if [ -n "${pid[$d]:-}" ]; then slurm+=("$d=${pid[$d]}"); fi
  done
  if [ ${#slurm[@]} -gt 0 ]; then stop_daemons "${slurm[@]}"; fi
  if [ -n "$mpid" ]; then
    users=$(for d in slurmctld slurmd; do for p in $(pgrep -x "$d" || true); do
              if is_alive "$p"; then echo "$p"; fi; done; done | tr '\n' ' ')
    if [ -n "$users" ]; then
      say "leaving munged (pid $mpid) running: other Slurm daemons use it (pids $users)"
    else
      stop_daemons "munged=$mpid"
    fi
  fi
fi

# A slurmstepd whose job could not be cancelled (controller already gone, or
# slurmd killed) outlives slurmd: kill it and its tasks.
mapfile -t steps < <(our_stepds)
if [ ${#steps[@]} -gt 0 ]; then
  kill_tasks "jobs left without a controller"
  say "killing leftover slurmstepd ${steps[*]}"
  as_root kill -KILL "${steps[@]}" 2>/dev/null || true
  wait_gone 10 "${steps[@]}" || die "slurmstepd ${steps[*]} survive SIGKILL."
fi

# The PID files and the record of what up.sh started: nothing of it runs now.
for d in slurmd slurmctld munged; do
  f=$(pidfile "$d")
  if [ -e "$f" ] && ! daemon_pid "$d" >/dev/null; then as_root rm -f "$f"; fi
done
as_root rm -f "$DIR/run/started"

if [ "$PURGE" = 1 ]; then
  [ -e "$DIR/.rnnsweep-slurm" ] || die "$DIR has no .rnnsweep-slurm marker: not removing a directory up.sh did not make."
  as_root rm -rf -- "$DIR"
  say "removed $DIR"
fi
if [ ${#pid[@]} -gt 0 ] || [ -n "$mpid" ]; then
  say "stopped in $(( ($(date +%s%N) - T0) / 1000000 )) ms"
fi
