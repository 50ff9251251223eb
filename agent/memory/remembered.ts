// Where the memory says things were: the objects its records place on or in something (or on the floor of a
// room), each as the loop's SeenEntity, so that a remembered sighting reaches the planner exactly as one from
// earlier in the episode does (PlannerContext.seenBefore; the prompt's `not in sight, last seen in #k`).
//
// Read from the records themselves (agent/memory/text.ts writes them), so a memory reopened from its log
// remembers as much as the one that wrote it, and a forgotten (deleted, superseded, cleared) record is forgotten
// here too. In insertion order, per object:
//   observation  `red mug (mug_3) on white table (table_1) in kitchen_1`: it was there.
//   event        `Put red mug (mug_3) on blue shelf (shelf_1) in living_room_1.` (or `Let go of ...`): it was left there.
//   event        `Picked up red mug (mug_3) ...`: it was carried away; where it is now is not known.
// The last of these wins. A sighting is kept only where the current floor plan agrees with it: the object is not
// a landmark, and its support is a landmark of the same colour and category (a room of the house for one on the
// floor); a memory of another house does not put things into this one. Distance and bearing are from where the
// agent is now (the prompt does not show them for things out of sight).
import type { MemoryRecord } from '../../memory/types.ts';
import { round, rotateYaw, wrapAngle } from '../../sim/geometry.ts';
import { ROBOT } from '../../sim/robot.ts';
import { COLORS, type Color, type Landmark, type Observation, type SeenEntity, type Vec3 } from '../../sim/types.ts';
import { nameOf } from './text.ts';

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const isColor = (word: string): word is Color => (COLORS as readonly string[]).includes(word);

/** What a record says of where an object was: a place, or that it was carried away (null). */
export interface RecordedWhereabouts {
  id: string;
  /** null: picked up (where it is now is not known). */
  at: {
    color: Color;
    category: string;
    room: string;
    /** What it rested on or in, and that thing's name as the record wrote it (null: only its id). */
    support: { id: string; relation: 'on' | 'in'; name: string | null } | null;
    position: Vec3;
  } | null;
}

/** `colour category words (id)` at the start of `text`: the colour and the category (underscored), or null. */
function namePart(text: string, id: string): { color: Color; category: string; rest: string } | null {
  const m = new RegExp(`^([a-z]+) ([a-z ]+) \\(${escape(id)}\\)`).exec(text);
  if (m === null) return null;
  const [whole, color = '', words = ''] = m;
  if (!isColor(color)) return null;
  return { color, category: words.replace(/ /g, '_'), rest: text.slice(whole.length) };
}

/** ` on|in [name (]support[)] in room[, state]` (an observation) or the same with a final `.` (a put event). */
function placePart(rest: string, support: string | undefined, final: '' | '.'): { room: string; relation: 'on' | 'in' | null; supportName: string | null } | null {
  const sup = support === undefined ? '' : ` (on|in) (?:([a-z]+ [a-z ]+) \\(${escape(support)}\\)|${escape(support)})`;
  const m = new RegExp(`^${sup} in ([a-z_]+_\\d+)(?:, [a-z]+)?${escape(final)}$`).exec(rest);
  if (m === null) return null;
  if (support === undefined) return { room: m[1] ?? '', relation: null, supportName: null };
  const relation = m[1];
  if (relation !== 'on' && relation !== 'in') return null;
  return { room: m[3] ?? '', relation, supportName: m[2] ?? null };
}

/** What one record says of where an object was, or null when it says nothing of the kind. */
export function whereaboutsOf(record: MemoryRecord): RecordedWhereabouts | null {
  const [id, support] = record.entityIds;
  if (id === undefined) return null;
  let text = record.text;
  let final: '' | '.' = '';
  if (record.kind === 'event') {
    if (text.startsWith('Picked up ')) return namePart(text.slice('Picked up '.length), id) === null ? null : { id, at: null };
    const verb = ['Put ', 'Let go of '].find((v) => text.startsWith(v));
    if (verb === undefined) return null;
    text = text.slice(verb.length);
    final = '.';
  } else if (record.kind !== 'observation') {
    return null;
  }
  const name = namePart(text, id);
  if (name === null || record.position === null) return null;
  const place = placePart(name.rest, support, final);
  if (place === null) return null;
  const on = support === undefined || place.relation === null ? null : { id: support, relation: place.relation, name: place.supportName };
  return { id, at: { color: name.color, category: name.category, room: place.room, support: on, position: [...record.position] } };
}

/** Where the floor plan agrees with a recorded place (see the header). */
function fits(at: NonNullable<RecordedWhereabouts['at']>, landmarks: ReadonlyMap<string, Landmark>, rooms: ReadonlySet<string>): boolean {
  if (at.support === null) return rooms.has(at.room);
  const l = landmarks.get(at.support.id);
  return l !== undefined && l.holds && (at.support.name === null || at.support.name === nameOf(l));
}

/**
 * The objects the records (in insertion order, from episodes other than `exceptEpisode`) place somewhere, as last
 * recorded, in the order first recorded, as seen from the agent of `observation` (whose landmarks are the floor
 * plan checked against).
 */
export function rememberedSightings(records: readonly MemoryRecord[], observation: Observation, exceptEpisode: string | null): SeenEntity[] {
  const landmarks = new Map(observation.landmarks.map((l) => [l.id, l]));
  const rooms = new Set(observation.landmarks.map((l) => l.room));
  rooms.add(observation.agent.room);
  const last = new Map<string, RecordedWhereabouts['at']>();
  for (const r of records) {
    if (r.episode === exceptEpisode) continue;
    const w = whereaboutsOf(r);
    if (w === null || landmarks.has(w.id)) continue;
    last.set(w.id, w.at);
  }
  const [ax, ay, az] = observation.agent.position;
  const out: SeenEntity[] = [];
  for (const [id, at] of last) {
    if (at === null || !fits(at, landmarks, rooms)) continue;
    const [x, y, z] = at.position;
    const [dx, dy, dz] = [x - ax, y - (ay + ROBOT.eyeHeight), z - az];
    const [lx, lz] = rotateYaw(dx, dz, -observation.agent.yaw);
    out.push({
      id,
      kind: 'object',
      category: at.category,
      color: at.color,
      room: at.room,
      distance: round(Math.hypot(dx, dy, dz)),
      bearing: round(wrapAngle(Math.atan2(-lx, -lz))),
      height: round(y),
      position: [x, y, z],
      state: at.support === null ? {} : at.support.relation === 'in' ? { inside: at.support.id } : { on_top_of: at.support.id },
    });
  }
  return out;
}

/** `Opened blue cabinet (cabinet_2) in bathroom_1: ...` (agent/memory/text.ts): the container's name, or null for a bare id. */
function openedName(text: string, id: string): string | null | undefined {
  const m = new RegExp(`^Opened (?:([a-z]+ [a-z ]+) \\(${escape(id)}\\)|${escape(id)})(?: in [a-z_]+_\\d+)?: `).exec(text);
  if (m === null) return undefined;
  return m[1] ?? null;
}

/**
 * The containers of this house that episodes other than `exceptEpisode` opened (an `Opened ...: inside ...` event),
 * in the order first opened: the memory holds what was inside each (their contents are among the remembered
 * sightings), so a search for something not remembered need not look into them again (PlannerContext.searchedBefore).
 * As with sightings, only where the floor plan agrees: a landmark of this house that opens, of the name recorded.
 */
export function rememberedSearches(records: readonly MemoryRecord[], observation: Observation, exceptEpisode: string | null): string[] {
  const landmarks = new Map(observation.landmarks.map((l) => [l.id, l]));
  const out = new Set<string>();
  for (const r of records) {
    if (r.episode === exceptEpisode || r.kind !== 'event') continue;
    const [id] = r.entityIds;
    if (id === undefined || out.has(id)) continue;
    const l = landmarks.get(id);
    if (l === undefined || !l.openable) continue;
    const name = openedName(r.text, id);
    if (name === undefined || (name !== null && name !== nameOf(l))) continue;
    out.add(id);
  }
  return [...out];
}
