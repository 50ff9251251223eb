#!/usr/bin/env bash
# Evaluates a trained planner model the way its model card reports it, then writes the card (scripts/planner-card.ts).
#   bash scripts/evaluate-planner.sh [MODELS] [OUT]
# MODELS (default models/planner): planner.safetensors and planner.int8.safetensors as the export writes them
# (npm run train:planner, or MODELS=DIR for a trial run); the card, README.md and card.json, is written there.
# OUT (default runs/eval-planner): one directory per evaluation, and what each printed (NAME.json).
# Every evaluation resumes where it stopped (umwelt eval's journal): run the same command again after an interruption.
#   test     scenes/scenarios/standard.json, 10 test seeds per family (90 episodes)
#   heldout  scenes/scenarios/heldout.json, 10 seeds per family of the held-out composition split (90)
#   int8     the int8 model on the test episodes
#   smoke    scenes/scenarios/smoke.json (27), the count the CI test holds the model to
#   memory   scenes/scenarios/memory.json, 80 revisit visits without and with a memory
#   agreement.json  where the model parts from the oracle on 45 test episodes (scripts/planner-agreement.ts)
# ABLATIONS=0 leaves out the same model without the loop guard (test, heldout, memory) and with a free thought
# (test, heldout): five more evaluations, half the time. COMPARE=DIR hands the card the pretraining comparison
# (pretrained/, scratch/, eval-pretrained/, eval-scratch/; see scripts/planner-card.ts). PREVIOUS=FILE hands it the
# agreement of the planner the card before measured. VERSUS=FILE hands it this model against the one it replaces on the
# same episodes (scripts/models-versus.ts --json). REPRODUCTION=FILE with REPRODUCTION_EVAL=DIR hands it a from-scratch
# run of the recipe: its last stage's model file and DIR/test, DIR/heldout, its evaluations on the same episodes
# (and DIR/within-90-test, DIR/within-90-heldout, those of its last stage done within 90 minutes, where measured).
# Latencies in the reports are measured on this machine as it is: run it on an idle one.
set -euo pipefail
cd "$(dirname "$0")/.."
MODELS="${1:-models/planner}"
OUT="${2:-runs/eval-planner}"
F32="$MODELS/planner.safetensors"
I8="$MODELS/planner.int8.safetensors"
for f in "$F32" "$I8"; do
  [ -f "$f" ] || { echo "evaluate-planner: $f is missing: export the model first (npm run train:planner)" >&2; exit 2; }
done
umwelt() { node --import tsx cli/main.ts "$@"; }
# evaluation NAME SCENARIO [umwelt eval arguments]: the lm planner's report in OUT/NAME.
evaluation() {
  local name="$1" scenario="$2"
  shift 2
  echo "evaluate-planner: $name" >&2
  umwelt eval "$scenario" --planner lm --out "$OUT/$name" --json "$@" > "$OUT/$name.json"
}
mkdir -p "$OUT"
evaluation test scenes/scenarios/standard.json -e 10 --checkpoint "$F32"
evaluation heldout scenes/scenarios/heldout.json -e 10 --checkpoint "$F32"
evaluation int8 scenes/scenarios/standard.json -e 10 --checkpoint "$I8"
evaluation smoke scenes/scenarios/smoke.json --checkpoint "$F32"
evaluation memory scenes/scenarios/memory.json --checkpoint "$F32"
echo "evaluate-planner: agreement" >&2
node --import tsx scripts/planner-agreement.ts --checkpoint "$F32" --seeds 5 --json > "$OUT/agreement.json"
CARD=(--test "$OUT/test/report.json" --heldout "$OUT/heldout/report.json" --int8 "$OUT/int8/report.json"
  --smoke "$OUT/smoke/report.json" --memory "$OUT/memory/report.json" --agreement "$OUT/agreement.json")
if [ "${ABLATIONS:-1}" != 0 ]; then
  evaluation test-noguard scenes/scenarios/standard.json -e 10 --checkpoint "$F32" --no-loop-guard
  evaluation heldout-noguard scenes/scenarios/heldout.json -e 10 --checkpoint "$F32" --no-loop-guard
  evaluation memory-noguard scenes/scenarios/memory.json --checkpoint "$F32" --no-loop-guard
  evaluation test-free scenes/scenarios/standard.json -e 10 --checkpoint "$F32" --no-thought-rules
  evaluation heldout-free scenes/scenarios/heldout.json -e 10 --checkpoint "$F32" --no-thought-rules
  CARD+=(--unguarded-test "$OUT/test-noguard/report.json" --unguarded-heldout "$OUT/heldout-noguard/report.json"
    --unguarded-memory "$OUT/memory-noguard/report.json" --free-test "$OUT/test-free/report.json"
    --free-heldout "$OUT/heldout-free/report.json")
fi
[ -z "${COMPARE:-}" ] || CARD+=(--compare "$COMPARE")
[ -z "${PREVIOUS:-}" ] || CARD+=(--previous-agreement "$PREVIOUS")
[ -z "${VERSUS:-}" ] || CARD+=(--versus "$VERSUS")
if [ -n "${REPRODUCTION:-}" ]; then
  CARD+=(--reproduction "$REPRODUCTION" --reproduction-test "$REPRODUCTION_EVAL/test/report.json" --reproduction-heldout "$REPRODUCTION_EVAL/heldout/report.json")
  [ ! -f "$REPRODUCTION_EVAL/within-90-test/report.json" ] ||
    CARD+=(--within-90-test "$REPRODUCTION_EVAL/within-90-test/report.json" --within-90-heldout "$REPRODUCTION_EVAL/within-90-heldout/report.json")
fi
node --import tsx scripts/planner-card.ts "${CARD[@]}" --dir "$MODELS"
