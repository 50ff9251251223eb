// dependency-cruiser: the folder contract of the repository.
//
// Every folder is forbidden to import what it is not explicitly allowed to; each rule below is one
// clause of the contract, stated as "from <folder> ... not to anything outside its allowed set".
// "Ours" means the top-level source folders; npm packages and Node built-ins are free except where a
// rule says otherwise (sim/ and scenes/ use no Node built-ins).
//
// Run with `npm run deps` (which cruises `.`, so folders that do not exist yet are simply absent).

/** The modules of the cycles that existed when the contract was written (warnings, not errors). */

/** A path that is one of our folders other than those listed. */
const oursExcept = (...allowed) => `^(?!(${allowed.join('|')})/)(sim|scenes|agent|memory|record|eval|web|cli|tests|bench)/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // ---------------------------------------------------------------------------------------------
    // The folder contract
    // ---------------------------------------------------------------------------------------------
    {
      name: 'sim-only-sim',
      comment:
        'sim/ is the deterministic physics world: it may import only sim/ and the npm packages cannon-es, ' +
        'three and @noble/hashes (no other packages, no Node built-ins: it also runs in the browser).',
      severity: 'error',
      from: { path: '^sim/' },
      to: {
        pathNot: ['^sim/', '^node_modules/(cannon-es|three|@noble/hashes|@types/three)/'],
      },
    },
    {
      name: 'scenes-only-sim-scenes',
      comment: 'scenes/ builds worlds: of our code it may import only sim/ and scenes/.',
      severity: 'error',
      from: { path: '^scenes/' },
      to: { path: oursExcept('sim', 'scenes') },
    },
    {
      name: 'memory-only-memory',
      comment: 'memory/ is self-contained: of our code it may import only memory/.',
      severity: 'error',
      from: { path: '^memory/' },
      to: { path: oursExcept('memory') },
    },
    {
      name: 'agent-only-sim-scenes-memory-agent',
      comment: 'agent/ may import sim/, scenes/, memory/ and agent/ of our code.',
      severity: 'error',
      from: { path: '^agent/' },
      to: { path: oursExcept('sim', 'scenes', 'memory', 'agent') },
    },
    {
      name: 'agent-lm-knows-no-world',
      comment:
        'agent/lm/ talks to language models and knows nothing of the world: it may not import sim/ or ' +
        'scenes/ (not even types).',
      severity: 'error',
      from: { path: '^agent/lm/' },
      to: { path: '^(sim|scenes)/' },
    },
    {
      name: 'record-only-sim-agent-scenes-record',
      comment: 'record/ (recording and replay) may import sim/, agent/, scenes/ and record/ of our code.',
      severity: 'error',
      from: { path: '^record/' },
      to: { path: oursExcept('sim', 'agent', 'scenes', 'record') },
    },
    {
      name: 'eval-not-web-cli',
      comment: 'eval/ may import anything but web/ and cli/.',
      severity: 'error',
      from: { path: '^eval/' },
      to: { path: '^(web|cli)/' },
    },
    {
      name: 'web-not-eval-cli',
      comment: 'web/ (the browser app) may import anything but eval/ and cli/.',
      severity: 'error',
      from: { path: '^web/' },
      to: { path: '^(eval|cli)/' },
    },
    {
      name: 'cli-not-web',
      comment: 'cli/ may import anything but web/.',
      severity: 'error',
      from: { path: '^cli/' },
      to: { path: '^web/' },
    },
    {
      name: 'nothing-imports-web',
      comment: 'web/ is a leaf application: nothing but web/ itself (and tests/, bench/) imports it.',
      severity: 'error',
      from: { pathNot: '^(web|tests|bench)/' },
      to: { path: '^web/' },
    },
    {
      name: 'nothing-imports-cli',
      comment: 'cli/ is a leaf application: nothing but cli/ itself (and tests/, bench/) imports it.',
      severity: 'error',
      from: { pathNot: '^(cli|tests|bench)/' },
      to: { path: '^cli/' },
    },
    {
      name: 'sim-scenes-no-node-builtins',
      comment:
        'sim/ and scenes/ also run in the browser (web/ imports them): no Node built-ins (node:fs, node:path, ...). ' +
        'Exempt are only scenes/validate-file.ts (reads scene and scenario files) and scenes/json-schema.ts (writes ' +
        'the JSON Schemas to scenes/schema/).',
      severity: 'error',
      from: { path: '^(sim|scenes)/', pathNot: '^scenes/(validate-file|json-schema)\\.ts$' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'sim-scenes-not-node-only',
      comment:
        'The two files of scenes/ that use Node built-ins are for Node programs (cli/, eval/, tests/): nothing in sim/ ' +
        'or scenes/ imports them, so the rest stays loadable in the browser.',
      severity: 'error',
      from: { path: '^(sim|scenes)/' },
      to: { path: '^scenes/(validate-file|json-schema)\\.ts$' },
    },
    // tests/ and bench/ may import anything: no rule restricts them.

    // ---------------------------------------------------------------------------------------------
    // Hygiene
    // ---------------------------------------------------------------------------------------------
    {
      name: 'no-circular',
      comment:
        'No import cycles (type-only imports included): they make module initialisation order-dependent ' +
        'and the layering meaningless.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import must resolve to a file or an installed package.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],

  options: {
    // `npm run deps` cruises `.` (so folders that do not exist yet are no error); leave out what is not
    // ours: build output, scratch, the bin shim and the root-level config files. node_modules is not
    // excluded (that would hide imports of packages from the rules), only not followed.
    exclude: {
      path: ['^(dist|tmp|out|bin|models|test-results|web/dist|\\.cache|\\.ci|\\.git)/', '^[^/]+\\.(c|m)?(js|ts)$', '^scenes/schema/'],
    },
    // Record npm packages as leaves; do not descend into them.
    doNotFollow: { path: 'node_modules' },
    // Count `import type` too: the contract is about knowledge, not just runtime edges.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // `.ts` specifiers (allowImportingTsExtensions) and `.js` specifiers both resolve.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.tsx', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.d.ts'],
    },
    skipAnalysisNotInRules: true,
  },
};
