// The last step of the planner pipeline: copies the trained model into the shipped directory (models/planner/):
//   planner.safetensors (F32, from the last stage the config trains: OUT/dagger.safetensors when it has a dagger stage,
//   else OUT/sft.safetensors), planner.int8.safetensors (quantizeInt8, same metadata), and every stage's loss CSV
//   and SVG. Run: tsx agent/lm/train/export.ts [CONFIG] [DEST]
import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { saveCheckpoint } from '../checkpoint-file.ts';
import { quantizeInt8 } from '../checkpoint.ts';
import { configuredStages, loadTrainConfig, STAGES, type TrainConfig } from './config.ts';
import { loadPlannerModel, lossCsvPath, lossSvgPath, modelPath } from './files.ts';

export async function exportPlanner(config: TrainConfig, dest: string): Promise<string[]> {
  const last = configuredStages(config).at(-1) ?? 'sft';
  const source = modelPath(config.out, last);
  const model = await loadPlannerModel(source);
  await mkdir(dest, { recursive: true });
  const written: string[] = [];
  const f32 = join(dest, 'planner.safetensors');
  await saveCheckpoint(f32, model.weights, model.metadata);
  const int8 = join(dest, 'planner.int8.safetensors');
  await saveCheckpoint(int8, quantizeInt8(model.weights), model.metadata);
  written.push(f32, int8);
  for (const stage of STAGES) {
    for (const file of [lossCsvPath(config.out, stage), lossSvgPath(config.out, stage)]) {
      if (!existsSync(file)) continue;
      const to = join(dest, file.slice(config.out.length + 1));
      await copyFile(file, to);
      written.push(to);
    }
  }
  return written;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const config = loadTrainConfig(process.argv[2] ?? 'models/planner/train.json');
  const files = await exportPlanner(config, process.argv[3] ?? 'models/planner');
  process.stdout.write(`exported: ${files.join(', ')}\n`);
}
