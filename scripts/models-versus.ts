// Two planner models on the same episodes: each split's pair of `umwelt eval` run directories (the same scenario and
// seeds, one model each), paired episode by episode. Per split and family: the successes of each, the episodes only
// one of them succeeds in and the exact McNemar p-value over them, SPL and mean steps. --after names the model the
// card is about, --before the one it is compared with (the model it replaces, or a from-scratch run's); the model
// card reports it (scripts/planner-card.ts --versus).
//
//   node --import tsx scripts/models-versus.ts --before NAME --after NAME --split LABEL=BEFORE_DIR,AFTER_DIR ... [--json]
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { JOURNAL_FILE } from '../eval/journal.ts';
import { EpisodeRecordSchema, type EpisodeRecord } from '../eval/record.ts';
import { mcnemarExact } from '../eval/stats.ts';

const ArmSchema = z.strictObject({ successes: z.int().min(0), spl: z.number(), meanSteps: z.number() });
const PairedSchema = z.strictObject({
  label: z.string(),
  episodes: z.int().min(0),
  before: ArmSchema,
  after: ArmSchema,
  /** Episodes only the later model succeeds in, and only the earlier one. */
  discordant: z.strictObject({ afterOnly: z.int().min(0), beforeOnly: z.int().min(0) }),
  mcnemarP: z.number().min(0).max(1).nullable(),
});
export const VersusSchema = z.strictObject({
  before: z.string(),
  after: z.string(),
  splits: z.array(PairedSchema.extend({ families: z.array(PairedSchema) })),
});
export type Versus = z.infer<typeof VersusSchema>;
type Paired = z.infer<typeof PairedSchema>;

/** What makes two runs' episodes the same episode: the scenario, family, seed and memory arm (not the planner's name). */
const episodeKey = (r: EpisodeRecord): string => `${r.scenario}:${r.family}:${r.seed}:${r.memory?.mode ?? 'none'}`;

/** The finished episodes of an eval run directory, by episodeKey; a torn last line (a run killed mid-write) is left out. */
export function readEpisodes(dir: string): Map<string, EpisodeRecord> {
  const path = join(dir, JOURNAL_FILE);
  const lines = readFileSync(path, 'utf8').split('\n');
  const episodes = new Map<string, EpisodeRecord>();
  lines.forEach((text, i) => {
    if (text.trim() === '') return;
    let parsed: ReturnType<typeof EpisodeRecordSchema.safeParse>;
    try {
      parsed = EpisodeRecordSchema.safeParse(JSON.parse(text));
    } catch (e) {
      if (i === lines.length - 1) return; // torn tail
      throw new Error(`${path} line ${i + 1}: not JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!parsed.success) throw new Error(`${path} line ${i + 1}: not an episode record (${parsed.error.issues[0]?.message ?? ''})`);
    const key = episodeKey(parsed.data);
    const earlier = episodes.get(key);
    if (earlier?.id === parsed.data.id) return; // the journal's own duplicate: the first record counts
    if (earlier !== undefined) throw new Error(`${path} line ${i + 1}: a second record of episode ${key} (pair runs of one planner each)`);
    episodes.set(key, parsed.data);
  });
  return episodes;
}

/** Pair two runs' episodes by episodeKey; both runs must hold exactly the same episodes. */
export function pairEpisodes(beforeDir: string, afterDir: string): { before: EpisodeRecord; after: EpisodeRecord }[] {
  const before = readEpisodes(beforeDir);
  const after = readEpisodes(afterDir);
  const onlyBefore = [...before.keys()].filter((id) => !after.has(id));
  const onlyAfter = [...after.keys()].filter((id) => !before.has(id));
  if (onlyBefore.length > 0 || onlyAfter.length > 0) {
    const example = onlyBefore[0] ?? onlyAfter[0] ?? '';
    throw new Error(
      `${beforeDir} and ${afterDir} do not hold the same episodes (${onlyBefore.length} only in the first, ${onlyAfter.length} only in the second, e.g. ${example}): run both to the end on one scenario`,
    );
  }
  return [...before.entries()].map(([key, b]) => ({ before: b, after: after.get(key)! }));
}

const arm = (records: readonly EpisodeRecord[]): z.infer<typeof ArmSchema> => ({
  successes: records.filter((r) => r.result.success).length,
  spl: records.reduce((s, r) => s + r.result.spl, 0) / Math.max(1, records.length),
  meanSteps: records.reduce((s, r) => s + r.result.steps, 0) / Math.max(1, records.length),
});

export function summarizePairs(label: string, pairs: readonly { before: EpisodeRecord; after: EpisodeRecord }[]): Paired {
  const afterOnly = pairs.filter((p) => p.after.result.success && !p.before.result.success).length;
  const beforeOnly = pairs.filter((p) => p.before.result.success && !p.after.result.success).length;
  return {
    label,
    episodes: pairs.length,
    before: arm(pairs.map((p) => p.before)),
    after: arm(pairs.map((p) => p.after)),
    discordant: { afterOnly, beforeOnly },
    mcnemarP: mcnemarExact(afterOnly, beforeOnly),
  };
}

function main(): void {
  const { values } = parseArgs({
    options: { before: { type: 'string' }, after: { type: 'string' }, split: { type: 'string', multiple: true }, json: { type: 'boolean' } },
    strict: true,
  });
  const usage = 'usage: models-versus.ts --before NAME --after NAME --split LABEL=BEFORE_DIR,AFTER_DIR ... [--json]';
  if (values.before === undefined || values.after === undefined || (values.split ?? []).length === 0) throw new Error(usage);
  const splits = (values.split ?? []).map((spec) => {
    const match = /^([^=]+)=([^,]+),([^,]+)$/.exec(spec);
    if (match === null) throw new Error(`--split ${spec}: expected LABEL=BEFORE_DIR,AFTER_DIR\n${usage}`);
    const [, label, beforeDir, afterDir] = match as unknown as [string, string, string, string];
    const pairs = pairEpisodes(beforeDir, afterDir);
    const families = [...new Set(pairs.map((p) => p.before.family))];
    return { ...summarizePairs(label, pairs), families: families.map((f) => summarizePairs(f, pairs.filter((p) => p.before.family === f))) };
  });
  const versus: Versus = { before: values.before, after: values.after, splits };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(versus, null, 2)}\n`);
    return;
  }
  for (const s of splits) {
    const p = s.mcnemarP === null ? 'no discordant episodes' : `McNemar p ${s.mcnemarP.toPrecision(2)}`;
    process.stdout.write(
      `${s.label}: ${s.episodes} episodes; ${versus.before} ${s.before.successes}, ${versus.after} ${s.after.successes}; only ${versus.after} ${s.discordant.afterOnly}, only ${versus.before} ${s.discordant.beforeOnly} (${p})\n`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`models-versus: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(2);
  }
}
