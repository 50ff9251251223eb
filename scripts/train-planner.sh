#!/usr/bin/env bash
# Trains the shipped planner model end to end (npm run train:planner). Every step is resumable: run it again
# after an interruption and it continues where it stopped.
#   (a) training data: umwelt data --split train --episodes 160 --workers 2 --out data/train   (when data/train/manifest.json is
#       missing or names another data version)
#   (b) umwelt train --stage pretrain --resume
#   (c) umwelt train --stage sft --resume
#   (d) for each DAgger round the config has (dagger, dagger2, dagger3): its student data (umwelt data --student with
#       the model before the round, OUT/sft.safetensors, OUT/dagger.safetensors, OUT/dagger2.safetensors, for each
#       batch whose manifest is missing or stale), then umwelt train --stage dagger[2|3] --resume
#   (e) models/planner/: planner.safetensors (F32), planner.int8.safetensors, loss CSVs and SVGs
# CONFIG (default models/planner/train.json), EPISODES (default 160) and MODELS (where (e) writes, default
# models/planner: a trial run of another config goes elsewhere) may be set in the environment.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG="${CONFIG:-models/planner/train.json}"
EPISODES="${EPISODES:-160}"
umwelt() { node --import tsx cli/main.ts "$@"; }

DATA_DIR="$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).dataDir)' "$CONFIG")"
# Data made by another version (another prompt format, say) is made again.
DATA_VERSION="$(node --import tsx -e 'import("./agent/data/generate.ts").then((m) => process.stdout.write(String(m.DATA_VERSION)))')"
stale() {
  node -e 'const f = process.argv[1]; const fs = require("fs");
    process.exit(fs.existsSync(f) && JSON.parse(fs.readFileSync(f, "utf8")).version === Number(process.argv[2]) ? 1 : 0)' "$1/manifest.json" "$DATA_VERSION"
}
if stale "$DATA_DIR"; then
  # The data command writes its files only when done (manifest last), so a partial directory is safe to overwrite.
  umwelt data --split train --episodes "$EPISODES" --workers "$(nproc)" --out "$DATA_DIR" --force
fi
umwelt train --stage pretrain --config "$CONFIG" --resume
umwelt train --stage sft --config "$CONFIG" --resume
# The DAgger rounds (dagger, dagger2, dagger3), each after its student data: one line per batch of it
# (scripts/student-batches.ts), a batch made again unless its manifest says it was made with exactly those arguments.
ROUNDS="$(node --import tsx scripts/student-batches.ts "$CONFIG")"
for STAGE in dagger dagger2 dagger3; do
  grep -q "^$STAGE " <<<"$ROUNDS" || continue
  while read -r _ STUDENT_DIR STUDENT_EPISODES STUDENT_START STUDENT_RATE STUDENT_FAMILIES STUDENT_MEMORY STUDENT_CHECKPOINT STATE; do
    if [ "$STATE" = stale ]; then
      FAMILIES=()
      [ "$STUDENT_FAMILIES" = "-" ] || FAMILIES=(--families "$STUDENT_FAMILIES")
      umwelt data --split train --episodes "$STUDENT_EPISODES" --start "$STUDENT_START" "${FAMILIES[@]}" --memory-mode "$STUDENT_MEMORY" \
        --student "$STUDENT_CHECKPOINT" --student-rate "$STUDENT_RATE" --workers "$(nproc)" --out "$STUDENT_DIR" --force </dev/null
    fi
  done < <(grep "^$STAGE " <<<"$ROUNDS")
  umwelt train --stage "$STAGE" --config "$CONFIG" --resume
done
node --import tsx agent/lm/train/export.ts "$CONFIG" "${MODELS:-models/planner}"
