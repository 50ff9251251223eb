// ESLint flat config (ESLint 9 + typescript-eslint 8).
//
// Layers:
//   1. @eslint/js recommended + typescript-eslint recommended (syntactic, fast) for every file.
//   2. typescript-eslint recommended-type-checked + switch-exhaustiveness-check for the TypeScript
//      in tsconfig.json (typed via the project service).
//   3. Determinism rules for the folders whose behaviour must be a pure function of the seed:
//      sim/, scenes/, agent/, memory/.
//   4. sim/ only: no cannon-es World.fixedStep (it reads the wall clock).
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const DETERMINISM =
  'randomness must come from the seeded Rng in sim/rng.ts and time from the simulation ' +
  "(wall-clock for measurement is injected by the caller, e.g. the loop's `clock` option).";

/** Wall-clock and entropy reads forbidden in deterministic code (no-restricted-properties). */
const determinismProperties = [
  { object: 'Math', property: 'random', message: `Math.random is not allowed: ${DETERMINISM}` },
  { object: 'Date', property: 'now', message: `Date.now is not allowed: ${DETERMINISM}` },
  { object: 'performance', property: 'now', message: `performance.now is not allowed: ${DETERMINISM}` },
  { object: 'crypto', property: 'getRandomValues', message: `crypto.getRandomValues is not allowed: ${DETERMINISM}` },
  { object: 'crypto', property: 'randomUUID', message: `crypto.randomUUID is not allowed: ${DETERMINISM}` },
];

/** Wall-clock reads that are syntax rather than property access (no-restricted-syntax). */
const determinismSyntax = [
  {
    selector: "NewExpression[callee.type='Identifier'][callee.name='Date'][arguments.length=0]",
    message: `new Date() reads the wall clock: ${DETERMINISM} (new Date(value) from a simulated time is fine).`,
  },
  {
    selector: "CallExpression[callee.type='Identifier'][callee.name='Date']",
    message: `Date() reads the wall clock: ${DETERMINISM}`,
  },
];

/** cannon-es World.fixedStep(dt) measures elapsed wall time with performance.now(). */
const noFixedStep = [
  {
    selector: "MemberExpression[property.type='Identifier'][property.name='fixedStep']",
    message:
      'Do not use cannon-es World.fixedStep(): it reads the wall clock (performance.now) to decide ' +
      'how many substeps to take. Step the physics with world.step(FIXED_DT) from simulation time.',
  },
  {
    selector: "MemberExpression[computed=true][property.value='fixedStep']",
    message: 'Do not use cannon-es World.fixedStep(): it reads the wall clock. Use world.step(FIXED_DT).',
  },
];

const TS_FILES = ['**/*.ts', '**/*.mts', '**/*.cts'];

export default defineConfig(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'tmp/**',
      'scenes/schema/**',
      '**/*.json',
      '.cache/**',
      'out/**',
    ],
  },

  js.configs.recommended,
  ...tseslint.configs.recommended,

  {
    languageOptions: {
      ecmaVersion: 'latest',
      sourceType: 'module',
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'after-used',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // tsconfig has verbatimModuleSyntax: type-only imports must say so.
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'separate-type-imports', disallowTypeAnnotations: true },
      ],
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },

  // Plain JavaScript (bin/, config files): no-undef is on there, so declare the Node globals
  // they use. (TypeScript files leave undefined names to the compiler.)
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', URL: 'readonly' },
    },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly', console: 'readonly' },
    },
  },

  // Type-aware rules: only for the TypeScript sources covered by tsconfig.json (typed through the
  // project service; the whole repo lints in well under a minute on 2 cores).
  ...tseslint.configs.recommendedTypeCheckedOnly.map((config) => ({ ...config, files: TS_FILES })),
  {
    files: TS_FILES,
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: dirname(fileURLToPath(import.meta.url)),
      },
    },
    rules: {
      // Planners implement an async interface; an `async` method that happens not to await is fine.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false },
      ],
    },
  },

  // Determinism: the simulation, scenes, agents and memory are pure functions of the seed.
  {
    files: ['sim/**', 'scenes/**', 'agent/**', 'memory/**'],
    rules: {
      'no-restricted-properties': ['error', ...determinismProperties],
      'no-restricted-syntax': ['error', ...determinismSyntax],
    },
  },

  // sim/: additionally no cannon-es fixedStep. (no-restricted-syntax options do not merge
  // across config objects, so the determinism selectors are repeated here.)
  {
    files: ['sim/**'],
    rules: {
      'no-restricted-syntax': ['error', ...determinismSyntax, ...noFixedStep],
    },
  },
);
