// The run's tokenizer: trained on the corpus, the prompts and the responses by the first stage run that finds
// OUT/tokenizer.json missing, written there atomically, and read back by every later run (both stages share it).
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { Tokenizer, trainTokenizer } from '../tokenizer.ts';
import type { TrainConfig } from './config.ts';
import { tokenizerLines, type DataDir } from './data.ts';
import { tokenizerPath } from './files.ts';

export async function ensureTokenizer(config: TrainConfig, data: DataDir): Promise<{ tokenizer: Tokenizer; trained: boolean }> {
  const path = tokenizerPath(config.out);
  let text: string | null = null;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    text = null;
  }
  if (text !== null) return { tokenizer: Tokenizer.fromJSON(JSON.parse(text)), trained: false };
  const tokenizer = trainTokenizer(tokenizerLines(data), { vocabSize: config.tokenizer.vocabSize, minFrequency: config.tokenizer.minFrequency });
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(tokenizer.toJSON())}\n`);
  return { tokenizer, trained: true };
}
