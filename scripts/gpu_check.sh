#!/usr/bin/env bash
# Checks what the README claims for GPUs, on a machine that has one:
#   1. the device is detected, recorded and shown ("GPU: <name>")
#   2. two runs share one card (memory growth on) and both finish
#   3. training.mixed_precision = true trains under mixed_float16 and finishes
#   4. a GPU out-of-memory error ends the run as `failed` with advice, not a hang
#   5. a sweep packs k trials per card (trials_per_gpu = k) and how much faster that is than k = 1
# It prints one line per check (PASS/FAIL and the figures) and exits 1 if any check failed.
#
# Usage: scripts/gpu_check.sh            (tuitrain installed, or set TUITRAIN=/path/to/tuitrain)
#        GPU_CHECK_ALLOW_CPU=1 scripts/gpu_check.sh   (rehearse the script on a machine without a GPU:
#                                                      the checks run, expecting "CPU" where a GPU would be)
set -uo pipefail
cd "$(dirname "$0")/.."

TUITRAIN=${TUITRAIN:-$(command -v tuitrain || echo .venv/bin/tuitrain)}
PYTHON=${PYTHON:-$(dirname "$TUITRAIN")/python}
[[ -x $PYTHON ]] || PYTHON=python3
WORK=$(mktemp -d /tmp/tuitrain-gpu-check.XXXXXX)
RUNS=$WORK/runs
export TUITRAIN_OFFLINE=1 CI=true
failures=0

if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then
    expect=gpu
    nvidia-smi -L
elif [[ ${GPU_CHECK_ALLOW_CPU:-0} == 1 ]]; then
    expect=cpu
    echo "no GPU: rehearsing the checks on the CPU (GPU_CHECK_ALLOW_CPU=1)"
else
    echo "no GPU visible (nvidia-smi -L failed): nothing to check. GPU_CHECK_ALLOW_CPU=1 rehearses on a CPU." >&2
    exit 2
fi

report() {  # report NAME OK DETAIL
    if [[ $2 == 1 ]]; then echo "PASS  $1: $3"; else echo "FAIL  $1: $3"; failures=$((failures + 1)); fi
}

# Facts about one run directory or every run below a folder, as shell-friendly key=value lines.
facts() {
    "$PYTHON" - "$@" <<'EOF'
import json, sys
from pathlib import Path

def started(run: Path) -> dict:
    for line in (run / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        if event.get("type") == "run_started":
            return event
    return {}

runs = []
for arg in sys.argv[1:]:
    root = Path(arg)
    runs += sorted(p.parent for p in root.rglob("status.json") if (p.parent / "events.jsonl").exists())
for run in runs:
    status = json.loads((run / "status.json").read_text())
    start = started(run)
    print(
        f"run={run.name} state={status.get('state')} device_kind={start.get('device_kind')} "
        f"mixed={start.get('mixed_precision')} began={status.get('started_at')} ended={status.get('ended_at')} "
        f"device={json.dumps(start.get('device', ''))} message={json.dumps(status.get('message', ''))}"
    )
EOF
}

# The most runs that were training at the same moment, from their status times.
max_overlap() {
    "$PYTHON" - "$1" <<'EOF'
import json, sys
from pathlib import Path
spans = []
for status in Path(sys.argv[1]).rglob("status.json"):
    s = json.loads(status.read_text())
    if s.get("started_at") and s.get("ended_at"):
        spans += [(s["started_at"], 1), (s["ended_at"], -1)]
now = best = 0
for _, step in sorted(spans):
    now += step
    best = max(best, now)
print(best)
EOF
}

gpu_memory_used() {  # MiB in use on the card now (0 on a CPU)
    if [[ $expect == gpu ]]; then nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits | head -1; else echo 0; fi
}

# 1. device shown ---------------------------------------------------------------------------------
"$TUITRAIN" run digits-mlp --set training.epochs=3 --runs-dir "$RUNS/device" >"$WORK/device.log" 2>&1
line=$(facts "$RUNS/device")
[[ $line == *"state=finished"* && $line == *"device_kind=$expect"* ]] && ok=1 || ok=0
report "device shown" $ok "$(grep -o 'device="[^"]*"' <<<"$line")"

# 2. two runs share a card --------------------------------------------------------------------------
peak=0
"$TUITRAIN" run digits-mlp --set training.epochs=40 --set early_stopping.enabled=false --runs-dir "$RUNS/shared" >"$WORK/a.log" 2>&1 &
a=$!
"$TUITRAIN" run digits-mlp --set training.epochs=40 --set early_stopping.enabled=false --set training.seed=1 --runs-dir "$RUNS/shared" >"$WORK/b.log" 2>&1 &
b=$!
while kill -0 $a 2>/dev/null || kill -0 $b 2>/dev/null; do
    used=$(gpu_memory_used); ((used > peak)) && peak=$used
    sleep 1
done
wait $a; ra=$?; wait $b; rb=$?
finished=$(facts "$RUNS/shared" | grep -c "state=finished device_kind=$expect")
overlap=$(max_overlap "$RUNS/shared")
[[ $ra == 0 && $rb == 0 && $finished == 2 && $overlap == 2 ]] && ok=1 || ok=0
report "two runs share a card" $ok "$finished/2 finished, $overlap training at once, peak card memory ${peak} MiB"

# 3. mixed precision -------------------------------------------------------------------------------
"$TUITRAIN" run digits-mlp --set training.epochs=3 --set training.mixed_precision=true --runs-dir "$RUNS/mixed" >"$WORK/mixed.log" 2>&1
line=$(facts "$RUNS/mixed")
want=$([[ $expect == gpu ]] && echo True || echo False)  # a CPU computes in float32 whatever is asked
[[ $line == *"state=finished"* && $line == *"mixed=$want"* ]] && ok=1 || ok=0
report "mixed precision" $ok "$(grep -o 'state=[a-z]*' <<<"$line"), mixed_precision recorded: $(grep -o 'mixed=[A-Za-z]*' <<<"$line")"

# 4. out of memory -> failed with advice ---------------------------------------------------------------
# Another process fills the card first (as another user's job would), then a run needs more than is left.
if [[ $expect == gpu ]]; then
    "$PYTHON" - <<'EOF' >"$WORK/hog.log" 2>&1 &
import time
import tensorflow as tf
free = tf.config.experimental.get_memory_info("GPU:0")  # touches the device
blocks = []
try:
    while True:  # 1 GiB at a time until the card refuses
        blocks.append(tf.zeros((256, 1024, 1024), tf.float32))
except tf.errors.ResourceExhaustedError:
    pass
print(f"holding {len(blocks)} GiB", flush=True)
time.sleep(600)
EOF
    hog=$!
    for _ in $(seq 120); do grep -q holding "$WORK/hog.log" && break; sleep 1; done
    cat "$WORK/hog.log" | tail -1
fi
if [[ $expect == gpu ]]; then
    start=$(date +%s)
    timeout 600 "$TUITRAIN" run digits-mlp --set training.epochs=2 --set training.batch_size=1024 \
        --set 'model.layers=[{kind="dense",units=16384,activation="relu"},{kind="dense",units=16384,activation="relu"}]' \
        --runs-dir "$RUNS/oom" >"$WORK/oom.log" 2>&1
    rc=$?
    took=$(($(date +%s) - start))
    kill "$hog" 2>/dev/null
    line=$(facts "$RUNS/oom")
    [[ $rc == 1 && $line == *"state=failed"* && $line == *"batch"* ]] && ok=1 || ok=0
    report "out of memory -> failed with advice" $ok "exit $rc after ${took}s; $(grep -o 'message=.*' <<<"$line")"
else
    # A model that fills a GPU would take hours on a CPU, and a CPU's memory error is not the GPU's.
    echo "SKIP  out of memory -> failed with advice: needs a card"
fi

# 5. k sweep trials per card -----------------------------------------------------------------------------
sweep_time() {  # sweep_time K: wall seconds of an 8-trial sweep packed K per card
    cat >"$WORK/sweep-$1.toml" <<EOF
name = "gpu-pack-$1"
base = "digits-mlp"
set = ["training.epochs=15", "early_stopping.enabled=false"]
trials = 8
parallel = "auto"
trials_per_gpu = $1
sampler = "random"
seed = 0

[objective]
metric = "val_loss"

[space."optimizer.learning_rate"]
dist = "log_uniform"
low = 1e-4
high = 1e-2
EOF
    local t0=$SECONDS
    "$TUITRAIN" sweep run "$WORK/sweep-$1.toml" --runs-dir "$RUNS/pack-$1" >"$WORK/sweep-$1.log" 2>&1
    echo $((SECONDS - t0))
}
k=${GPU_CHECK_K:-4}
t1=$(sweep_time 1)
tk=$(sweep_time "$k")
done_k=$(facts "$RUNS/pack-$k" | grep -c "state=finished device_kind=$expect")
overlap=$(max_overlap "$RUNS/pack-$k")
ratio=$("$PYTHON" -c "print(f'{$t1 / max($tk, 1):.2f}')")
if [[ $expect == gpu ]]; then
    [[ $done_k == 8 && $overlap -ge $k ]] && ok=1 || ok=0
    report "$k sweep trials per card" $ok "$done_k/8 trials on the GPU, up to $overlap at once; 8 trials in ${tk}s vs ${t1}s one per card (${ratio}x)"
else
    [[ $done_k == 8 ]] && ok=1 || ok=0
    report "$k sweep trials per card" $ok "rehearsal on the CPU (slots follow the cores there): $done_k/8 finished, up to $overlap at once, ${tk}s vs ${t1}s"
fi

echo "logs and runs: $WORK"
exit $((failures > 0))
