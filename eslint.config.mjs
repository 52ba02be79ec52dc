import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

// The layers, from each project.json's `tags`: a project imports only the layers named for its tag,
// and a project without one imports nothing. `layer:domain` (domain, microversion, migration-format) imports no project
// at all; the rule itself refuses every import of an app, whatever the tags.
const DEP_CONSTRAINTS = [
  { sourceTag: 'layer:domain', notDependOnLibsWithTags: ['*'] },
  { sourceTag: 'layer:lib', onlyDependOnLibsWithTags: ['layer:domain', 'layer:lib'] },
  { sourceTag: 'layer:app', onlyDependOnLibsWithTags: ['layer:domain', 'layer:lib'] },
  { sourceTag: 'layer:test-harness', onlyDependOnLibsWithTags: ['layer:domain', 'layer:lib'] },
  { sourceTag: 'layer:e2e', onlyDependOnLibsWithTags: ['layer:domain', 'layer:lib', 'layer:test-harness'] },
];

// The apps' public entry points (tsconfig.base.json). The rule refuses every import of an app; only the
// files below that start whole stacks are allowed these (the rule reads a plain entry as a RegExp).
const APP_ENTRY_POINTS = '^@volume/(api|worker|scheduler|nova-bridge)-app$';

const boundaries = (allow = []) => ({
  '@nx/enforce-module-boundaries': [
    'error',
    {
      allow,
      depConstraints: DEP_CONSTRAINTS,
      // Test-time only: testing's createTestDatabase runs persistence's migrations, and persistence's
      // own specs make their databases with it.
      ignoredCircularDependencies: [['persistence', 'testing']],
    },
  ],
});

export default tseslint.config(
  { ignores: ['**/dist', '**/node_modules', '**/.data', '**/.nx', '**/coverage'] },
  ...nx.configs['flat/base'],
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      ...boundaries(),
    },
  },
  {
    // The whole-stack harness and the suites over it start the apps, or drive parts of them, through
    // their entry points.
    files: ['libs/testing-stack/**/*.ts', 'apps/volume-integration/**/*.ts', 'apps/volume-e2e/**/*.ts'],
    rules: boundaries([APP_ENTRY_POINTS]),
  },
  {
    // Checks the deployment files against each app's config schema, the one source of its variables.
    files: ['apps/volume-e2e/src/deploy-config.spec.ts'],
    rules: boundaries([APP_ENTRY_POINTS, '^\\.\\./\\.\\./(volume-api|volume-scheduler|volume-worker|nova-bridge)/src/config$']),
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
