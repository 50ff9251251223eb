import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configuredStages, loadTrainConfig, parseTrainConfig, stageBefore, stageConfigOf, studentDirs, TrainConfigError } from '../../../agent/lm/train/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'umwelt-train-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const stage = { steps: 10, batchSize: 2, seqLen: 32, lr: 1e-3 };
const good = { dataDir: 'd', out: 'o', tokenizer: { vocabSize: 512 }, model: { context: 64, dModel: 32, heads: 4, layers: 2 }, pretrain: stage, sft: stage };

function errorOf(value: unknown): TrainConfigError {
  try {
    parseTrainConfig(value, 'cfg.json');
  } catch (e) {
    if (e instanceof TrainConfigError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('training config', () => {
  it('fills defaults', () => {
    const c = parseTrainConfig(good, 'cfg.json');
    expect(c.model.positions).toBe('rope');
    expect(c.pretrain).toMatchObject({ schedule: 'cosine', warmupSteps: 0, minLr: 0, clipNorm: 1, init: 'pretrained' });
    expect(c.workers).toBe(1);
  });

  it('names the file and the bad field', () => {
    expect(errorOf({ ...good, pretrain: { ...stage, lr: -1 } })).toMatchObject({ file: 'cfg.json', field: 'pretrain.lr' });
    expect(errorOf({ ...good, sft: { ...stage, schedule: 'linear' } }).field).toBe('sft.schedule');
    expect(errorOf({ ...good, model: { ...good.model, heads: 3 } }).field).toBe('model.heads');
    expect(errorOf({ ...good, sft: { ...stage, seqLen: 65 } }).field).toBe('sft.seqLen');
    expect(errorOf({ ...good, pretrain: { ...stage, warmupSteps: 11 } }).field).toBe('pretrain.warmupSteps');
    expect(errorOf({ ...good, pretrain: { ...stage, minLr: 1 } }).field).toBe('pretrain.minLr');
    expect(errorOf({ ...good, extra: 1 }).message).toMatch(/^cfg\.json: /);
    const { dataDir: _dataDir, ...noData } = good;
    expect(errorOf(noData).field).toBe('dataDir');
  });

  it('has a dagger stage only when configured, with its student data', () => {
    expect(configuredStages(parseTrainConfig(good, 'cfg.json'))).toEqual(['pretrain', 'sft']);
    expect(() => stageConfigOf(parseTrainConfig(good, 'cfg.json'), 'dagger', 'cfg.json')).toThrow(/cfg\.json: dagger: this config has no dagger stage/);
    const student = { dir: 'data/student', episodes: 10, start: 160, rate: 0.5 };
    const c = parseTrainConfig({ ...good, dagger: { ...stage, student } }, 'cfg.json');
    expect(configuredStages(c)).toEqual(['pretrain', 'sft', 'dagger']);
    expect(stageConfigOf(c, 'dagger', 'cfg.json')).toMatchObject({ steps: 10, schedule: 'cosine' });
    expect(c.dagger?.student).toEqual(student);
    expect(errorOf({ ...good, dagger: stage }).field).toBe('dagger.student');
    expect(errorOf({ ...good, dagger: { ...stage, student: { ...student, rate: 2 } } }).field).toBe('dagger.student.rate');
    expect(errorOf({ ...good, dagger: { ...stage, seqLen: 65, student } }).field).toBe('dagger.seqLen');
  });

  it('has a second DAgger round after the first, training on the student data of both', () => {
    const first = { dir: 'data/student', episodes: 10, start: 160, rate: 0.5 };
    const second = [
      { dir: 'data/student2a', episodes: 30, start: 280, rate: 0.8, families: ['rearrange', 'chain'] },
      { dir: 'data/student2b', episodes: 5, start: 280, rate: 0.8 },
    ];
    const c = parseTrainConfig({ ...good, dagger: { ...stage, student: first }, dagger2: { ...stage, student: second } }, 'cfg.json');
    expect(configuredStages(c)).toEqual(['pretrain', 'sft', 'dagger', 'dagger2']);
    expect(studentDirs(c, 'sft')).toEqual([]);
    expect(studentDirs(c, 'dagger')).toEqual(['data/student']);
    expect(studentDirs(c, 'dagger2')).toEqual(['data/student', 'data/student2a', 'data/student2b']);
    expect(errorOf({ ...good, dagger2: { ...stage, student: first } })).toMatchObject({ field: 'dagger2', message: expect.stringMatching(/needs a dagger stage/) as unknown });
    expect(errorOf({ ...good, dagger: { ...stage, student: first }, dagger2: { ...stage, student: [] } }).field).toMatch(/^dagger2\.student/);
    expect(errorOf({ ...good, dagger: { ...stage, student: first }, dagger2: { ...stage, student: [{ ...first, families: [] }] } }).field).toMatch(/^dagger2\.student/);
  });

  it('has a third round after the second, aggregating every round or only its own', () => {
    const part = (dir: string): { dir: string; episodes: number; start: number; rate: number } => ({ dir, episodes: 2, start: 0, rate: 0.5 });
    const two = { ...good, dagger: { ...stage, student: part('d1') }, dagger2: { ...stage, student: part('d2') } };
    const all = parseTrainConfig({ ...two, dagger3: { ...stage, student: part('d3') } }, 'cfg.json');
    expect(configuredStages(all)).toEqual(['pretrain', 'sft', 'dagger', 'dagger2', 'dagger3']);
    expect(all.dagger3?.aggregate).toBe('all-rounds');
    expect(studentDirs(all, 'dagger3')).toEqual(['d1', 'd2', 'd3']);
    const own = parseTrainConfig({ ...two, dagger3: { ...stage, student: part('d3'), aggregate: 'this-round' } }, 'cfg.json');
    expect(studentDirs(own, 'dagger3')).toEqual(['d3']);
    expect(studentDirs(own, 'dagger2')).toEqual(['d1', 'd2']);
    expect(studentDirs(own, 'sft')).toEqual([]);
    expect(stageBefore('dagger3')).toBe('dagger2');
    expect(errorOf({ ...good, dagger: two.dagger, dagger3: { ...stage, student: part('d3') } })).toMatchObject({ field: 'dagger3', message: expect.stringMatching(/needs a dagger2 stage/) as unknown });
    expect(errorOf({ ...two, dagger3: { ...stage, student: part('d3'), aggregate: 'some' } }).field).toBe('dagger3.aggregate');
  });

  it('reports unreadable and non-JSON files', () => {
    expect(() => loadTrainConfig(join(dir, 'missing.json'))).toThrow(/missing\.json: no such config file/);
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    expect(() => loadTrainConfig(join(dir, 'bad.json'))).toThrow(/bad\.json: not JSON/);
  });

  it('accepts the shipped planner config', () => {
    const c = loadTrainConfig('models/planner/train.json');
    expect(c.model).toMatchObject({ dModel: 128, heads: 4, layers: 4, context: 384, positions: 'rope' });
    expect(c.tokenizer.vocabSize).toBe(1024);
  });
});
