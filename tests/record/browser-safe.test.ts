// The browser bundles record/'s reading and re-simulation (record/browser.ts: Recording.fromBytes, BytesReadable,
// resimulateFrames, verify, ...): nothing they import, directly or through other modules of this repository, may be
// a Node built-in. A small walker follows every import and export specifier (type-only ones too, and dynamic
// import()s with a literal) through the .ts files of the repository; npm packages are leaves.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../cli/run-cli.ts';

/** Import and export specifiers of a module's source (comments stripped first). */
function specifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[\w*{}\s,$]*?\s*from\s*['"]([^'"]+)['"]/g, // import x from '...', export { y } from '...'
    /\bimport\s*['"]([^'"]+)['"]/g, // import '...'
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, // import('...')
  ];
  for (const pattern of patterns) for (const m of code.matchAll(pattern)) if (m[1]) found.push(m[1]);
  // Every `from '...'` must have been understood (a form the patterns miss would hide an import).
  const froms = [...code.matchAll(/\bfrom\s*['"]([^'"]+)['"]/g)].map((m) => m[1]);
  const missed = froms.filter((f) => f !== undefined && !found.includes(f));
  if (missed.length > 0) throw new Error(`the walker does not understand the imports of ${missed.join(', ')}`);
  return found;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

interface Walk {
  /** Repository modules reached (paths relative to the root). */
  modules: Set<string>;
  /** Node built-ins reached, each with the module that imports it. */
  builtins: string[];
  /** npm packages reached. */
  packages: Set<string>;
}

/** Follow the imports of `entries` (paths relative to the root) through the repository's modules. */
function walk(...entries: string[]): Walk {
  const result: Walk = { modules: new Set(), builtins: [], packages: new Set() };
  const queue = entries.map((e) => resolve(ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop() ?? '';
    const name = relative(ROOT, file);
    if (result.modules.has(name)) continue;
    result.modules.add(name);
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('node:') || NODE_BUILTINS.has(spec.split('/')[0] ?? spec)) {
        result.builtins.push(`${name} imports ${spec}`);
      } else if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        if (!target.endsWith('.ts')) throw new Error(`${name}: cannot follow ${spec} (not a .ts specifier)`);
        queue.push(target);
      } else {
        result.packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec));
      }
    }
  }
  return result;
}

describe('the browser-safe part of record/', () => {
  it('the walker sees what it should: the Node-only modules do import Node built-ins', () => {
    expect(specifiers(`import { a, type B } from './x.ts';\nimport type {\n  C,\n} from '../y.ts';\nexport { d } from "z";\nimport 'side';\nconst m = await import('./lazy.ts');\n// import { no } from 'comment';`)).toEqual(
      ['./x.ts', '../y.ts', 'z', 'side', './lazy.ts'],
    );
    for (const nodeOnly of ['record/reader.ts', 'record/rebuild.ts', 'record/replay.ts', 'record/readable.ts']) {
      expect(walk(nodeOnly).builtins.length, nodeOnly).toBeGreaterThan(0);
    }
  });

  it('record/browser.ts, record/frames.ts, record/recording.ts and record/bytes.ts reach no Node built-in', () => {
    const reached = walk('record/browser.ts', 'record/frames.ts', 'record/recording.ts', 'record/bytes.ts', 'record/verify.ts', 'record/rebuild-core.ts');
    expect(reached.builtins).toEqual([]);
    // Not vacuous: the walk went through the reader, re-simulation and the world.
    expect([...reached.modules]).toEqual(
      expect.arrayContaining(['record/recording.ts', 'record/prefix.ts', 'record/compression.ts', 'record/schemas.ts', 'record/verify.ts', 'sim/pose-frame.ts', 'sim/env.ts', 'scenes/env.ts', 'agent/loop.ts']),
    );
    expect(reached.modules.size).toBeGreaterThan(30);
    expect([...reached.packages]).toEqual(expect.arrayContaining(['@mcap/core', '@foxglove/wasm-zstd', 'zod', 'cannon-es']));
    // None of the Node-only modules of record/ is on the way.
    for (const nodeOnly of ['record/reader.ts', 'record/readable.ts', 'record/rebuild.ts', 'record/replay.ts', 'record/recorder.ts', 'record/writable.ts', 'record/versions.ts']) {
      expect(reached.modules.has(nodeOnly), nodeOnly).toBe(false);
    }
  });
});
