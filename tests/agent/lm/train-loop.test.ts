// The training loop on a tiny model: it can overfit a batch, the loss mask hides prompt targets, and a run
// interrupted and resumed ends with exactly the weights of an uninterrupted run.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../../agent/lm/checkpoint-file.ts';
import { makeConfig } from '../../../agent/lm/config.ts';
import { GptModel, initWeights } from '../../../agent/lm/model.ts';
import { encodeExample } from '../../../agent/lm/sequence.ts';
import { episodeKey, readDataDir, readSftExamples, StageData, validationEpisodes } from '../../../agent/lm/train/data.ts';
import { lineageOf, loadPlannerModel, META, modelPath } from '../../../agent/lm/train/files.ts';
import { exportPlanner } from '../../../agent/lm/train/export.ts';
import { trainStage } from '../../../agent/lm/train/loop.ts';
import { ensureTokenizer } from '../../../agent/lm/train/tokenizer.ts';
import { useWasmBackend } from '../../../agent/lm/wasm-backend.ts';
import { randomIds } from './helpers.ts';
import { tinyTrainConfig, writeTinyData } from './train-helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'umwelt-train-loop-'));
const dataDir = join(root, 'data');
const data0 = (): ReturnType<typeof readDataDir> => readDataDir(dataDir);

beforeAll(async () => {
  await useWasmBackend();
  writeTinyData(dataDir);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('training', () => {
  it('overfits one fixed batch (loss falls by 90%)', () => {
    const config = makeConfig({ vocabSize: 32, context: 16, dModel: 16, heads: 2, layers: 1, positions: 'rope' });
    const model = new GptModel(config, initWeights(config, 5), { weightDecay: 0 });
    try {
      const seq = [randomIds(17, 32, 1), randomIds(17, 32, 2)];
      const ids = seq.map((s) => s.slice(0, 16));
      const targets = seq.map((s) => s.slice(1));
      const first = model.trainStep(ids, targets, { lr: 0.02 }).loss;
      let last = first;
      for (let i = 0; i < 200; i++) last = model.trainStep(ids, targets, { lr: 0.02 }).loss;
      expect(last).toBeLessThan(0.1 * first);
    } finally {
      model.dispose();
    }
  });

  it('counts only response targets in SFT: a prompt-only target does not change the loss', async () => {
    const config = tinyTrainConfig(dataDir, join(root, 'mask'));
    const data = readDataDir(dataDir);
    const { tokenizer } = await ensureTokenizer(config, data);
    const stage = new StageData(data, tokenizer, { stage: 'sft', seqLen: 96, seed: 3, validationFraction: 0 });
    const row = stage.epochRows(0)[0]!;
    const firstCounted = row.mask.indexOf(1);
    expect(firstCounted).toBeGreaterThan(3);
    expect(row.mask.slice(firstCounted).every((m) => m === 1)).toBe(true);
    const modelConfig = makeConfig({ ...config.model, vocabSize: tokenizer.vocabSize });
    const model = new GptModel(modelConfig, initWeights(modelConfig, 1));
    try {
      const loss = (targets: number[]): number => model.loss([row.ids], [targets], [row.mask]).arraySync();
      const changed = [...row.targets];
      changed[1] = (changed[1]! + 7) % tokenizer.vocabSize;
      expect(loss(changed)).toBe(loss(row.targets));
      const responseChanged = [...row.targets];
      responseChanged[firstCounted] = (responseChanged[firstCounted]! + 7) % tokenizer.vocabSize;
      expect(loss(responseChanged)).not.toBe(loss(row.targets));
    } finally {
      model.dispose();
    }
  });

  it('holds out whole episodes for validation', async () => {
    const config = tinyTrainConfig(dataDir, join(root, 'split'));
    const data = readDataDir(dataDir);
    const { tokenizer } = await ensureTokenizer(config, data);
    const stage = new StageData(data, tokenizer, { stage: 'sft', seqLen: 96, seed: 3, validationFraction: 0.2 });
    const c = stage.counts;
    expect(c.trainEpisodes + c.validationEpisodes).toBe(6);
    expect(c.validationEpisodes).toBeGreaterThanOrEqual(1);
    expect([c.trainSequences, c.validationSequences, c.dropped]).toEqual([2 * c.trainEpisodes, 2 * c.validationEpisodes, 0]);
    // Both stages hold out the same episodes: SFT validation episodes were not in the pretraining corpus either.
    const pre = new StageData(data, tokenizer, { stage: 'pretrain', seqLen: 24, seed: 3, validationFraction: 0.2 });
    expect(pre.counts.validationEpisodes).toBe(c.validationEpisodes);
    const held = validationEpisodes(data.examples.map((e) => `${e.family}:${e.seed}`), 0.2, 3);
    expect(validationEpisodes(data.passages.map((p) => p.episode), 0.2, 3)).toEqual(held);
    // Examples longer than seqLen are dropped whole (never cropped) and counted.
    const lengths = data.examples.map((e) => encodeExample(tokenizer, e.prompt, e.response).ids.length - 1).sort((x, y) => x - y);
    const seqLen = lengths[Math.floor(lengths.length / 2)]!;
    const short = new StageData(data, tokenizer, { stage: 'sft', seqLen, seed: 3, validationFraction: 0 });
    expect(short.counts.dropped).toBe(lengths.filter((n) => n > seqLen).length);
    expect(short.counts.dropped).toBeGreaterThan(0);
    expect(short.epochRows(0).every((r) => r.ids.length <= seqLen && r.ids[0] === tokenizer.id('<bos>'))).toBe(true);
    expect(short.counts.shortened).toBe(0);
    // Or shortened as the planner shortens a prompt, oldest History line first, and dropped only when that is not enough.
    const fitted = new StageData(data, tokenizer, { stage: 'sft', seqLen, longExamples: 'shorten-history', seed: 3, validationFraction: 0 });
    expect(fitted.counts.shortened).toBeGreaterThan(0);
    expect(fitted.counts.shortened + fitted.counts.dropped).toBe(short.counts.dropped);
    expect(fitted.counts.trainSequences).toBe(short.counts.trainSequences + fitted.counts.shortened);
    expect(fitted.epochRows(0).every((r) => r.ids.length <= seqLen)).toBe(true);
  });

  it('holds out the visits of a shared house together (memory data), read from sft.jsonl', async () => {
    const houseDir = join(root, 'houses');
    mkdirSync(houseDir, { recursive: true });
    // 6 houses x 4 visits, one example each, that carry their house; and the base examples, which carry none.
    const visits = Array.from({ length: 24 }, (_, seed) => ({ ...data0().examples[0]!, family: 'revisit', seed, step: 1, house: `revisit-house-${Math.floor(seed / 4)}` }));
    writeFileSync(join(houseDir, 'sft.jsonl'), visits.map((v) => `${JSON.stringify(v)}\n`).join(''));
    const read = readSftExamples(houseDir);
    expect(read.map((e) => e.house)).toEqual(visits.map((v) => v.house));
    const data = { ...data0(), examples: [...data0().examples, ...read] };
    const { tokenizer } = await ensureTokenizer(tinyTrainConfig(dataDir, join(root, 'houses-run')), data0());
    const stage = new StageData(data, tokenizer, { stage: 'dagger2', seqLen: 96, seed: 3, validationFraction: 0.3 });
    // 6 base episodes and 6 houses: a house counts once, whichever side it falls on.
    expect(stage.counts.trainEpisodes + stage.counts.validationEpisodes).toBe(12);
    const held = validationEpisodes(data.examples.map(episodeKey), 0.3, 3);
    const heldHouses = [...held].filter((k) => k.startsWith('revisit-house-'));
    expect(heldHouses.length).toBeGreaterThan(0);
    expect(stage.counts.validationSequences).toBe(data.examples.filter((e) => held.has(episodeKey(e))).length);
  });

  it('resumes exactly: 3 steps + interrupt + resume equals 6 straight steps', async () => {
    const straight = tinyTrainConfig(dataDir, join(root, 'straight'));
    const a = await trainStage({ config: straight, stage: 'pretrain' });
    expect(a).toMatchObject({ status: 'done', step: 6 });

    const split = tinyTrainConfig(dataDir, join(root, 'split-run'));
    const controller = new AbortController();
    const b1 = await trainStage({ config: split, stage: 'pretrain', signal: controller.signal, onProgress: (p) => p.step === 3 && controller.abort() });
    expect(b1).toMatchObject({ status: 'interrupted', step: 3 });
    await expect(trainStage({ config: split, stage: 'pretrain' })).rejects.toThrow(/--resume/);
    const b2 = await trainStage({ config: split, stage: 'pretrain', resume: true });
    expect(b2).toMatchObject({ status: 'done', step: 6 });

    const wa = (await loadCheckpoint(modelPath(straight.out, 'pretrain'))).tensors;
    const wb = (await loadCheckpoint(modelPath(split.out, 'pretrain'))).tensors;
    expect([...wb.keys()]).toEqual([...wa.keys()]);
    for (const [name, t] of wa) expect(Buffer.from(wb.get(name)!.data.buffer).equals(Buffer.from(t.data.buffer)), name).toBe(true);
    const csv = (out: string): string[] => readFileSync(join(out, 'pretrain-loss.csv'), 'utf8').split('\n').map((l) => l.split(',').filter((_, i) => i !== 3).join(','));
    expect(csv(split.out)).toEqual(csv(straight.out));
  });

  it('takes a finished stage kept as its model file alone as done with --resume, and only that stage of that config', async () => {
    const config = tinyTrainConfig(dataDir, join(root, 'kept'));
    const first = await trainStage({ config, stage: 'pretrain' });
    const file = modelPath(config.out, 'pretrain');
    const bytes = readFileSync(file);
    rmSync(join(config.out, 'pretrain.state.safetensors'));
    const starts: string[] = [];
    const kept = await trainStage({ config, stage: 'pretrain', resume: true, onStart: (i) => starts.push(i.init) });
    expect(kept).toMatchObject({ status: 'done', step: 6, steps: 6, trainSeconds: first.trainSeconds, counts: first.counts });
    // The losses as the CSV has them (six significant digits).
    expect(kept.loss).toBeCloseTo(first.loss, 4);
    expect(kept.valLoss).toBeCloseTo(first.valLoss, 4);
    expect(kept.tokensPerSec).toBeNaN();
    expect(starts).toEqual([]);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    // Another step count, or another config, is not that stage: it trains anew (and without --resume, always).
    const more = await trainStage({ config, stage: 'pretrain', resume: true, steps: 2, onStart: (i) => starts.push(i.init) });
    expect(more).toMatchObject({ status: 'done', step: 2 });
    expect(starts).toEqual(['scratch']);
    rmSync(join(config.out, 'pretrain.state.safetensors'));
    const other = tinyTrainConfig(dataDir, join(root, 'kept'), { seed: 4 });
    await trainStage({ config: other, stage: 'pretrain', resume: true, steps: 2, onStart: (i) => starts.push(i.init) });
    expect(starts).toEqual(['scratch', 'scratch']);
  });

  it('writes a loadable model with metadata, the CSV with onEvaluate metrics, the SVG; SFT starts from pretraining', async () => {
    const config = tinyTrainConfig(dataDir, join(root, 'full'));
    await trainStage({ config, stage: 'pretrain', steps: 2 });
    const calls: number[] = [];
    const inits: string[] = [];
    const r = await trainStage({
      config,
      stage: 'sft',
      onStart: (i) => inits.push(i.init),
      onEvaluate: async (path, step) => {
        calls.push(step);
        await loadPlannerModel(path);
        return { success: step / 10 };
      },
    });
    expect(r.status).toBe('done');
    expect(inits).toEqual(['pretrained']);
    expect(calls).toEqual([3, 6]);
    const file = await loadPlannerModel(modelPath(config.out, 'sft'));
    expect(file.metadata[META.stage]).toBe('sft');
    expect(file.metadata[META.steps]).toBe('6');
    expect(JSON.parse(file.metadata[META.data]!)).toMatchObject({ trainEpisodes: 6 - validationEpisodes(data0().examples.map((e) => `${e.family}:${e.seed}`), 0.2, 3).size, dropped: 0 });
    const csv = readFileSync(join(config.out, 'sft-loss.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('step,lr,train_loss,tokens_per_s,val_loss,success');
    expect(csv).toHaveLength(7);
    expect(csv[3]).toMatch(/^3,[^,]+,[^,]+,\d*,[\d.]+,0\.3$/);
    expect(readFileSync(join(config.out, 'sft-loss.svg'), 'utf8')).toMatch(/^<svg [\s\S]*<path [\s\S]*<\/svg>\n$/);

    const scratch = tinyTrainConfig(dataDir, join(root, 'full'), { sft: { ...config.sft, init: 'scratch', steps: 1, warmupSteps: 0 } });
    rmSync(join(config.out, 'sft.state.safetensors'));
    await trainStage({ config: scratch, stage: 'sft', onStart: (i) => inits.push(i.init) });
    expect(inits).toEqual(['pretrained', 'scratch']);
  });

  it('dagger: starts from the SFT model, adds the student examples, and is what gets exported', async () => {
    const out = join(root, 'dagger');
    const studentDir = join(root, 'student');
    mkdirSync(studentDir, { recursive: true });
    // The student's episodes: the base examples again under seeds the base data does not have.
    const student = data0().examples.map((e) => JSON.stringify({ ...e, seed: e.seed + 100 }));
    writeFileSync(join(studentDir, 'sft.jsonl'), student.map((l) => `${l}\n`).join(''));
    const base = tinyTrainConfig(dataDir, out);
    const config = tinyTrainConfig(dataDir, out, { dagger: { ...base.sft, steps: 2, student: { dir: studentDir, episodes: 2, start: 100, rate: 0.5 } } });
    // Student prompts in another format than the base data's are refused.
    writeFileSync(join(studentDir, 'manifest.json'), JSON.stringify({ version: 5, promptFormat: 2 }));
    await expect(trainStage({ config, stage: 'dagger' })).rejects.toThrow(/student: its prompts are in format 2, those of .* in format 1/);
    writeFileSync(join(studentDir, 'manifest.json'), JSON.stringify({ version: 1 }));
    await expect(trainStage({ config, stage: 'dagger' })).rejects.toThrow(/train the sft stage first/);
    await trainStage({ config, stage: 'sft', steps: 2 });
    const inits: string[] = [];
    const r = await trainStage({ config, stage: 'dagger', onStart: (i) => inits.push(i.init) });
    expect(inits).toEqual(['sft']);
    expect(r).toMatchObject({ status: 'done', step: 2 });
    const sftCounts = JSON.parse((await loadPlannerModel(modelPath(out, 'sft'))).metadata[META.data]!) as { trainEpisodes: number; validationSequences: number };
    const daggerModel = await loadPlannerModel(modelPath(out, 'dagger'));
    const daggerCounts = JSON.parse(daggerModel.metadata[META.data]!) as { trainEpisodes: number; validationSequences: number };
    expect(daggerCounts.trainEpisodes + daggerCounts.validationSequences / 2).toBe(12);
    expect(daggerCounts.trainEpisodes).toBeGreaterThan(sftCounts.trainEpisodes);

    const dest = join(root, 'shipped');
    await exportPlanner(config, dest);
    const shipped = await loadPlannerModel(join(dest, 'planner.safetensors'));
    expect(shipped.metadata[META.stage]).toBe('dagger');
    // The model says which prompt format it reads: that of its data (this directory's manifest names none: 1).
    expect(shipped.metadata[META.promptFormat]).toBe('1');
    for (const [name, t] of daggerModel.weights) expect(shipped.weights.get(name)!.data).toEqual(t.data);
    for (const f of ['sft-loss.csv', 'dagger-loss.csv', 'dagger-loss.svg']) expect(readFileSync(join(dest, f), 'utf8').length).toBeGreaterThan(0);

    // A second round: it starts from the dagger model and trains on the student data of both rounds.
    const studentDir2 = join(root, 'student2');
    mkdirSync(studentDir2, { recursive: true });
    writeFileSync(join(studentDir2, 'sft.jsonl'), data0().examples.map((e) => `${JSON.stringify({ ...e, seed: e.seed + 200 })}\n`).join(''));
    writeFileSync(join(studentDir2, 'manifest.json'), JSON.stringify({ version: 1 }));
    const twoRounds = tinyTrainConfig(dataDir, out, {
      dagger: config.dagger,
      dagger2: { ...base.sft, steps: 2, student: [{ dir: studentDir2, episodes: 2, start: 200, rate: 0.8, families: ['goto'] }] },
    });
    const r2 = await trainStage({ config: twoRounds, stage: 'dagger2', steps: 0, onStart: (i) => inits.push(i.init) });
    expect(inits).toEqual(['sft', 'dagger']);
    expect(r2).toMatchObject({ status: 'done', step: 0 });
    const round2 = await loadPlannerModel(modelPath(out, 'dagger2'));
    // No step taken: the round's model is the dagger model it started from.
    for (const [name, t] of daggerModel.weights) expect(round2.weights.get(name)!.data).toEqual(t.data);
    const round2Counts = JSON.parse(round2.metadata[META.data]!) as { trainEpisodes: number; validationSequences: number };
    expect(round2Counts.trainEpisodes + round2Counts.validationSequences / 2).toBe(18);
    rmSync(join(out, 'dagger2.state.safetensors'));
    await trainStage({ config: twoRounds, stage: 'dagger2' });
    await exportPlanner(twoRounds, dest);
    expect((await loadPlannerModel(join(dest, 'planner.safetensors'))).metadata[META.stage]).toBe('dagger2');
    expect(readFileSync(join(dest, 'dagger2-loss.csv'), 'utf8').length).toBeGreaterThan(0);

    // A third round that trains on its own student data only (aggregate 'this-round'): it starts from the dagger2
    // model, and its data is the base examples and this round's batch (6 + 6 episodes; all rounds would be 24).
    const studentDir3 = join(root, 'student3');
    mkdirSync(studentDir3, { recursive: true });
    writeFileSync(join(studentDir3, 'sft.jsonl'), data0().examples.map((e) => `${JSON.stringify({ ...e, seed: e.seed + 300 })}\n`).join(''));
    writeFileSync(join(studentDir3, 'manifest.json'), JSON.stringify({ version: 1 }));
    const threeRounds = tinyTrainConfig(dataDir, out, {
      ...twoRounds,
      dagger3: { ...base.sft, steps: 2, aggregate: 'this-round', student: { dir: studentDir3, episodes: 2, start: 300, rate: 0.5 } },
    });
    await trainStage({ config: threeRounds, stage: 'dagger3', steps: 0, onStart: (i) => inits.push(i.init) });
    expect(inits).toEqual(['sft', 'dagger', 'dagger2']);
    const round3 = await loadPlannerModel(modelPath(out, 'dagger3'));
    const round3Counts = JSON.parse(round3.metadata[META.data]!) as { trainEpisodes: number; validationSequences: number };
    expect(round3Counts.trainEpisodes + round3Counts.validationSequences / 2).toBe(12);
    // The file records the stages before it, so a card can describe them when their files are gone.
    const lineage = lineageOf(round3.metadata);
    expect(lineage.map((r) => r.stage).slice(-3)).toEqual(['sft', 'dagger', 'dagger2']);
    const finalRound2 = await loadPlannerModel(modelPath(out, 'dagger2'));
    expect(lineage.at(-1)).toEqual({ stage: 'dagger2', steps: finalRound2.metadata[META.steps], trainSeconds: finalRound2.metadata[META.trainSeconds], data: finalRound2.metadata[META.data] });
    expect(lineageOf(finalRound2.metadata).map((r) => r.stage).slice(-2)).toEqual(['sft', 'dagger']);
    // A damaged lineage is a clear error, not a crash in JSON.parse.
    expect(() => lineageOf({ [META.lineage]: '[{' })).toThrow(/lineage metadata is not JSON/);
    expect(() => lineageOf({ [META.lineage]: '[{"stage": 3}]' })).toThrow(/not a list of stage records/);
  });
});
