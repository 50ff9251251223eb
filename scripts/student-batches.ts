// The student data batches of a training config's DAgger rounds, for scripts/train-planner.sh: one line per batch,
//   stage dir episodes start rate families memory checkpoint state
// (families "-" for the default ones; memory off or prompt; checkpoint: the model before the round; state: "fresh"
// when DIR/manifest.json says it was made by this data version with exactly these arguments, else "stale", and
// the script makes it again). Run: node --import tsx scripts/student-batches.ts CONFIG
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DATA_VERSION } from '../agent/data/generate.ts';
import { DAGGER_STAGES, loadTrainConfig, studentParts, type DaggerStage, type StudentPart, type TrainConfig } from '../agent/lm/train/config.ts';
import { FAMILY_NAMES } from '../scenes/family-names.ts';

const BEFORE: Record<DaggerStage, string> = { dagger: 'sft', dagger2: 'dagger', dagger3: 'dagger2' };

interface Manifest {
  version?: number;
  student?: { checkpoint?: string; rate?: number };
  memoryMode?: string;
  start?: number;
  episodesPerFamily?: number;
  families?: string[];
}

/** Whether the batch's directory holds data made with exactly these arguments. */
export function fresh(part: StudentPart, checkpoint: string): boolean {
  const file = join(part.dir, 'manifest.json');
  if (!existsSync(file)) return false;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  } catch {
    return false;
  }
  const families = part.families ?? FAMILY_NAMES;
  return (
    m.version === DATA_VERSION &&
    m.student?.checkpoint === checkpoint &&
    m.student.rate === part.rate &&
    (m.memoryMode ?? 'off') === (part.memoryMode ?? 'off') &&
    m.start === part.start &&
    m.episodesPerFamily === part.episodes &&
    JSON.stringify(m.families) === JSON.stringify(families)
  );
}

/** The lines for a config, in round order. */
export function batchLines(config: TrainConfig): string[] {
  return DAGGER_STAGES.flatMap((stage) => {
    const checkpoint = `${config.out}/${BEFORE[stage]}.safetensors`;
    return studentParts(config, stage).map((part) =>
      [stage, part.dir, part.episodes, part.start, part.rate, part.families?.join(',') ?? '-', part.memoryMode ?? 'off', checkpoint, fresh(part, checkpoint) ? 'fresh' : 'stale'].join(' '),
    );
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const line of batchLines(loadTrainConfig(process.argv[2] ?? 'models/planner/train.json'))) process.stdout.write(`${line}\n`);
}
