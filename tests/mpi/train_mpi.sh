#!/usr/bin/env bash
# train_mpi.sh — `mpirun -np P xcap train` against one process, on this machine (loopback,
# one thread per rank, every run bounded by timeout). Registered as the ctest test
# mpi_train when configured with -DXCAP_MPI=ON.
#
#   tests/mpi/train_mpi.sh XCAP WEIGHTS_DIFF [MPIRUN]
#
# 1. 2 ranks vs 1 process, same global batch (8 scenes a step, 150 steps of preset S with
#    the alignment loss, word dropout and grey views): every progress line (loss, lr, |g|,
#    alignment loss, printed to 4, 2 and 4 decimals) equal to its last digit, and every
#    weight within 5e-5 (measured 1.4e-5; AdamW's step lr*m/(sqrt(v)+eps) turns rounding
#    differences of a gradient near zero into weight differences up to lr*|dg|/eps, and
#    lr is 2e-3 here) except the attention key biases (*.bk: their gradient is zero in
#    exact arithmetic, so AdamW steps them by rounding noise; they change no output);
#    only rank 0 writes files and speaks. The same on a dataset on disk (--data).
# 2. --resume with another number of processes: a 2-rank run stopped by SIGUSR1 to mpirun
#    goes on as 1 process, and a 1-process run stopped by SIGINT goes on as 3 ranks
#    (uneven shards 2+3+3); both end within 5e-5 of the uninterrupted run.
# 3. a rank killed with SIGKILL ends the whole job (Open MPI's error handling) with a
#    message naming it, well within the timeout, instead of hanging.
set -uo pipefail

XCAP=$(readlink -f "${1:?usage: train_mpi.sh XCAP WEIGHTS_DIFF [MPIRUN]}")
DIFF=$(readlink -f "${2:?usage: train_mpi.sh XCAP WEIGHTS_DIFF [MPIRUN]}")
MPIRUN=${3:-mpirun}
TOL=5e-5
work=$(mktemp -d /tmp/xcap-mpi-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
export OPENBLAS_NUM_THREADS=1
MPI=(timeout 300 "$MPIRUN" --allow-run-as-root --oversubscribe --bind-to none)
COMMON=(train --steps 150 --batch 8 --warmup 20 --word-dropout 0.2 --grey-views 0.3 --threads 1
        --val-every 0 --val-count 16 --log-every 1 --ckpt-every 50)
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# The progress lines' figures after "loss" ("step S/N loss lr |g| align"), one a line.
figures() { grep -o 'loss .*' "$1" | awk '{print $NF, $2, $4, $6, $8}'; }

# Compares two files of figures: loss and align to 1.5e-4, |g| to 0.015, lr exactly.
same_figures() {
    paste -d' ' <(figures "$1") <(figures "$2") | awk -v a="$1" -v b="$2" '
        function abs(x) { return x < 0 ? -x : x }
        { n++
          if ($1 != $6 || $3 != $8 || abs($2 - $7) > 1.5e-4 || abs($4 - $9) > 0.015 || abs($5 - $10) > 1.5e-4) {
              printf "  step %s: %s | %s\n", $1, $0, ""; bad++ } }
        END { if (n == 0) { print "  no progress lines"; exit 1 } exit bad > 0 }'
}

# Waits until log shows step >= k (or pid is gone); 0 when it did.
wait_step() {
    local log=$1 k=$2 pid=$3
    for _ in $(seq 1 600); do
        local s
        s=$(grep -o 'step [0-9]*/' "$log" 2>/dev/null | tail -1 | tr -dc 0-9)
        [ -n "$s" ] && [ "$s" -ge "$k" ] && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

echo "== 1 process vs mpirun -np 2, global batch 8"
"$XCAP" "${COMMON[@]}" --out one.safetensors 2> one.log || fail "single-process run (see one.log)"
mkdir two && (cd two && "${MPI[@]}" -np 2 "$XCAP" "${COMMON[@]}" --out two.safetensors 2> ../two.log) \
    || fail "2-rank run exited $? (two.log: $(tail -3 two.log))"
same_figures one.log two.log && echo "progress lines: the same in all $(figures one.log | wc -l) steps" \
    || fail "progress lines differ"
"$DIFF" one.safetensors two/two.safetensors "$TOL" .bk || fail "weights differ by more than $TOL"
files=$(cd two && ls -A | tr '\n' ' ')
[ "$files" = "two.safetensors two.safetensors.ckpt " ] || fail "files written by the 2-rank run: $files"
[ "$(grep -c '^model:' two.log)" = 1 ] && [ "$(grep -c '^saved ' two.log)" = 1 ] \
    || fail "expected one model line and one saved line (only rank 0 speaks)"
grep -q '^mpi: 2 processes' two.log || fail "no mpi line"

echo "== a dataset on disk (--data): 1 process vs mpirun -np 2"
"$XCAP" scenes --count 40 --seed 5 --split train --out scenes > /dev/null 2>&1 || fail "xcap scenes"
DATA=(train --data scenes/captions.json --images scenes --steps 40 --batch 6 --warmup 5
      --word-dropout 0.2 --threads 1 --log-every 1)
"$XCAP" "${DATA[@]}" --out d1.safetensors 2> d1.log || fail "single-process run on disk data (d1.log)"
"${MPI[@]}" -np 2 "$XCAP" "${DATA[@]}" --out d2.safetensors 2> d2.log || fail "2-rank run on disk data (d2.log)"
same_figures d1.log d2.log && echo "progress lines: the same in all $(figures d1.log | wc -l) steps" \
    || fail "disk data: progress lines differ"
"$DIFF" d1.safetensors d2.safetensors "$TOL" .bk || fail "disk data: weights differ"

echo "== a 2-rank run stopped by SIGUSR1, resumed as 1 process"
"${MPI[@]}" -np 2 "$XCAP" "${COMMON[@]}" --out r2.safetensors 2> r2.log &
job=$!
sleep 0.2
if wait_step r2.log 20 "$job"; then
    kill -USR1 "$(pgrep -P "$job" | head -1)"
else
    fail "the 2-rank run ended before it could be stopped"
fi
wait "$job"
rc=$?
grep -q '^interrupted at step' r2.log || fail "2-rank run: no interrupted line (exit $rc)"
echo "stopped: $(grep '^interrupted' r2.log)"
"$XCAP" train --resume r2.safetensors.ckpt --threads 1 --log-every 1 --val-count 16 --out r2.safetensors \
    2> r2b.log || fail "resume as 1 process (r2b.log)"
"$DIFF" one.safetensors r2.safetensors "$TOL" .bk || fail "2 ranks -> 1 process: weights differ"

echo "== a 1-process run stopped by SIGINT, resumed as 3 ranks"
"$XCAP" "${COMMON[@]}" --out r1.safetensors 2> r1.log &
job=$!
if wait_step r1.log 20 "$job"; then kill -INT "$job"; else fail "the 1-process run ended before it could be stopped"; fi
wait "$job"
grep -q '^interrupted at step' r1.log || fail "1-process run: no interrupted line"
echo "stopped: $(grep '^interrupted' r1.log)"
"${MPI[@]}" -np 3 "$XCAP" train --resume r1.safetensors.ckpt --threads 1 --log-every 1 --val-count 16 \
    --out r1.safetensors 2> r1b.log || fail "resume as 3 ranks (r1b.log: $(tail -3 r1b.log))"
grep -q '^mpi: 3 processes, each computing 2 or 3 of the 8' r1b.log || fail "3 ranks: no mpi line"
"$DIFF" one.safetensors r1.safetensors "$TOL" .bk || fail "1 process -> 3 ranks: weights differ"

echo "== a rank killed with SIGKILL ends the job"
start=$(date +%s)
timeout 120 "$MPIRUN" --allow-run-as-root --oversubscribe --bind-to none -np 2 "$XCAP" "${COMMON[@]}" \
    --steps 1000000 --out k.safetensors 2> kill.log &
job=$!
sleep 0.2
mpirun_pid=$(pgrep -P "$job" | head -1)
victim=""
if wait_step kill.log 5 "$job"; then
    for p in $(pgrep -P "$mpirun_pid"); do
        tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' && victim=$p
    done
fi
[ -n "$victim" ] && kill -KILL "$victim" || fail "found no rank 1 to kill"
wait "$job"
rc=$?
took=$(( $(date +%s) - start ))
echo "mpirun exited $rc after ${took}s: $(grep -m1 -i 'signal 9\|killed' kill.log)"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "the job did not stop by itself (exit $rc; 124 = timeout)"
grep -qi 'signal 9' kill.log || fail "no message about the killed rank (kill.log: $(tail -5 kill.log))"

[ "$failed" = 0 ] && echo "all passed" || { echo "work files: $work"; trap - EXIT; }
exit "$failed"
