// Where the language-model planner parts from the oracle: it plays test episodes, the oracle (which keeps no state
// between decisions) says at every state what it would do, and the states are grouped by the kind of decision the
// oracle takes there (its thought's template: pick a target in reach, go to a target seen, search the next
// surface...). Per kind: how many states, how often the planner chose the oracle's action, and in how many
// episodes this kind was the first disagreement. The model card's diagnosis comes from here.
//
//   node --import tsx scripts/planner-agreement.ts [--checkpoint FILE] [--seeds N] [--json]
import { parseArgs } from 'node:util';
import { loadBundleFile } from '../agent/lm/bundle-file.ts';
import { formatAction } from '../agent/grammar.ts';
import { runEpisode } from '../agent/loop.ts';
import type { Planner } from '../agent/planner.ts';
import { LMPlanner } from '../agent/planners/lm.ts';
import { OraclePlanner } from '../agent/planners/oracle.ts';
import { familyEnv } from '../scenes/env.ts';
import { FAMILY_NAMES } from '../scenes/family-names.ts';

/** The oracle's decision kinds, by the templates of agent/planners/oracle.ts (first match wins). */
const KINDS: readonly (readonly [string, RegExp])[] = [
  ['all done', /Everything asked/],
  ['close after placing', /I close it again/],
  ['door in the way', /door|way is blocked/],
  ['close the target here', /I am at \S+; I close it/],
  ['open to put inside', /I open it to put/],
  ['go to open for putting', /which is closed, so I go there to open/],
  ['put here', /I am at \S+; I put/],
  ['go where it goes', /It goes .*so I go there/],
  ['open or toggle here', /I am at \S+; I (open|toggle)/],
  ['go to open or toggle', /so I go to it first/],
  ['holding it: done', /I am holding/],
  ['open the container it is in', /is inside \S+, which is closed. I open it/],
  ['go to the container it is in', /which is closed. I go there to open it/],
  ['pick the target in reach', /right here within reach/],
  ['go to a target seen', /I have seen it, so I go to it/],
  ['search: open a container', /to look inside\./],
  ['search: step in front', /I step in front of it/],
  ['search: close and go on', /I close it and look elsewhere/],
  ['search: next surface', /the first place I have not looked at/],
  ['search: next container', /the first container I have not checked/],
  ['search: the last place', /must be inside|I have looked everywhere/],
  ['look around', /turn to look around/],
  ['put down what is held', /put down|let it go here|nearest free surface/],
];
const kindOf = (thought: string): string => KINDS.find(([, re]) => re.test(thought))?.[0] ?? 'other';

const { values } = parseArgs({
  options: {
    checkpoint: { type: 'string', default: 'models/planner/planner.safetensors' },
    seeds: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
});
const seeds = Number(values.seeds);
if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`--seeds must be a positive integer, got "${values.seeds}"`);
const checkpoint = values.checkpoint;
const lm = new LMPlanner({ bundle: () => loadBundleFile(checkpoint), name: 'lm' });

interface Row {
  states: number;
  agree: number;
  firstDisagreement: number;
}
const rows = new Map<string, Row>();
let successes = 0;
for (const family of FAMILY_NAMES) {
  for (let i = 0; i < seeds; i++) {
    const env = familyEnv(family);
    const oracle = new OraclePlanner(env);
    let parted = false;
    const planner: Planner = {
      name: 'lm',
      reset: (info) => lm.reset(info),
      decide: async (context) => {
        const expert = await oracle.decide(context);
        const own = await lm.decide(context);
        const same = expert.action !== null && own.action !== null && formatAction(expert.action) === formatAction(own.action);
        const kind = kindOf(expert.thought);
        const row = rows.get(kind) ?? { states: 0, agree: 0, firstDisagreement: 0 };
        row.states++;
        if (same) row.agree++;
        else if (!parted) {
          row.firstDisagreement++;
          parted = true;
        }
        rows.set(kind, row);
        return own;
      },
    };
    const result = await runEpisode({ env, planner, seed: 1_000_000 + i });
    if (result.success) successes++;
  }
}
const sorted = [...rows].sort((a, b) => b[1].states - a[1].states);
const episodes = FAMILY_NAMES.length * seeds;
if (values.json) {
  console.log(JSON.stringify({ checkpoint, episodes, successes, kinds: Object.fromEntries(sorted) }, null, 2));
} else {
  console.log(`${checkpoint}: ${successes} of ${episodes} test episodes succeeded (${seeds} seeds per family)`);
  console.log('| oracle decision | states | planner agrees | first disagreement (episodes) |\n|---|---|---|---|');
  for (const [kind, r] of sorted) console.log(`| ${kind} | ${r.states} | ${((100 * r.agree) / r.states).toFixed(0)}% | ${r.firstDisagreement} |`);
}
