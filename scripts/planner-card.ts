// Writes the shipped planner's model card (models/planner/README.md) and the numbers the CI test holds it to
// (models/planner/card.json) from what was measured: the evaluation reports of `umwelt eval --planner lm` on the
// test scenario, the held-out scenario, the int8 model and the smoke scenario, the model files' metadata (config,
// training steps and seconds per stage, data counts) and the loss CSVs. Nothing in the card is typed by hand.
//
//   npx tsx scripts/planner-card.ts --test R.json --heldout R.json --int8 R.json --smoke R.json
//     [--compare DIR]
//     [--free-test R.json --free-heldout R.json] [--agreement A.json [--previous-agreement A.json]] [--memory R.json]
//     [--unguarded-test R.json --unguarded-heldout R.json --unguarded-memory R.json]
//     [--reproduction FILE --reproduction-test R.json --reproduction-heldout R.json
//       [--within-90-test R.json --within-90-heldout R.json]] [--versus V.json]
//     [--dir models/planner]
// --free-*: the same model's reports from decoding with a free thought (`--no-thought-rules`: none of the rules of
// agent/planners/thought-marks.ts), for the comparison of the two decodings on the same episodes. --agreement: scripts/planner-agreement.ts --json of
// this model (and of the planner the card before measured: an older model, or this one decoding under older rules),
// where each parts from the oracle. --memory: the report of the memory
// suite (scenes/scenarios/memory.json --planner lm), the planner with and without a memory on the same visits.
// --unguarded-*: the same model's reports under --no-loop-guard (agent/planners/loop-guard.ts), on the same episodes.
// --compare: the pretraining comparison's directory (runs/compare): pretrained/ and scratch/, the SFT stages of
// models/planner/compare-pretrained.json and compare-scratch.json (their model files and loss CSVs), and
// eval-pretrained/ and eval-scratch/, their `umwelt eval` of the test split. Its summary is kept as compare.json
// beside the card; without --compare, the card reports the kept one and says what data it was measured on
// (scripts/pretraining-comparison.ts). --reproduction: the last stage's model file of a from-scratch run of the recipe
// (`npm run train:planner`; its loss CSVs beside it) and its reports on the test and held-out episodes, for a model
// whose own early stages are not known here or that the run did not reproduce; --within-90-*: the reports of the
// model of the last stage that run finished within 90 minutes. --versus: scripts/models-versus.ts --json with this
// model as --after and another (the model it replaces, or the from-scratch run's) as --before, on the same episodes.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeCheckpoint } from '../agent/lm/checkpoint.ts';
import { parameterCount, type ModelConfig } from '../agent/lm/config.ts';
import { DAGGER_STAGES, parseTrainConfig, studentParts, type DaggerStage } from '../agent/lm/train/config.ts';
import { lineageAfter, lineageOf, META } from '../agent/lm/train/files.ts';
import { EvalReportSchema, type EvalReport, type GroupSummary } from '../eval/report-schema.ts';
import { VersusSchema, type Versus } from './models-versus.ts';
import { COMPARISON_FILE, loadComparison, measureComparison, scenarioPath, type ComparisonArm } from './pretraining-comparison.ts';

const { values } = parseArgs({
  options: {
    test: { type: 'string' },
    heldout: { type: 'string' },
    int8: { type: 'string' },
    smoke: { type: 'string' },
    compare: { type: 'string' },
    'free-test': { type: 'string' },
    'free-heldout': { type: 'string' },
    agreement: { type: 'string' },
    'previous-agreement': { type: 'string' },
    memory: { type: 'string' },
    'unguarded-test': { type: 'string' },
    'unguarded-heldout': { type: 'string' },
    'unguarded-memory': { type: 'string' },
    versus: { type: 'string' },
    reproduction: { type: 'string' },
    'reproduction-test': { type: 'string' },
    'reproduction-heldout': { type: 'string' },
    'within-90-test': { type: 'string' },
    'within-90-heldout': { type: 'string' },
    dir: { type: 'string', default: 'models/planner' },
  },
  strict: true,
});
const need = (name: 'test' | 'heldout' | 'int8' | 'smoke'): string => {
  const v = values[name];
  if (v === undefined) throw new Error(`--${name} REPORT.json is required`);
  return v;
};
const dir = values.dir ?? 'models/planner';
const report = (path: string): EvalReport => EvalReportSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
const test = report(need('test'));
const heldout = report(need('heldout'));
const int8 = report(need('int8'));
const smoke = report(need('smoke'));
// The pretraining comparison: measured now from its run directory (--compare), or the one kept beside the card.
const compare = values.compare === undefined ? loadComparison(dir) : measureComparison(values.compare, dir);
const compareKept = values.compare === undefined;
const freeTest = values['free-test'] === undefined ? null : report(values['free-test']);
const freeHeldout = values['free-heldout'] === undefined ? null : report(values['free-heldout']);
const memorySuite = values.memory === undefined ? null : report(values.memory);
// The loop guard's comparison: the same model's reports under `--no-loop-guard`, on the same episodes.
const unguarded = {
  test: values['unguarded-test'] === undefined ? null : report(values['unguarded-test']),
  heldout: values['unguarded-heldout'] === undefined ? null : report(values['unguarded-heldout']),
  memory: values['unguarded-memory'] === undefined ? null : report(values['unguarded-memory']),
};
/** The lm arms of a memory-suite report: without and with a memory. */
const memoryArms = (r: EvalReport): { without: GroupSummary; withMemory: GroupSummary } => {
  const without = r.overall.find((g) => g.planner === 'lm');
  const withMemory = r.overall.find((g) => g.planner === 'lm+memory');
  if (without === undefined || withMemory === undefined) throw new Error(`${r.source.path}: the memory report needs the arms lm and lm+memory`);
  return { without, withMemory };
};
interface Agreement {
  checkpoint: string;
  episodes: number;
  successes: number;
  kinds: Record<string, { states: number; agree: number; firstDisagreement: number }>;
}
const agreementOf = (path: string | undefined): Agreement | null => (path === undefined ? null : (JSON.parse(readFileSync(path, 'utf8')) as Agreement));
const agreement = agreementOf(values.agreement);
// A from-scratch run of the recipe: its last model file (lineage, config) and its reports on the card's episodes.
const reproduction = (() => {
  const file = values.reproduction;
  if (file === undefined) return null;
  const test = values['reproduction-test'];
  const heldout = values['reproduction-heldout'];
  if (test === undefined || heldout === undefined) throw new Error('--reproduction needs --reproduction-test and --reproduction-heldout');
  const metadata = decodeCheckpoint(new Uint8Array(readFileSync(file))).metadata;
  // The reports of the model of the last stage the run finished within 90 minutes, when measured.
  const withinTest = values['within-90-test'];
  const withinHeldout = values['within-90-heldout'];
  if ((withinTest === undefined) !== (withinHeldout === undefined)) throw new Error('--within-90-test and --within-90-heldout go together');
  const within = withinTest === undefined || withinHeldout === undefined ? null : { test: report(withinTest), heldout: report(withinHeldout) };
  return { file, metadata, test: report(test), heldout: report(heldout), within };
})();
const versus: Versus | null = values.versus === undefined ? null : VersusSchema.parse(JSON.parse(readFileSync(values.versus, 'utf8')));
const previousAgreement = agreementOf(values['previous-agreement']);

const model = decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'planner.safetensors'))));
const meta = model.metadata;
const config = JSON.parse(meta[META.config] ?? '{}') as ModelConfig;
const promptFormat = meta[META.promptFormat] ?? '1';
// The pretraining stage's file stays in the run directory (relative to the repository root, where this runs).
const trainConfig = JSON.parse(meta[META.trainConfig] ?? '{}') as { out?: string; dataDir?: string };
const trainOut = trainConfig.out;
// What the shipped file's lineage records of a stage, or else that stage's model file in the run directory. A file
// there that disagrees with the lineage (another run since, in the same directory) is not this model's stage.
const lineage = lineageOf(meta);
const stageMeta = (stage: string): Record<string, string> | null => {
  const record = lineage.find((r) => r.stage === stage);
  if (record !== undefined) return { [META.stage]: record.stage, [META.steps]: record.steps, [META.trainSeconds]: record.trainSeconds, [META.data]: record.data };
  try {
    if (trainOut !== undefined) return decodeCheckpoint(new Uint8Array(readFileSync(join(trainOut, `${stage}.safetensors`)))).metadata;
  } catch {
    // Not there either.
  }
  return null;
};
const pretrainMeta = stageMeta('pretrain');
// The shipped file is the last stage's: with DAgger rounds, the SFT stage's file (and the earlier rounds') stay in
// the run directory.
const shippedStage = meta[META.stage] ?? 'sft';
const sftMeta = shippedStage === 'sft' ? meta : stageMeta('sft');
const shippedRounds = DAGGER_STAGES.slice(0, (DAGGER_STAGES as readonly string[]).indexOf(shippedStage) + 1);
/** The DAgger rounds the shipped model went through, each with its model file's metadata. */
const rounds = shippedRounds.map((stage) => ({ stage, meta: stage === shippedStage ? meta : stageMeta(stage) }));

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const ci = (g: GroupSummary): string => `${pct(g.successRate)} [${pct(g.successCi95.low)}, ${pct(g.successCi95.high)}]`;
const lm = (r: EvalReport): GroupSummary => {
  const g = r.overall.find((o) => o.planner === 'lm');
  if (!g) throw new Error(`${r.source.path}: no lm planner in the report`);
  return g;
};
const family = (r: EvalReport, f: string): GroupSummary | undefined => r.byFamily.find((g) => g.planner === 'lm' && g.family === f);
const meanOverFamilies = (r: EvalReport): number => {
  const groups = r.byFamily.filter((g) => g.planner === 'lm');
  return groups.reduce((s, g) => s + g.successRate, 0) / Math.max(1, groups.length);
};
const lastLoss = (stage: string, csvDir = dir): { step: number; loss: number; val: number } | null => {
  try {
    const rows = readFileSync(join(csvDir, `${stage}-loss.csv`), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    const last = rows[rows.length - 1];
    const lastVal = [...rows].reverse().find((r) => r[4] !== undefined && r[4] !== '');
    return last ? { step: Number(last[0]), loss: Number(last[2]), val: Number(lastVal?.[4] ?? NaN) } : null;
  } catch {
    return null;
  }
};
/** The rows of a loss CSV that carry an evaluation: step, validation loss, sim success (and mean steps). */
const evaluations = (stage: string, csvDir = dir): { step: number; val: number; success: number | null }[] => {
  try {
    const rows = readFileSync(join(csvDir, `${stage}-loss.csv`), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    return rows
      .filter((r) => r[4] !== undefined && r[4] !== '')
      .map((r) => ({ step: Number(r[0]), val: Number(r[4]), success: r[6] === undefined || r[6] === '' ? null : Number(r[6]) }));
  } catch {
    return [];
  }
};
const mb = (file: string): string => `${(statSync(join(dir, file)).size / 1e6).toFixed(2)} MB`;
// The data directory's manifest, when it is still there (it is not shipped: `npm run train:planner` remakes it).
const manifest = (() => {
  try {
    return JSON.parse(readFileSync(join(trainConfig.dataDir ?? 'data/train', 'manifest.json'), 'utf8')) as { episodesPerFamily?: number; counts?: Record<string, number> };
  } catch {
    return null;
  }
})();
const seconds = (m: Record<string, string> | null): string => (m?.[META.trainSeconds] === undefined ? '-' : `${Math.round(Number(m[META.trainSeconds]))} s`);

const t = lm(test);
const h = lm(heldout);
const q = lm(int8);
const s = lm(smoke);
const testMean = meanOverFamilies(test);
const heldoutMean = meanOverFamilies(heldout);
const pre = lastLoss('pretrain');
const sft = lastLoss('sft');
// The config the shipped model was trained with, as its file records it.
const shippedTrainConfig = parseTrainConfig(JSON.parse(meta[META.trainConfig] ?? '{}'), `${join(dir, 'planner.safetensors')} (its training config)`);
const roundText = (round: { stage: DaggerStage; meta: Record<string, string> | null }, i: number): string => {
  const parts = studentParts(shippedTrainConfig, round.stage)
    .map(
      (p) =>
        `${p.episodes} new train seeds per family of ${p.families?.join(', ') ?? 'every family'} (from index ${p.start}${p.memoryMode === 'prompt' ? ', the visits of each house with one memory in the prompt' : ''}), acting itself at ${pct(p.rate)} of the steps`,
    )
    .join('; ');
  const c = countsOf(round.meta);
  const what = shippedTrainConfig[round.stage]?.aggregate === 'this-round' ? 'the instruction examples and the student data of this round only' : 'the instruction examples and the student data of every round so far';
  const trained =
    round.meta === null
      ? `the stage trained on ${what} (its model file is not in ${trainOut ?? 'the run directory'}, so its counts are not known here)`
      : `the stage trained on ${String(c.trainSequences)} examples from ${String(c.trainEpisodes)} episodes (${what}; validation ${String(c.validationSequences)} examples from ${String(c.validationEpisodes)} episodes)`;
  return ` Then DAgger round ${i + 1} (${round.stage}): the ${i === 0 ? 'SFT' : `round-${i}`} model played ${parts}, the oracle labelling every state; ${trained}.`;
};
const sftText = (): string =>
  sftMeta === null
    ? ` The SFT stage's model file is not in ${trainOut ?? 'the run directory'}, so its counts are not known here.`
    : ` SFT used ${String(countsOf(sftMeta).trainSequences)} examples from ${String(countsOf(sftMeta).trainEpisodes)} episodes and validated on ${String(countsOf(sftMeta).validationSequences)} from ${String(countsOf(sftMeta).validationEpisodes)} other episodes.`;
const countsOf = (m: Record<string, string> | null): Record<string, unknown> => JSON.parse(m?.[META.data] ?? '{}') as Record<string, unknown>;
const target = (ok: boolean): string => (ok ? 'met' : '**not met**');
const int8Cost = (loss: number): string =>
  loss > 0
    ? `int8 costs ${pct(loss)} of success on the same episodes.`
    : loss === 0
      ? 'int8 succeeds exactly as often on the same episodes.'
      : `int8 loses no success on the same episodes (${pct(-loss)} more, within noise).`;

const allMet = testMean >= 0.95 && heldoutMean >= 0.85 && t.spl >= 0.8 && t.latencyMs.p95 <= 50;
const lines: string[] = [
  '# The shipped planner model',
  '',
  allMet
    ? '**Status: meets its targets.**'
    : `**Status: below its targets** (success ${pct(testMean)} averaged over families on test seeds, against 95%); see the learning curves below.`,
  '',
  `A GPT trained in this project (\`npm run train:planner\`), run by \`--planner lm\`. ${parameterCount(config).toLocaleString('en')} parameters: d ${config.dModel}, ${config.heads} heads, ${config.layers} layers, ${config.positions} positions, context ${config.context}, a ${config.vocabSize}-token word-level vocabulary with byte fallback. It reads prompt format ${promptFormat} (agent/prompt-format.ts).`,
  '',
  `Files: \`planner.safetensors\` (F32, ${mb('planner.safetensors')}), \`planner.int8.safetensors\` (int8 weights with per-row scales, ${mb('planner.int8.safetensors')}); both carry the config and tokenizer in their metadata. \`train.json\` is the training config; \`*-loss.csv\` and \`*-loss.svg\` are the loss curves.`,
  '',
  '## How well it plans',
  '',
  `Greedy decoding under the loop guard (below), measured with \`umwelt eval\` on seeds never seen in training (the harness's report files were the input of this card).`,
  '',
  '| | episodes | success [95% CI] | mean over families | SPL | decision latency p50 / p95 |',
  '|---|---|---|---|---|---|',
  `| test split (${test.source.name}) | ${t.episodes} | ${ci(t)} | ${pct(testMean)} | ${t.spl.toFixed(2)} | ${t.latencyMs.p50.toFixed(1)} / ${t.latencyMs.p95.toFixed(1)} ms |`,
  `| held-out split (${heldout.source.name}) | ${h.episodes} | ${ci(h)} | ${pct(heldoutMean)} | ${h.spl.toFixed(2)} | ${h.latencyMs.p50.toFixed(1)} / ${h.latencyMs.p95.toFixed(1)} ms |`,
  `| int8 model, test split | ${q.episodes} | ${ci(q)} | ${pct(meanOverFamilies(int8))} | ${q.spl.toFixed(2)} | ${q.latencyMs.p50.toFixed(1)} / ${q.latencyMs.p95.toFixed(1)} ms |`,
  '',
  `Targets: at least 95% averaged over families on test seeds (${pct(testMean)}: ${target(testMean >= 0.95)}), at least 85% held out (${pct(heldoutMean)}: ${target(heldoutMean >= 0.85)}), SPL at least 0.8 (${t.spl.toFixed(2)}: ${target(t.spl >= 0.8)}), decision latency p95 at most 50 ms on one core (${t.latencyMs.p95.toFixed(1)} ms on test seeds: ${target(t.latencyMs.p95 <= 50)}; ${h.latencyMs.p95.toFixed(1)} ms held out: ${target(h.latencyMs.p95 <= 50)}). ${int8Cost(t.successRate - q.successRate)}`,
  '',
  '| family | test | held out | int8 (test) | SPL (test) | mean steps (test) |',
  '|---|---|---|---|---|---|',
];
for (const f of test.families) {
  const a = family(test, f);
  const b = family(heldout, f);
  const c = family(int8, f);
  lines.push(`| ${f} | ${a ? pct(a.successRate) : '-'} | ${b ? pct(b.successRate) : '-'} | ${c ? pct(c.successRate) : '-'} | ${a ? a.spl.toFixed(2) : '-'} | ${a ? a.steps.mean.toFixed(1) : '-'} |`);
}
lines.push(
  '',
  '## Training',
  '',
  `Data (\`umwelt data --split train\`, the oracle's honest search as the teacher)${manifest?.counts ? `: ${manifest.episodesPerFamily ?? '?'} train seeds per family, ${manifest.counts.episodes ?? '?'} episodes (${manifest.counts.successes ?? '?'} successful), ${manifest.counts.examples ?? '?'} instruction examples, ${manifest.counts.corpusLines ?? '?'} corpus passages` : ''}.${sftText()}${rounds.map(roundText).join('')}`,
  '',
  `| stage | steps | seconds (this 2-core machine, both cores) | last train loss | last validation loss |`,
  '|---|---|---|---|---|',
  `| pretrain (corpus) | ${pretrainMeta?.[META.steps] ?? '-'} | ${seconds(pretrainMeta)} | ${pre ? pre.loss.toFixed(3) : '-'} | ${pre ? pre.val.toFixed(3) : '-'} |`,
  `| sft (instruction examples, loss on the response) | ${sftMeta?.[META.steps] ?? '-'} | ${seconds(sftMeta)} | ${sft ? sft.loss.toFixed(3) : '-'} | ${sft ? sft.val.toFixed(3) : '-'} |`,
  ...rounds.map((round) => {
    const loss = lastLoss(round.stage);
    return `| ${round.stage} (instruction examples plus the student's states) | ${round.meta?.[META.steps] ?? '-'} | ${seconds(round.meta)} | ${loss ? loss.loss.toFixed(3) : '-'} | ${loss ? loss.val.toFixed(3) : '-'} |`;
  }),
  '',
  ...trainingTimeLines(),
  '',
  `![pretraining loss](pretrain-loss.svg) ![SFT loss](sft-loss.svg)${rounds.map((r) => ` ![${r.stage} loss](${r.stage}-loss.svg)`).join('')}`,
  '',
  'The learning curves: validation loss on held-back episodes, and the share of a few sim episodes per family (unseen train-split seeds) the checkpoint of that step succeeds in.',
  '',
  '| stage | step | validation loss | sim success |',
  '|---|---|---|---|',
  ...['sft', ...shippedRounds].flatMap((stage) =>
    evaluations(stage).map((e) => `| ${stage} | ${e.step} | ${e.val.toFixed(3)} | ${e.success === null ? '-' : pct(e.success)} |`),
  ),
  '',
  ...reproductionLines(),
  ...versusLines(),
  '## Decoding: the thought kept to the prompt, the action to the thought',
  '',
  'The thought names what it chooses ("So: goto the yellow counter #3.") and the action copies its mark. The model often wrote the right description with a wrong number, or an action that named something else than its thought. Decoding masks, after a description, the marks the prompt does not give it; once the last step went to or opened a container, every container but that one (except where the thing could be or is remembered); and it limits the action\'s entities to those the thought\'s last "So:" clause names. Where the teacher\'s sentence is fixed by the prompt, the thought is held to it word by word, letting go as soon as the model departs from it: the thing "I need" is the first the Task names and has not marked done, and "So: pick the ..." picks it when it is in reach; "It could be on (in) the ..." is the first place of the Unsearched surfaces (containers) line; at a closed container just reached, "... is not in sight." goes on "I open the <it>"; "I have the" and "I put the" name the held thing, and "It goes on the ..." the place the Task names for it (agent/planners/thought-marks.ts; `--no-thought-rules` turns them all off). The same model on the same episodes:',
  '',
  ...(freeTest === null
    ? ['Not measured for this card (no --free-test report: `umwelt eval ... --no-thought-rules`).']
    : [
        '| | free thought and action | thought and action kept consistent |',
        '|---|---|---|',
        `| test split | ${ci(lm(freeTest))}, SPL ${lm(freeTest).spl.toFixed(2)} | ${ci(t)}, SPL ${t.spl.toFixed(2)} |`,
        ...(freeHeldout === null ? [] : [`| held-out split | ${ci(lm(freeHeldout))}, SPL ${lm(freeHeldout).spl.toFixed(2)} | ${ci(h)}, SPL ${h.spl.toFixed(2)} |`]),
        ...test.families.map((f) => `| ${f} (test) | ${pct(family(freeTest, f)?.successRate ?? NaN)} | ${pct(family(test, f)?.successRate ?? NaN)} |`),
      ]),
  '',
  '## Decoding: the loop guard',
  '',
  ...loopGuardLines(),
  '',
  '## Where it parts from the oracle',
  '',
  ...agreementLines(),
  '',
  '## With a long-term memory',
  '',
  ...memoryLines(),
  '',
  '## Does pretraining help SFT?',
  '',
  ...compareLines(),
  '',
  '## The CI check',
  '',
  `\`tests/agent/lm-shipped.test.ts\` replays the smoke scenario's ${s.episodes} episodes (three test seeds per family) greedily, under the loop guard, and fails below ${s.successes} successes, the count measured here.`,
  '',
);
writeFileSync(join(dir, 'README.md'), `${lines.join('\n')}\n`);

/** The memory suite: the planner without and with a memory kept per house, on the same visits. */
function memoryLines(): string[] {
  if (memorySuite === null) return ['Not measured for this card (no --memory report).'];
  const { without, withMemory } = memoryArms(memorySuite);
  const c = memorySuite.comparisons.find((x) => x.baseline === 'lm' && x.planner === 'lm+memory' && x.family === null && x.scenario === null);
  const row = (name: string, g: GroupSummary): string => `| ${name} | ${g.episodes} | ${ci(g)} | ${g.steps.mean.toFixed(1)} | ${g.spl.toFixed(2)} |`;
  return [
    `\`umwelt eval ${scenarioPath(memorySuite)} --planner lm\`: revisit houses of the test split, each visited four times in order, every visit once without a memory and once with one memory kept per house (recalled memories in the prompt, remembered sightings in \`Named in the task:\`).`,
    '',
    '| | episodes | success [95% CI] | mean steps | SPL |',
    '|---|---|---|---|---|',
    row('without a memory', without),
    row('with a memory', withMemory),
    '',
    c === undefined
      ? 'No paired comparison in the report.'
      : `On the same ${c.episodes} visits: ${c.discordant.plannerOnly} succeed only with the memory, ${c.discordant.baselineOnly} only without (McNemar p ${c.mcnemarP === null ? '-' : c.mcnemarP.toPrecision(2)})${c.steps ? `; mean steps ${c.steps.planner.toFixed(1)} with against ${c.steps.baseline.toFixed(1)} without (${c.steps.planner <= c.steps.baseline ? `${pct(1 - c.steps.planner / c.steps.baseline)} fewer` : `${pct(c.steps.planner / c.steps.baseline - 1)} more`})` : ''}.`,
  ];
}

interface StageTime {
  stage: string;
  steps: number;
  seconds: number;
}

/** The stages of this model's own training, as its lineage (or run directory) records them; null where one is unknown. */
function ownStages(): StageTime[] | null {
  const stages = [{ stage: 'pretrain', meta: pretrainMeta }, { stage: 'sft', meta: sftMeta }, ...rounds].map((x) => ({
    stage: x.stage,
    steps: Number(x.meta?.[META.steps] ?? NaN),
    seconds: Number(x.meta?.[META.trainSeconds] ?? NaN),
  }));
  return stages.some((x) => !Number.isFinite(x.seconds) || !Number.isFinite(x.steps)) ? null : stages;
}

/**
 * How long the recipe takes against the 90 minutes a from-scratch run should fit in: the stages' measured seconds
 * in order, where the 90th minute falls, and what the learning curve (the loss CSVs in csvDir) says a model of that
 * point does.
 */
function timeLines(stages: readonly StageTime[], csvDir: string, what: string): string {
  const budget = 90 * 60;
  const total = stages.reduce((a, x) => a + x.seconds, 0);
  if (total <= budget) return `${what} takes ${Math.round(total)} s in all (${(total / 60).toFixed(0)} minutes), within the 90 minutes a from-scratch run should fit in (plus making the data).`;
  let before = 0;
  const at = stages.find((x) => (before += x.seconds) > budget)!;
  const into = budget - (before - at.seconds);
  const step = Math.floor((into / at.seconds) * at.steps);
  // The last evaluation the run has made by then: in this stage up to that step, else at the end of an earlier one.
  const made = stages
    .slice(0, stages.indexOf(at) + 1)
    .flatMap((x) => evaluations(x.stage, csvDir).filter((e) => e.success !== null && (x !== at || e.step <= step)).map((e) => ({ ...e, stage: x.stage })));
  const reached = made.at(-1);
  const curve = reached === undefined ? 'before its first evaluation' : `where its learning curve last measured ${pct(reached.success!)} sim success (${reached.stage} step ${reached.step})`;
  const finished = stageFinishedWithin(stages, budget);
  const last = finished === null ? 'no stage is finished by then' : `the last stage finished by then is ${finished.stage}, at ${(finished.seconds / 60).toFixed(0)} minutes`;
  return `${what} takes ${Math.round(total)} s in all (${(total / 3600).toFixed(1)} hours) on this machine, plus making the data, against the 90 minutes a from-scratch run should fit in: **not met**. At 90 minutes a run is at step ${step} of ${at.stage}, ${curve}; ${last}. The model is not cut down to fit the time.`;
}

/** The last stage a run of these stages has finished within `budget` seconds, and when. */
function stageFinishedWithin(stages: readonly StageTime[], budget: number): { stage: string; seconds: number } | null {
  let elapsed = 0;
  let finished: { stage: string; seconds: number } | null = null;
  for (const x of stages) {
    elapsed += x.seconds;
    if (elapsed > budget) break;
    finished = { stage: x.stage, seconds: elapsed };
  }
  return finished;
}

/** The training time of this model, or (when its early stages are not known) of the from-scratch run. */
function trainingTimeLines(): string[] {
  const own = ownStages();
  if (own !== null) return [timeLines(own, dir, 'Training')];
  if (reproduction !== null) return [`This model's training time is not known here (a stage's model file is missing); the from-scratch run of the same recipe below says how long it takes.`];
  return ["Training time: not known here (a stage's model file is missing)."];
}

/** The loop guard: the same model with and without it, on the same episodes. */
function loopGuardLines(): string[] {
  const intro =
    'A greedy policy that comes back to a state it has been in goes round the same cycle until the step limit (traced: goto, open, goto, close of one cabinet, ten times over). The planner remembers, per episode, the action it chose in each prompt state (the prompt without its History section and its distances) and decodes a choice that repeats one again by sampling, seeded, at temperatures 1, 1.5, 2 and 2.5 in turn, keeping the first that repeats nothing and does not say `done` (only the greedy decode may end the episode), else the greedy one (agent/planners/loop-guard.ts; `--no-loop-guard` turns it off). The same model on the same episodes:';
  const rows: string[] = [];
  const pair = (name: string, off: GroupSummary, on: GroupSummary): string => `| ${name} | ${ci(off)}, ${off.steps.mean.toFixed(1)} steps, SPL ${off.spl.toFixed(2)} | ${ci(on)}, ${on.steps.mean.toFixed(1)} steps, SPL ${on.spl.toFixed(2)} |`;
  if (unguarded.test !== null) rows.push(pair('test split', lm(unguarded.test), t));
  if (unguarded.heldout !== null) rows.push(pair('held-out split', lm(unguarded.heldout), h));
  if (unguarded.memory !== null && memorySuite !== null) {
    const off = memoryArms(unguarded.memory);
    const on = memoryArms(memorySuite);
    rows.push(pair('memory suite, without a memory', off.without, on.without), pair('memory suite, with a memory', off.withMemory, on.withMemory));
  }
  if (rows.length === 0) return [intro, '', 'Not measured for this card (no --unguarded-* report).'];
  return [intro, '', '| | without the guard | with the guard |', '|---|---|---|', ...rows];
}

/** The from-scratch run of the recipe: its stages, how long they took, and how well its model plans. */
function reproductionLines(): string[] {
  if (reproduction === null) return [];
  const { file, metadata } = reproduction;
  const csvDir = dirname(file);
  const records = lineageAfter(metadata);
  const stages = records.map((r) => ({ stage: r.stage, steps: Number(r.steps), seconds: Number(r.trainSeconds) }));
  const counts = (data: string): Record<string, number> => JSON.parse(data) as Record<string, number>;
  // The recipe as each file records it, but for where its data and runs were written.
  const recipe = (m: Record<string, string>): string => {
    const { dataDir: _data, out: _out, ...rest } = JSON.parse(m[META.trainConfig] ?? '{}') as Record<string, unknown>;
    return JSON.stringify(rest, (key, value: unknown) => (key === 'dir' ? undefined : value));
  };
  const sameRecipe = recipe(metadata) === recipe(meta);
  const rt = lm(reproduction.test);
  const rh = lm(reproduction.heldout);
  const rtMean = meanOverFamilies(reproduction.test);
  const rhMean = meanOverFamilies(reproduction.heldout);
  // Stages both lineages record: the data each trained on.
  const ownRecords = new Map(lineageAfter(meta).map((r) => [r.stage, r]));
  const dataDiffers = records.flatMap((r) => {
    const own = ownRecords.get(r.stage);
    if (own === undefined) return [];
    const a = counts(r.data).trainSequences;
    const b = counts(own.data).trainSequences;
    return a === b ? [] : [`${r.stage}: ${String(a)} examples in the run against ${String(b)} for this model`];
  });
  const row = (name: string, r: EvalReport, g: GroupSummary, mean: number, latency = true): string =>
    `| ${name} (${r.source.name}) | ${g.episodes} | ${ci(g)} | ${pct(mean)} | ${g.spl.toFixed(2)} | ${latency ? `${g.latencyMs.p50.toFixed(1)} / ${g.latencyMs.p95.toFixed(1)} ms` : '-'} |`;
  const met = rtMean >= 0.95 && rhMean >= 0.85 && rt.spl >= 0.8 && rt.latencyMs.p95 <= 50;
  // The model of the last stage finished within 90 minutes, on the same episodes (--within-90-*).
  const finished = stageFinishedWithin(stages, 90 * 60);
  const withinRows = (): string[] => {
    if (reproduction.within === null || finished === null) return [];
    const name = `its ${finished.stage} stage's model (done at ${(finished.seconds / 60).toFixed(0)} minutes)`;
    const { test: wt, heldout: wh } = reproduction.within;
    // Its success and SPL only: its latency is the same architecture's as the rows above, and these runs need not
    // have had an idle machine.
    return [row(`${name}, test split`, wt, lm(wt), meanOverFamilies(wt), false), row(`${name}, held-out split`, wh, lm(wh), meanOverFamilies(wh), false)];
  };
  const withinVerdict = (): string[] => {
    if (reproduction.within === null || finished === null) return [];
    const wt = lm(reproduction.within.test);
    const tMean = meanOverFamilies(reproduction.within.test);
    const hMean = meanOverFamilies(reproduction.within.heldout);
    const ok = tMean >= 0.95 && hMean >= 0.85 && wt.spl >= 0.8;
    return [
      `The model a run has within 90 minutes (its ${finished.stage} stage's): ${pct(tMean)} averaged over families on test seeds (target 95%), ${pct(hMean)} held out (target 85%), SPL ${wt.spl.toFixed(2)} (target 0.8): ${ok ? 'it meets the success targets' : '**below the success targets**'}.`,
      '',
    ];
  };
  return [
    '## Reproduction from scratch',
    '',
    `\`npm run train:planner\` run from scratch on this machine (\`${file}\`, prompt format ${metadata[META.promptFormat] ?? '1'}), ${sameRecipe ? 'with the training config this model records, but for its directories' : "with a training config that differs from the one this model records (beyond its directories)"}. Its stages, as its model file's lineage records them:`,
    '',
    '| stage | steps | seconds (this 2-core machine, both cores) | examples (episodes) | last validation loss |',
    '|---|---|---|---|---|',
    ...records.map((r) => {
      const c = counts(r.data);
      const loss = lastLoss(r.stage, csvDir);
      return `| ${r.stage} | ${r.steps} | ${Math.round(Number(r.trainSeconds))} s | ${String(c.trainSequences)} (${String(c.trainEpisodes)}) | ${loss ? loss.val.toFixed(3) : '-'} |`;
    }),
    '',
    timeLines(stages, csvDir, 'The from-scratch run'),
    '',
    `Its model, greedy under the loop guard, on the episodes of the first table: ${met ? 'it meets the targets' : '**below the targets**'}.`,
    '',
    '| | episodes | success [95% CI] | mean over families | SPL | decision latency p50 / p95 |',
    '|---|---|---|---|---|---|',
    row('test split', reproduction.test, rt, rtMean),
    row('held-out split', reproduction.heldout, rh, rhMean),
    ...withinRows(),
    '',
    ...withinVerdict(),
    ...(dataDiffers.length === 0 ? [] : [`The two trained on different data where both lineages record a stage (${dataDiffers.join('; ')}).`, '']),
  ];
}

/** This model against another on the same episodes, paired (a section only with --versus). */
function versusLines(): string[] {
  if (versus === null) return [];
  const rate = (k: number, n: number): string => `${k}/${n} (${pct(k / Math.max(1, n))})`;
  const p = (x: number | null): string => (x === null ? '-' : x.toPrecision(2));
  const other = versus.before;
  const labels = versus.splits.map((s) => s.label);
  const families = [...new Set(versus.splits.flatMap((s) => s.families.map((f) => f.label)))];
  const cell = (label: string, f: string): string => {
    const g = versus.splits.find((s) => s.label === label)?.families.find((x) => x.label === f);
    return g === undefined ? '-' : `${pct(g.after.successes / Math.max(1, g.episodes))} / ${pct(g.before.successes / Math.max(1, g.episodes))}`;
  };
  return [
    `## Against ${other}`,
    '',
    `\`scripts/models-versus.ts\`: this model (${versus.after}) and ${other}, each greedy under the loop guard on the same episodes, paired episode by episode; McNemar's exact test over the episodes only one of them succeeds in.`,
    '',
    `| split | episodes | this model | ${other} | only this model | only ${other} | McNemar p | SPL (this / other) | mean steps (this / other) |`,
    '|---|---|---|---|---|---|---|---|---|',
    ...versus.splits.map(
      (s) =>
        `| ${s.label} | ${s.episodes} | ${rate(s.after.successes, s.episodes)} | ${rate(s.before.successes, s.episodes)} | ${s.discordant.afterOnly} | ${s.discordant.beforeOnly} | ${p(s.mcnemarP)} | ${s.after.spl.toFixed(2)} / ${s.before.spl.toFixed(2)} | ${s.after.meanSteps.toFixed(1)} / ${s.before.meanSteps.toFixed(1)} |`,
    ),
    '',
    `| family | ${labels.map((l) => `${l}: this / other`).join(' | ')} |`,
    `|---|${labels.map(() => '---|').join('')}`,
    ...families.map((f) => `| ${f} | ${labels.map((l) => cell(l, f)).join(' | ')} |`),
    '',
  ];
}

/** The agreement table: per kind of oracle decision, how often the planner chose the same action. */
function agreementLines(): string[] {
  if (agreement === null) return ['Not measured for this card (no --agreement file).'];
  const share = (a: Agreement | null, kind: string): string => {
    const k = a?.kinds[kind];
    return k === undefined ? '-' : `${((100 * k.agree) / k.states).toFixed(0)}% of ${k.states}`;
  };
  const kinds = Object.keys(agreement.kinds).sort((a, b) => (agreement.kinds[b]?.states ?? 0) - (agreement.kinds[a]?.states ?? 0));
  const head = previousAgreement === null ? '| oracle decision | this planner agrees |' : '| oracle decision | this planner agrees | the card before agrees |';
  return [
    `\`scripts/planner-agreement.ts\`: the planner plays ${agreement.episodes} test episodes (${agreement.successes} succeeded${previousAgreement === null ? '' : `; in the card before, ${previousAgreement.successes}`}) and the oracle says at every state what it would do; states grouped by the oracle's kind of decision, and how often the planner chose the same action there.`,
    '',
    head,
    previousAgreement === null ? '|---|---|' : '|---|---|---|',
    ...kinds.map((kind) => (previousAgreement === null ? `| ${kind} | ${share(agreement, kind)} |` : `| ${kind} | ${share(agreement, kind)} | ${share(previousAgreement, kind)} |`)),
  ];
}
const seedsPerFamily = smoke.episodes / Math.max(1, smoke.families.length);
const maxSteps = smoke.source.scenarios[0]?.maxSteps ?? 40;
writeFileSync(
  join(dir, 'card.json'),
  `${JSON.stringify(
    {
      ci: { scenario: scenarioPath(smoke), seedsPerFamily, maxSteps, episodes: s.episodes, successes: s.successes },
      test: { successRate: t.successRate, meanOverFamilies: testMean, spl: t.spl },
      heldout: { successRate: h.successRate, meanOverFamilies: heldoutMean },
      int8: { successRate: q.successRate },
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`wrote ${join(dir, 'README.md')} and ${join(dir, 'card.json')}\n`);

/** The pretraining comparison's section: both arms at equal SFT steps on the same episodes. */
function compareLines(): string[] {
  if (compare === null) {
    return ['Not measured for this card: the comparison (`models/planner/compare-pretrained.json` against `compare-scratch.json`, the same SFT stage after pretraining and from random weights, evaluated on the same episodes) has not been run.'];
  }
  const valSteps = compare.pretrained.val.map(([step]) => step);
  const valAt = (a: ComparisonArm, step: number): string => a.val.find(([s]) => s === step)?.[1].toFixed(3) ?? '-';
  const rate = (a: ComparisonArm): number => a.successes / a.episodes;
  const row = (name: string, a: ComparisonArm): string =>
    `| ${name} | ${valSteps.map((step) => valAt(a, step)).join(' / ')} | ${pct(rate(a))} [${pct(a.successCi95.low)}, ${pct(a.successCi95.high)}] | ${pct(a.meanOverFamilies)} | ${a.spl.toFixed(2)} | ${a.meanSteps.toFixed(1)} |`;
  const gain = rate(compare.pretrained) - rate(compare.scratch);
  // A comparison kept from an earlier card was measured on that card's data, which may be another prompt format.
  const provenance = compareKept
    ? ` Measured for an earlier model of this recipe (\`${COMPARISON_FILE}\`), on training data in prompt format ${compare.promptFormat}${String(compare.promptFormat) === promptFormat ? ', the format of this model' : ` (this model's data: format ${promptFormat})`}.`
    : '';
  return [
    `\`models/planner/compare-pretrained.json\` and \`compare-scratch.json\`: the same SFT stage (the same data, ${compare.sftSteps} steps, schedule and seed), one started from the pretraining stage (${compare.pretrainSteps} steps on the corpus), the other from random weights; each SFT model then on its own (no DAgger round), greedy under the loop guard, on the same ${compare.pretrained.episodes} episodes of ${compare.scenario}.${provenance}`,
    '',
    `| | validation loss at step ${valSteps.join(' / ')} | success [95% CI] | mean over families | SPL | mean steps |`,
    '|---|---|---|---|---|---|',
    row('pretrained first', compare.pretrained),
    row('from scratch', compare.scratch),
    '',
    `Pretraining first: ${gain >= 0 ? '+' : ''}${(100 * gain).toFixed(1)} points of success at equal SFT steps. The SFT loss curves: \`compare-pretrained-sft-loss.csv\` and \`compare-scratch-sft-loss.csv\` (and \`.svg\`).`,
  ];
}
