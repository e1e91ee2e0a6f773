#!/usr/bin/env bash
# test_faults.sh — the faults of issue 12, each reproduced as it was found,
# end to end on a tiny synthetic sweep:
#   1 a full disk (a small tmpfs; root only, else SKIP): exit 1 with one
#     line, every journalled task kept, --resume after freeing space equals
#     an uninterrupted run — with one rank, through mpirun, and when only the
#     final HDF5 write fails (it segfaulted in MPI_Finalize, exit 139), also
#     when HDF5 writes the file to disk itself (RNNSWEEP_DIRECT_WRITE_BYTES)
#   2 a flipped byte mid-journal: the other records kept, the lost one taken
#     from the .h5, "corrupt record at byte N (K records after it kept)";
#     a damaged head rebuilt from the .h5, or refused with how to recover
#   2b checkpoints (part files, README "Checkpoints"): kill -9 between
#     checkpoints — every part is a whole results file, FILE.h5 + the parts
#     merge to what was checkpointed (and show reads them so), parts fold
#     (compaction) and still hold every checkpointed task — and kill -9 DURING one (inside the
#     write, RNNSWEEP_TEST_WRITE_PAUSE): no half-written file under a final
#     name; --resume completes to the uninterrupted run's results and
#     removes the parts
#   3 one writer per output: a second run (or a merge into it) exits 2 "in use by pid N on host H
#     since T"; two --resume started together: one runs; a stale lock (kill
#     -9) never blocks
#   4 SIGINT to a lone rank, SIGTERM to every process of a job as scancel
#     sends it (through jobs/launch.sh and mpirun), a launcher that
#     SIGKILLs its ranks when signalled (as srun does on SIGTERM), SIGTERM to
#     every rank with tasks longer than the grace: exit 75, resumable, equal
#     results
#   6 bad input: a read-only output directory, -o DIR, a FIFO as the config,
#     a UTF-8 BOM, the drop_bad hint and count
#   7 merge keeps node1 beside node10
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
cleanup() {
  for m in "$tmp"/fs*; do mountpoint -q "$m" 2>/dev/null && umount "$m"; done
  rm -rf "$tmp"
}
trap cleanup EXIT
. tests/sweep_lib.sh
make_data "$tmp/syn.csv"
make_config "$tmp/tiny.ini" "$tmp/syn.csv"
# tasks of ~0.3 s (so a signal lands while tasks run), and of ~0.05 s
sed 's/^epochs   = 3/epochs   = 200/; s/^patience = 2/patience = 0/' "$tmp/tiny.ini" > "$tmp/mid.ini"
root=0; [ "$(id -u)" = 0 ] && root=1

run() { "$rs" run "$@" --quiet > "$tmp/out.log" 2>&1; }
# Background jobs of a non-interactive shell start with SIGINT ignored (so a
# Ctrl-C at the terminal spares them), and rnnsweep leaves an ignored signal
# ignored, as nohup expects: give the runs this test interrupts SIGINT back
# (background use only: it execs, so $! is the program's pid).
intable() { exec /usr/bin/python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])' "$@"; }
# wait_file FILE BYTES: until FILE is larger than BYTES (at most 60 s)
wait_file() { for _ in $(seq 1 1200); do [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ] && return 0; sleep 0.05; done; return 1; }
# records JOURNAL: task records in a journal (24-byte headers, type 2, 8-aligned)
records() {
  /usr/bin/python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read(); n = 0
for o in range(0, len(b) - 24, 8):
    if b[o:o+4] == b'RSJ1' and struct.unpack_from('<I', b, o + 4)[0] == 2: n += 1
print(n)
PY
}
# rec_offset JOURNAL I: byte offset of task record I (0-based)
rec_offset() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import struct, sys
b = open(sys.argv[1], 'rb').read(); want = int(sys.argv[2]); o = 0; i = -1
while o < len(b):
    t, ln = struct.unpack_from('<IQ', b, o + 4)
    if t == 2: i += 1
    if i == want: print(o); break
    o += 24 + (ln + 7) // 8 * 8
PY
}
flip() { printf "$(printf '\\x%02x' $(( $(od -An -tu1 -j "$2" -N1 "$1") ^ 0x20 )))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

run "$tmp/tiny.ini" -o "$tmp/ref.h5" || { bad "reference run"; cat "$tmp/out.log"; }
"${MPIRUN[@]}" -np 3 "$rs" run "$tmp/mid.ini" -o "$tmp/mid_ref.h5" --quiet > "$tmp/out.log" 2>&1 || bad "mid reference run"
J=$(stat -c %s "$tmp/ref.h5.journal"); H=$(stat -c %s "$tmp/ref.h5")
# a file HDF5 writes to disk itself (records over RNNSWEEP_DIRECT_WRITE_BYTES,
# 1 GiB by default) holds the same datasets as one built in memory
RNNSWEEP_DIRECT_WRITE_BYTES=0 "$rs" run "$tmp/tiny.ini" -o "$tmp/direct.h5" --quiet > "$tmp/out.log" 2>&1 \
  && same_results "$tmp/ref.h5" "$tmp/direct.h5" direct && [ ! -e "$tmp/direct.h5.tmp" ] \
  && ok "written to disk by HDF5 (direct): the same datasets as the in-memory file" || { bad "direct write"; cat "$tmp/out.log"; }

# ---- 1. a full disk ---------------------------------------------------------------
# fullfs NAME FREE: a 4 MiB tmpfs with FREE bytes left
fullfs() {
  local d=$tmp/$1; mkdir -p "$d"
  mount -t tmpfs -o size=4m tmpfs "$d" 2>/dev/null || return 1
  local avail; avail=$(df -B1 --output=avail "$d" | tail -1)
  dd if=/dev/zero of="$d/filler" bs=4096 count=$(( (avail - $2) / 4096 )) status=none
}
full_disk() {  # full_disk LABEL FREE LAUNCH...: the run fails with 1, resumes after space is freed
  local label=$1 free=$2; shift 2
  local d=fs$label
  if ! fullfs "$d" "$free"; then echo "SKIP full disk ($label): cannot mount a tmpfs"; return; fi
  "$@" run "$tmp/tiny.ini" -o "$tmp/$d/x.h5" --quiet > "$tmp/full.log" 2>&1; local rc=$?
  local kept; kept=$(records "$tmp/$d/x.h5.journal")
  if [ $rc -eq 1 ] && grep -q "No space left on device" "$tmp/full.log" && ! grep -qi "segmentation\|signal 11" "$tmp/full.log" \
     && [ "$(grep -c 'No space left' "$tmp/full.log")" -eq "$(grep 'No space left' "$tmp/full.log" | grep -c '^rnnsweep: ')" ]; then
    ok "full disk ($label): exit 1, one-line messages, $kept tasks journalled"
  else bad "full disk ($label): rc $rc"; cat "$tmp/full.log"; fi
  rm -f "$tmp/$d/filler"
  run "$tmp/tiny.ini" -o "$tmp/$d/x.h5" --resume; rc=$?
  if [ $rc -eq 0 ] && same_results "$tmp/ref.h5" "$tmp/$d/x.h5" "full-$label" && [ "$(attr "$tmp/$d/x.h5" tasks_done)" = 8 ]; then
    ok "full disk ($label): --resume after freeing space == uninterrupted, 8 tasks"
  else bad "full disk ($label): resume rc $rc"; cat "$tmp/out.log"; fi
  umount "$tmp/$d"
}
if [ $root = 1 ]; then
  full_disk np1 $(( J / 2 )) "$rs"                        # the journal fills the disk
  full_disk np2 $(( J / 2 )) "${MPIRUN[@]}" -np 2 "$rs"
  full_disk final $(( J + H * 6 / 10 )) "$rs"             # the journal fits, the final .h5 does not
  grep -q "writing .*x.h5.tmp: No space left on device" "$tmp/full.log" \
    && ok "full disk (final): the .h5 write names PATH.tmp and the reason" || { bad "final write message"; cat "$tmp/full.log"; }
  # files HDF5 writes to disk itself (big sweeps; forced here): the room is
  # checked before HDF5 writes a byte, so no write fails inside HDF5
  full_disk direct $(( J + H * 6 / 10 )) env RNNSWEEP_DIRECT_WRITE_BYTES=0 "$rs"
  grep -q "writing .*x.h5.tmp: No space left on device (the file needs up to" "$tmp/full.log" \
    && ok "full disk (direct): refused before HDF5 writes, saying what the file needs" || { bad "direct write message"; cat "$tmp/full.log"; }
else
  echo "SKIP full disk: needs root to mount a small tmpfs"
fi

# ---- 2. a damaged journal --------------------------------------------------------------
cp "$tmp/ref.h5" "$tmp/d.h5"; cp "$tmp/ref.h5.journal" "$tmp/d.h5.journal"
off=$(rec_offset "$tmp/d.h5.journal" 2)
flip "$tmp/d.h5.journal" $(( off + 24 + 200 ))
"$rs" run "$tmp/tiny.ini" -o "$tmp/d.h5" --resume > "$tmp/out.log" 2>&1; rc=$?
if [ $rc -eq 0 ] && grep -q "corrupt record at byte $off (5 records after it kept); 1 tasks recovered from" "$tmp/out.log" \
   && grep -q "resume: 8 finished tasks kept" "$tmp/out.log" && ! grep -q "torn tail" "$tmp/out.log" \
   && same_results "$tmp/ref.h5" "$tmp/d.h5" damaged && [ -e "$tmp/d.h5.journal.damaged" ] \
   && [ "$(records "$tmp/d.h5.journal")" = 8 ]; then
  ok "flipped byte in record 3 of 8: the rest kept, the lost task from the .h5, nothing rerun, journal whole again"
else bad "flipped byte mid-journal (rc $rc)"; cat "$tmp/out.log"; fi
cp "$tmp/ref.h5.journal" "$tmp/d2.h5.journal"           # no .h5 to recover from: only that task reruns
flip "$tmp/d2.h5.journal" $(( off + 24 + 200 ))
"$rs" run "$tmp/tiny.ini" -o "$tmp/d2.h5" --resume > "$tmp/out.log" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "resume: 7 finished tasks kept" "$tmp/out.log" && same_results "$tmp/ref.h5" "$tmp/d2.h5" damaged2 \
  && ok "flipped byte, no .h5: 7 kept, 1 rerun, equal results" || { bad "flipped byte without .h5 (rc $rc)"; cat "$tmp/out.log"; }
cp "$tmp/ref.h5.journal" "$tmp/d3.h5.journal"           # a damaged head, no .h5: refused, untouched
flip "$tmp/d3.h5.journal" 60
cp "$tmp/d3.h5.journal" "$tmp/d3.keep"
run "$tmp/tiny.ini" -o "$tmp/d3.h5" --resume; rc=$?
[ $rc -eq 2 ] && grep -q "head record is damaged" "$tmp/out.log" && grep -q "move the journal away" "$tmp/out.log" \
  && cmp -s "$tmp/d3.h5.journal" "$tmp/d3.keep" && ok "damaged head without .h5: exit 2 saying how to recover, untouched" \
  || { bad "damaged head without .h5 (rc $rc)"; cat "$tmp/out.log"; }
cp "$tmp/ref.h5" "$tmp/d3.h5"
"$rs" run "$tmp/tiny.ini" -o "$tmp/d3.h5" --resume > "$tmp/out.log" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "head record was damaged: rebuilt" "$tmp/out.log" && grep -q "8 finished tasks kept" "$tmp/out.log" \
  && same_results "$tmp/ref.h5" "$tmp/d3.h5" head && ok "damaged head with .h5: rebuilt, nothing rerun" \
  || { bad "damaged head with .h5 (rc $rc)"; cat "$tmp/out.log"; }

# ---- 2b. checkpoints: kill -9 between and during them ----------------------------------
# one rank checkpoints before every task with --checkpoint 0: one part per task
# (compaction off here: RNNSWEEP_CK_MERGE_BYTES=0; it is tested at the end)
export RNNSWEEP_CK_MERGE_BYTES=0
intable "$rs" run "$tmp/mid.ini" -o "$tmp/ck.h5" --checkpoint 0 --quiet > "$tmp/ck.log" 2>&1 &
pc=$!
for _ in $(seq 1 1200); do [ "$(ls "$tmp"/ck.h5.part-* 2>/dev/null | grep -vc '\.tmp$')" -ge 3 ] && break; sleep 0.05; done
kill -9 $pc; wait $pc 2>/dev/null
parts=$(ls "$tmp"/ck.h5.part-* 2>/dev/null | grep -v '\.tmp$')
np=$(echo "$parts" | grep -c part-)
allok=1; for f in $parts; do h5dump -H "$f" > /dev/null 2>&1 || allok=0; done
"$rs" merge "$tmp/ck_snap.h5" "$tmp/ck.h5" $parts > "$tmp/out.log" 2>&1; rc=$?
ns=$(attr "$tmp/ck_snap.h5" tasks_done)
if [ "$np" -ge 3 ] && [ $allok = 1 ] && [ $rc -eq 0 ] && [ "$ns" -ge "$np" ] && [ "$ns" -lt 8 ]; then
  ok "kill -9 between checkpoints: $np part files, each a whole file; FILE.h5 + parts merge to $ns tasks"
else bad "kill -9 between checkpoints (parts $np, whole $allok, merge rc $rc, $ns tasks)"; cat "$tmp/out.log"; fi
# show and report read what a running (here: killed) sweep has checkpointed:
# FILE.h5 with its parts, the same leaderboard as the explicit merge, and no
# temporary file left behind
mkdir -p "$tmp/livetmp"
TMPDIR="$tmp/livetmp" "$rs" show "$tmp/ck.h5" --format csv > "$tmp/live.csv" 2> "$tmp/live.err"; rc=$?
"$rs" show "$tmp/ck_snap.h5" --format csv > "$tmp/snap.csv" 2> /dev/null
# (killed: no run holds the lock, so show says the run stopped, not that it writes)
if [ $rc -eq 0 ] && cmp -s "$tmp/live.csv" "$tmp/snap.csv" && grep -q "no run is writing it, but a run that stopped" "$tmp/live.err" \
   && ! grep -q "a sweep is writing" "$tmp/live.err" \
   && [ -z "$(ls -A "$tmp/livetmp")" ] && [ -s "$tmp/live.csv" ]; then
  ok "show on a killed sweep's FILE.h5 with $np parts = show of FILE.h5 + parts merged; says the run stopped; leaves no temporary file"
else bad "show of a checkpointed sweep (rc $rc)"; cat "$tmp/live.err"; diff "$tmp/live.csv" "$tmp/snap.csv" | head; fi
# the Python reader reads FILE.h5 alone: it says so when parts lie beside it
if /usr/bin/python3 -c "import h5py" 2> /dev/null; then
  PYTHONPATH=results /usr/bin/python3 -c 'import sys, read_results as rr; rr.load(sys.argv[1])' \
    "$tmp/ck.h5" > /dev/null 2> "$tmp/py.err"; rc=$?
  [ $rc -eq 0 ] && grep -q "has $np checkpoint part(s) beside it" "$tmp/py.err" \
    && ok "read_results.load on FILE.h5 with $np parts: warns that it reads FILE.h5 alone" \
    || { bad "read_results.load with parts (rc $rc)"; cat "$tmp/py.err"; }
fi
run "$tmp/mid.ini" -o "$tmp/ck.h5" --resume && same_results "$tmp/mid_ref.h5" "$tmp/ck.h5" ck-between \
  && ! ls "$tmp"/ck.h5.part-* > /dev/null 2>&1 \
  && ok "resumed after kill -9 between checkpoints == uninterrupted; parts removed" || { bad "resume after kill between checkpoints"; cat "$tmp/out.log"; }
# wait_held_tmp FILE: until a FILE.part-*.tmp is the one RNNSWEEP_TEST_WRITE_PAUSE
# holds — the same name 0.3 s later.  A checkpoint that is not paused leaves its
# .tmp for milliseconds; seeing one of those and killing 0.2 s later killed the
# run one checkpoint early (CI: "compaction (parts 1, ...)", once faster training
# made checkpoints close together).
wait_held_tmp() {
  local t1
  for _ in $(seq 1 1200); do
    t1=$(ls "$1".part-*.tmp 2>/dev/null)
    if [ -n "$t1" ]; then sleep 0.3; [ "$(ls "$1".part-*.tmp 2>/dev/null)" = "$t1" ] && return 0; fi
    sleep 0.05
  done
}
# a resume's first checkpoint holds the records journalled after the last part:
# killed inside its 4th write (FILE.h5, two parts, then the part of task 3),
# the run leaves parts of tasks 1-2 and a journal of 3; resumed with
# --checkpoint 0 and killed once it wrote a part, FILE.h5 + parts hold all 3
RNNSWEEP_TEST_WRITE_PAUSE=30:4 intable "$rs" run "$tmp/mid.ini" -o "$tmp/ckt.h5" --checkpoint 0 --quiet > "$tmp/ckt.log" 2>&1 &
pc=$!
wait_held_tmp "$tmp/ckt.h5"
# the run is alive (paused inside a checkpoint write, holding the lock) with 2 parts
"$rs" show "$tmp/ckt.h5" --format csv > /dev/null 2> "$tmp/live2.err"; rc=$?
[ $rc -eq 0 ] && grep -q "a sweep is writing .*ckt.h5: showing it with its 2 checkpoint parts" "$tmp/live2.err" \
  && ok "show on a live sweep's FILE.h5: says a sweep is writing it" || { bad "show of a live sweep (rc $rc)"; cat "$tmp/live2.err"; }
sleep 0.2; kill -9 $pc; wait $pc 2>/dev/null
p1=$(ls "$tmp"/ckt.h5.part-* 2>/dev/null | grep -vc '\.tmp$'); nj=$(records "$tmp/ckt.h5.journal")
cp "$tmp/ckt.h5.journal" "$tmp/ckt_killed.journal"
intable "$rs" run "$tmp/mid.ini" -o "$tmp/ckt.h5" --resume --checkpoint 0 --quiet > "$tmp/ckt2.log" 2>&1 &
pc=$!
for _ in $(seq 1 1200); do [ "$(ls "$tmp"/ckt.h5.part-* 2>/dev/null | grep -vc '\.tmp$')" -gt "$p1" ] && break; sleep 0.05; done
kill -9 $pc; wait $pc 2>/dev/null
"$rs" merge "$tmp/ckt_snap.h5" "$tmp/ckt.h5" $(ls "$tmp"/ckt.h5.part-* | grep -v '\.tmp$') > "$tmp/out.log" 2>&1
nt=$(attr "$tmp/ckt_snap.h5" tasks_done)
# every task the killed run had journalled is in FILE.h5 + parts (task 3 too,
# which no part of the killed run held)
covered=$(/usr/bin/python3 - "$tmp/ckt_killed.journal" "$tmp/ckt_snap.h5" <<'PY' 2>&1
import struct, sys, h5py
b = open(sys.argv[1], 'rb').read(); o = 0; keys = set()
while o + 24 <= len(b):
    t, ln = struct.unpack_from('<IQ', b, o + 4)
    if t == 2: keys.add(struct.unpack_from('<Q', b, o + 24 + 8)[0])
    o += 24 + (ln + 7) // 8 * 8
have = set(int(k) for k in h5py.File(sys.argv[2])['tasks']['task_key'])
print('yes' if keys and keys <= have else 'no: %d journalled, %d missing' % (len(keys), len(keys - have)))
PY
)
if [ "$p1" = 2 ] && [ "$nj" = 3 ] && [ "$covered" = yes ]; then
  ok "a resume's first checkpoint holds the journal's tail: 2 parts + 1 journalled task -> $nt tasks in FILE.h5 + parts"
else bad "journal tail after the last part (parts $p1, journal $nj, merged '$nt': $covered)"; cat "$tmp/out.log"; fi
run "$tmp/mid.ini" -o "$tmp/ckt.h5" --resume && same_results "$tmp/mid_ref.h5" "$tmp/ckt.h5" ck-tail \
  || { bad "resume after the tail test"; cat "$tmp/out.log"; }
# inside a checkpoint: the part is written to .tmp, the hook holds it there
RNNSWEEP_TEST_WRITE_PAUSE=30 intable "$rs" run "$tmp/mid.ini" -o "$tmp/ckd.h5" --checkpoint 0 --quiet > "$tmp/ckd.log" 2>&1 &
pc=$!
wait_held_tmp "$tmp/ckd.h5"
sleep 0.2; kill -9 $pc; wait $pc 2>/dev/null
tmpf=$(ls "$tmp"/ckd.h5.part-*.tmp 2>/dev/null | head -1)
if [ -n "$tmpf" ] && ! ls "$tmp"/ckd.h5.part-* 2>/dev/null | grep -qv '\.tmp$' && h5dump -H "$tmp/ckd.h5" > /dev/null 2>&1; then
  ok "kill -9 inside a checkpoint write: only a .tmp left, FILE.h5 whole"
else bad "kill -9 inside a checkpoint: $(ls "$tmp"/ckd.h5* | tr '\n' ' ')"; fi
run "$tmp/mid.ini" -o "$tmp/ckd.h5" --resume && same_results "$tmp/mid_ref.h5" "$tmp/ckd.h5" ck-during \
  && ! ls "$tmp"/ckd.h5.part-* > /dev/null 2>&1 \
  && ok "resumed after kill -9 inside a checkpoint == uninterrupted; parts and .tmp removed" || { bad "resume after kill during a checkpoint"; cat "$tmp/out.log"; }
# compaction: one-task checkpoints fold like a binary counter; killed inside
# the 7th write (FILE.h5, then checkpoints 1-5 whole, the 6th in .tmp), the
# parts on disk are those of 5 tasks folded 4 + 1: two files, holding all 5
unset RNNSWEEP_CK_MERGE_BYTES
RNNSWEEP_TEST_WRITE_PAUSE=30:7 intable "$rs" run "$tmp/mid.ini" -o "$tmp/cc.h5" --checkpoint 0 --quiet > "$tmp/cc.log" 2>&1 &
pc=$!
wait_held_tmp "$tmp/cc.h5"
sleep 0.2; kill -9 $pc; wait $pc 2>/dev/null
parts=$(ls "$tmp"/cc.h5.part-* 2>/dev/null | grep -v '\.tmp$')
np=$(echo "$parts" | grep -c part-)
"$rs" merge "$tmp/cc_snap.h5" "$tmp/cc.h5" $parts > "$tmp/out.log" 2>&1; rc=$?
ns=$(attr "$tmp/cc_snap.h5" tasks_done)
if [ "$np" = 2 ] && [ $rc -eq 0 ] && [ "$ns" = 5 ]; then
  ok "compaction: 5 one-task checkpoints left 2 part files (4 + 1), FILE.h5 + parts hold the 5 tasks"
else bad "compaction (parts $np, merge rc $rc, $ns tasks)"; ls "$tmp"/cc.h5*; cat "$tmp/out.log"; fi
run "$tmp/mid.ini" -o "$tmp/cc.h5" --resume && same_results "$tmp/mid_ref.h5" "$tmp/cc.h5" ck-compact \
  && ! ls "$tmp"/cc.h5.part-* > /dev/null 2>&1 \
  && ok "resumed after kill -9 with compacted parts == uninterrupted; parts removed" || { bad "resume after compaction"; cat "$tmp/out.log"; }

# ---- 3. one writer per output --------------------------------------------------------------
intable "$rs" run "$tmp/mid.ini" -o "$tmp/lk.h5" --grace 0 --quiet > "$tmp/a.log" 2>&1 &
pa=$!
if wait_file "$tmp/lk.h5.lock" 10; then
  run "$tmp/mid.ini" -o "$tmp/lk.h5" --resume; rc=$?
  if [ $rc -eq 2 ] && grep -q "lk.h5.lock: in use by pid $pa on host $(hostname) since 20" "$tmp/out.log"; then
    ok "a second run on a busy output: exit 2, in use by pid $pa on host $(hostname)"
  else bad "second writer (rc $rc)"; cat "$tmp/out.log"; fi
  # merge into an output a run holds: refused the same way, nothing written
  before=$(ls -l --time-style=+%s.%N "$tmp"/lk.h5 2>/dev/null)
  "$rs" merge "$tmp/lk.h5" "$tmp/ref.h5" > "$tmp/out.log" 2>&1; rc=$?
  if [ $rc -eq 2 ] && grep -q "rnnsweep merge: .*lk.h5.lock: in use by pid $pa" "$tmp/out.log" \
     && [ "$(ls -l --time-style=+%s.%N "$tmp"/lk.h5 2>/dev/null)" = "$before" ]; then
    ok "merge into a busy output: exit 2, in use by pid $pa, nothing written"
  else bad "merge into a busy output (rc $rc)"; cat "$tmp/out.log"; fi
else bad "first run took no lock"; fi
kill -INT $pa; wait $pa; rc=$?
[ $rc -eq 75 ] && ! [ -e "$tmp/lk.h5.lock" ] && ok "the holder drained (75) and removed its lock file" || bad "holder rc $rc"
# two --resume together: exactly one runs
intable "$rs" run "$tmp/mid.ini" -o "$tmp/lk.h5" --resume --grace 0 --quiet > "$tmp/r1.log" 2>&1 & p1=$!
intable "$rs" run "$tmp/mid.ini" -o "$tmp/lk.h5" --resume --grace 0 --quiet > "$tmp/r2.log" 2>&1 & p2=$!
loser=""
for _ in $(seq 1 600); do
  kill -0 $p1 2>/dev/null || { loser=$p1; break; }
  kill -0 $p2 2>/dev/null || { loser=$p2; break; }
  sleep 0.05
done
if [ "$loser" = "$p1" ]; then winner=$p2; else winner=$p1; fi
wait "$loser"; rl=$?
kill -INT "$winner" 2>/dev/null; wait "$winner"; rw=$?
[ $rl -eq 2 ] && { [ $rw -eq 75 ] || [ $rw -eq 0 ]; } && ok "two --resume at once: one refused (2), the other ran ($rw)" \
  || { bad "two --resume at once: rc $rl and $rw"; cat "$tmp/r1.log" "$tmp/r2.log"; }
# a stale lock from a killed run never blocks
"$rs" run "$tmp/mid.ini" -o "$tmp/lk.h5" --resume --quiet > "$tmp/a.log" 2>&1 &
pk=$!
wait_file "$tmp/lk.h5.lock" 10; kill -9 $pk; wait $pk 2>/dev/null
[ -s "$tmp/lk.h5.lock" ] || bad "kill -9 left no lock file to test with"
"$rs" run "$tmp/mid.ini" -o "$tmp/lk.h5" --resume > "$tmp/out.log" 2>&1; rc=$?
[ $rc -eq 0 ] && same_results "$tmp/mid_ref.h5" "$tmp/lk.h5" lock && ok "stale lock of a kill -9'd run: resumed to completion, equal results" \
  || { bad "stale lock (rc $rc)"; tail -5 "$tmp/out.log"; }

# ---- 4. signals ------------------------------------------------------------------------------
# Ctrl-C to a lone rank: a drain, not a death
intable "$rs" run "$tmp/mid.ini" -o "$tmp/int.h5" --quiet > "$tmp/int.log" 2>&1 &
pid=$!
wait_file "$tmp/int.h5.journal" 8000; kill -INT $pid; wait $pid; rc=$?
[ $rc -eq 75 ] && grep -q "SIGINT: draining" "$tmp/int.log" && [ "$(attr "$tmp/int.h5" complete)" = 0 ] \
  && ok "SIGINT to one rank: exit 75, file flushed, incomplete" || { bad "SIGINT to one rank: rc $rc"; cat "$tmp/int.log"; }
run "$tmp/mid.ini" -o "$tmp/int.h5" --resume && same_results "$tmp/mid_ref.h5" "$tmp/int.h5" sigint \
  && ok "SIGINT + resume == uninterrupted" || bad "SIGINT resume"
# SIGTERM to every process of a job, as scancel sends it: the job script, mpirun, the ranks
RNNSWEEP_LAUNCHER="${MPIRUN[*]} -np 3" RNNSWEEP_BIN=$rs \
  bash -c '. jobs/launch.sh; rnnsweep_launch faults "$0" "$1" --quiet' "$tmp/mid.ini" "$tmp/job.h5" > "$tmp/job.log" 2>&1 &
pw=$!
wait_file "$tmp/job.h5.journal" 8000
pm=$(pgrep -P $pw | head -1); ranks=$(pgrep -P "$pm" | tr '\n' ' ')
kill -TERM $pw "$pm" $ranks 2>/dev/null; wait $pw; rc=$?
[ $rc -eq 75 ] && grep -q "drained (exit 75)" "$tmp/job.log" && ok "SIGTERM to the script, mpirun and the ranks: exit 75" \
  || { bad "SIGTERM to every process: rc $rc"; cat "$tmp/job.log"; }
run "$tmp/mid.ini" -o "$tmp/job.h5" --resume && same_results "$tmp/mid_ref.h5" "$tmp/job.h5" scancel \
  && ok "... and --resume == uninterrupted" || { bad "resume after SIGTERM to every process"; cat "$tmp/out.log"; }
# A launcher that SIGKILLs its ranks when signalled, as srun does on SIGTERM
# ("forcing job termination"): the ranks die before rank 0 writes a status;
# the job script still calls it a drain, and the journal resumes it
cat > "$tmp/killer.sh" <<'KILLER'
#!/usr/bin/env bash
"$@" & c=$!
trap 'kill -9 $c; exit 137' USR1 TERM
while kill -0 $c 2>/dev/null; do wait $c; done
KILLER
chmod +x "$tmp/killer.sh"
RNNSWEEP_LAUNCHER="$tmp/killer.sh" RNNSWEEP_BIN=$rs \
  bash -c '. jobs/launch.sh; rnnsweep_launch faults "$0" "$1" --quiet' "$tmp/mid.ini" "$tmp/kl.h5" > "$tmp/kl.log" 2>&1 &
pw=$!
wait_file "$tmp/kl.h5.journal" 8000
kill -TERM $pw; wait $pw; rc=$?
[ $rc -eq 75 ] && grep -qE "the ranks were killed \(launcher status 1[0-9]{2}\) after TERM" "$tmp/kl.log" \
  && grep -q "drained (exit 75)" "$tmp/kl.log" && ok "ranks SIGKILLed by the launcher after TERM: a drain (exit 75)" \
  || { bad "launcher SIGKILL after TERM: rc $rc"; cat "$tmp/kl.log"; }
run "$tmp/mid.ini" -o "$tmp/kl.h5" --resume && same_results "$tmp/mid_ref.h5" "$tmp/kl.h5" killed \
  && ok "... and --resume == uninterrupted" || { bad "resume after the launcher's SIGKILL"; cat "$tmp/out.log"; }
# SIGTERM to every rank, tasks longer than the grace: abandoned, not waited for
"${MPIRUN[@]}" -np 3 "$rs" run "$tmp/mid.ini" -o "$tmp/g.h5" --grace 0 > "$tmp/g.log" 2>&1 &
pm=$!
wait_file "$tmp/g.h5.journal" 8000
t0=$(date +%s%N); kill -TERM $(pgrep -P $pm) 2>/dev/null; wait $pm; rc=$?; ms=$(( ($(date +%s%N) - t0) / 1000000 ))
ab=$(sed -n 's/.*(\([0-9]*\) in flight abandoned.*/\1/p' "$tmp/g.log")
[ $rc -eq 75 ] && [ -n "$ab" ] && ok "SIGTERM to every rank, --grace 0: exit 75 in $ms ms, $ab tasks in flight abandoned" \
  || { bad "grace: rc $rc"; cat "$tmp/g.log"; }
run "$tmp/mid.ini" -o "$tmp/g.h5" --resume && same_results "$tmp/mid_ref.h5" "$tmp/g.h5" grace \
  && ok "... abandoned tasks rerun: == uninterrupted" || bad "resume after abandoning"

# ---- 6. small bad-input gaps ------------------------------------------------------------------
mkdir "$tmp/ro"
if [ $root = 1 ]; then mount -t tmpfs -o ro,size=64k tmpfs "$tmp/ro" 2>/dev/null && mv_ro=1 || mv_ro=0
else chmod 555 "$tmp/ro"; mv_ro=1; fi
if [ "$mv_ro" = 1 ]; then
  run "$tmp/tiny.ini" -o "$tmp/ro/x.h5"; rc=$?
  [ $rc -eq 2 ] && grep -q "directory '$tmp/ro' is not writable" "$tmp/out.log" && ok "read-only output directory: exit 2" \
    || { bad "read-only directory: rc $rc"; cat "$tmp/out.log"; }
  [ $root = 1 ] && umount "$tmp/ro"
else echo "SKIP read-only directory: cannot mount a read-only tmpfs"; fi
run "$tmp/tiny.ini" -o "$tmp"; rc=$?
[ $rc -eq 2 ] && grep -q "is a directory; give a file name" "$tmp/out.log" && ! grep -q -- "--resume" "$tmp/out.log" \
  && ok "-o DIR: exit 2, says it is a directory" || { bad "-o DIR: rc $rc"; cat "$tmp/out.log"; }
mkfifo "$tmp/pipe.ini"
timeout 20 "$rs" check "$tmp/pipe.ini" > "$tmp/out.log" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "not a regular file (a FIFO)" "$tmp/out.log" && ok "a FIFO as the config: exit 2 at once" \
  || { bad "FIFO config: rc $rc (124 = it blocked)"; cat "$tmp/out.log"; }
{ printf '\xef\xbb\xbf'; cat "$tmp/tiny.ini"; } > "$tmp/bom.ini"
"$rs" check "$tmp/bom.ini" > "$tmp/out.log" 2>&1; rc=$?
[ $rc -eq 0 ] && ok "an INI with a UTF-8 BOM is accepted" || { bad "BOM: rc $rc"; cat "$tmp/out.log"; }
awk 'NR == 300 { FS = OFS = ","; $0 = $0; $4 = "-1" } { print }' "$tmp/syn.csv" > "$tmp/neg.csv"
sed "s#$tmp/syn.csv#$tmp/neg.csv#" "$tmp/tiny.ini" > "$tmp/neg.ini"
"$rs" plan "$tmp/neg.ini" > "$tmp/out.log" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "neg.csv:300: column 4 (low): expected a positive price, got '-1' (\[data\] drop_bad = 1 skips such rows)" "$tmp/out.log" \
  && ok "a bad price names the INI key that skips it" || { bad "drop_bad hint: rc $rc"; cat "$tmp/out.log"; }
sed 's/^\[data\]$/[data]\ndrop_bad = 1/' "$tmp/neg.ini" > "$tmp/neg2.ini"
"$rs" plan "$tmp/neg2.ini" > "$tmp/out.log" 2>&1; rc=$?
[ $rc -eq 0 ] && grep -q "SYN 1459 rows (1 bad rows skipped: drop_bad)" "$tmp/out.log" && ok "plan reports the rows drop_bad skipped" \
  || { bad "drop_bad count: rc $rc"; cat "$tmp/out.log"; }

# ---- 7. merge keeps every host -------------------------------------------------------------------
PY=/usr/bin/python3
if $PY -c 'import h5py' 2>/dev/null; then
  run "$tmp/tiny.ini" --shard 1/2 -o "$tmp/m1.h5"; run "$tmp/tiny.ini" --shard 2/2 -o "$tmp/m2.h5"
  $PY -c 'import h5py, sys
for p, h in zip(sys.argv[1:3], ("node10", "node1")):
    with h5py.File(p, "r+") as f: f.attrs["hosts"] = h' "$tmp/m1.h5" "$tmp/m2.h5"
  "$rs" merge "$tmp/m.h5" "$tmp/m1.h5" "$tmp/m2.h5" > /dev/null 2>&1
  [ "$(attr "$tmp/m.h5" hosts)" = '"node10,node1"' ] && ok "merge keeps node1 beside node10" \
    || bad "merge hosts: $(attr "$tmp/m.h5" hosts)"
else echo "SKIP merge hosts: python3-h5py not installed"; fi

exit $fail
