// `umwelt scene`: the generated house of a family and seed, readably (rooms, doorways, furniture per room, mats,
// objects grouped by where they rest, the agent's start) or as JSON (the SceneDescription plus the task).
import type { Command } from 'commander';
import { GenerationError, makeEpisode } from '../../scenes/families.ts';
import { TASK_FAMILY_NAMES, type FamilyName } from '../../scenes/family-names.ts';
import type { Goal } from '../../scenes/goals.ts';
import { splitOfSeed } from '../../scenes/splits.ts';
import type { FurnitureDescription, MarkerDescription, ObjectDescription, SceneDescription } from '../../sim/description.ts';
import { isOpenable } from '../../sim/furniture.ts';
import { EXIT, UsageError } from '../errors.ts';
import { dims, fixed, formatGoal, metres, point, table } from '../format.ts';
import { parseFamily, parseSeed } from '../options.ts';
import { printJson, type Output } from '../output.ts';
import type { CliContext } from './context.ts';

export interface SceneOptions {
  family: FamilyName;
  seed: number;
  json?: boolean;
}

export interface SceneTask {
  family: FamilyName;
  instruction: string;
  goals: Goal[];
}

/** `umwelt scene --json`: the scene description (a valid scene file on its own) and the task beside it. */
export interface SceneReport {
  scene: SceneDescription;
  task: SceneTask;
}

const words = (s: string): string => s.replace(/_/g, ' ');

/** The id of the room containing a floor point (the first, on a shared wall), or "outside". */
function roomAt(scene: SceneDescription, [x, z]: readonly [number, number]): string {
  const room = scene.rooms.find((r) => x >= r.min[0] && x <= r.max[0] && z >= r.min[1] && z <= r.max[1]);
  return room?.id ?? 'outside';
}

function furnitureState(f: FurnitureDescription): string {
  if (isOpenable(f.category)) {
    const openness = f.openness ?? 0;
    if (openness <= 0.05) return 'closed';
    if (openness >= 0.95) return 'open';
    return `ajar (${fixed(openness * 100, 0)}% open)`;
  }
  if (f.category === 'lamp') return f.on ? 'on' : 'off';
  return '';
}

/** Group rows under headings, with the columns aligned across all groups. */
function groupedTable(groups: readonly { heading: string; rows: string[][] }[]): string[] {
  const lines = table(groups.flatMap((g) => g.rows), '    ');
  const out: string[] = [];
  let i = 0;
  for (const g of groups) {
    out.push(`  ${g.heading}`);
    for (let k = 0; k < g.rows.length; k++) out.push(lines[i++] ?? '');
  }
  return out;
}

/** Where an object rests, as a heading: "on table_1 (white table, kitchen_1)". */
function placementHeading(scene: SceneDescription, o: ObjectDescription): { key: string; heading: string; order: number } {
  const p = o.placement;
  const hosts = [...scene.furniture.map((f) => f.id), ...scene.markers.map((m) => m.id)];
  if ('floor' in p) return { key: 'floor', heading: 'on the floor', order: Number.MAX_SAFE_INTEGER };
  const [relation, id] = 'on' in p ? ['on', p.on] : ['in', p.in];
  const host: FurnitureDescription | MarkerDescription | undefined = scene.furniture.find((f) => f.id === id) ?? scene.markers.find((m) => m.id === id);
  const level = p.level !== undefined && p.level > 0 ? `, level ${p.level}` : '';
  const about = host ? ` (${host.color} ${words(host.category)}, ${roomAt(scene, host.position)}${level})` : level ? ` (${level.slice(2)})` : '';
  // Furniture and mats in the order the scene lists them; on before in; lower levels first.
  const index = hosts.indexOf(id);
  const order = (index < 0 ? hosts.length : index) * 1000 + (relation === 'on' ? 0 : 500) + (p.level ?? 0);
  return { key: `${relation}|${id}|${p.level ?? 0}`, heading: `${relation} ${id}${about}`, order };
}

/** The scene as readable lines. */
export function describeScene(scene: SceneDescription, task: SceneTask, seed: number): string[] {
  const out: string[] = [];
  const targets = new Set(task.goals.flatMap((g) => ('object' in g ? [g.object] : [])));
  out.push(`${task.family} #${seed} (${splitOfSeed(seed)} split)${scene.name ? ` · scene "${scene.name}"` : ''}`);
  out.push(`Instruction: ${task.instruction}`);
  out.push(`Goals: ${task.goals.map(formatGoal).join(', ')}`);

  out.push('', `Rooms (${scene.rooms.length})`);
  out.push(
    ...table(
      scene.rooms.map((r) => [r.id, words(r.type), dims([r.max[0] - r.min[0], r.max[1] - r.min[1]]), `from ${point(r.min)} to ${point(r.max)}`]),
      '  ',
    ),
  );

  out.push('', `Doorways (${scene.doorways.length})`);
  out.push(...table(scene.doorways.map((d) => [`${d.between[0]} ↔ ${d.between[1]}`, `at ${point(d.at)}`, `${metres(d.width)} m wide`]), '  '));

  out.push('', `Furniture (${scene.furniture.length})`);
  const byRoom = scene.rooms
    .map((r) => ({
      heading: `${r.id} (${words(r.type)})`,
      rows: scene.furniture.filter((f) => roomAt(scene, f.position) === r.id).map((f) => [f.id, `${f.color} ${words(f.category)}`, dims(f.size), `at ${point(f.position)}`, furnitureState(f)]),
    }))
    .filter((g) => g.rows.length > 0);
  const outside = scene.furniture.filter((f) => roomAt(scene, f.position) === 'outside');
  if (outside.length > 0) byRoom.push({ heading: 'outside every room', rows: outside.map((f) => [f.id, `${f.color} ${words(f.category)}`, dims(f.size), `at ${point(f.position)}`, furnitureState(f)]) });
  out.push(...groupedTable(byRoom));

  out.push('', `Mats (${scene.markers.length})`);
  out.push(...table(scene.markers.map((m) => [m.id, `${m.color} mat`, dims(m.size), `at ${point(m.position)}`, `in ${roomAt(scene, m.position)}`]), '  '));

  out.push('', `Objects (${scene.objects.length})${targets.size > 0 ? ' — * marks a target of the task' : ''}`);
  const groups = new Map<string, { heading: string; order: number; rows: string[][] }>();
  for (const o of scene.objects) {
    const { key, heading, order } = placementHeading(scene, o);
    const group = groups.get(key) ?? { heading, order, rows: [] };
    const where = 'floor' in o.placement ? `at ${point(o.placement.floor)}` : '';
    group.rows.push([`${targets.has(o.id) ? '*' : ' '} ${o.id}`, `${o.color} ${words(o.category)}`, dims(o.size), where]);
    groups.set(key, group);
  }
  out.push(...groupedTable([...groups.values()].sort((a, b) => a.order - b.order)));

  const { position, yaw } = scene.agent;
  out.push('', `Agent starts at ${point(position)} in ${roomAt(scene, position)}, facing ${fixed((yaw * 180) / Math.PI, 0)}° (0° looks along -z)`);
  return out;
}

export function sceneCommand(options: SceneOptions, out: Output): number {
  let episode: ReturnType<typeof makeEpisode>;
  try {
    episode = makeEpisode(options.family, options.seed);
  } catch (e) {
    if (e instanceof GenerationError) throw new UsageError(`cannot generate the ${options.family} episode for seed ${options.seed}: ${e.message}`);
    throw e;
  }
  const { description, task } = episode;
  const sceneTask: SceneTask = { family: task.family, instruction: task.instruction, goals: [...task.goals] };
  if (options.json) {
    const report: SceneReport = { scene: description, task: sceneTask };
    printJson(out, report);
  } else {
    for (const line of describeScene(description, sceneTask, options.seed)) out.line(line);
  }
  return EXIT.ok;
}

export function registerScene(program: Command, cli: CliContext): void {
  program
    .command('scene')
    .summary('show the generated house and task of a family and seed')
    .description(
      'Generate the episode of a task family for a seed and print it: the instruction and goals, the rooms, doorways, ' +
        'furniture per room (open or closed), mats, the objects grouped by where they rest, and where the agent starts.\n\n' +
        'With --json, print {scene, task}: `scene` is in the scene file format, so `jq .scene` gives a file that ' +
        '`umwelt validate` accepts.',
    )
    .requiredOption('-f, --family <name>', `task family: ${TASK_FAMILY_NAMES.join(', ')}`, parseFamily)
    .requiredOption('-s, --seed <n>', 'episode seed, a non-negative integer (test split: 1000000-1999999)', parseSeed)
    .option('--json', 'print {scene: SceneDescription, task: {family, instruction, goals}} as one JSON object')
    .addHelpText(
      'after',
      `
Examples:
  $ umwelt scene --family fetch --seed 1000000
  $ umwelt scene --family search --seed 7 --json | jq .scene > house.json`,
    )
    .action((opts: SceneOptions) => cli.exit(sceneCommand(opts, cli.out)));
}
