// ESLint for the repository (`npm run lint`, part of `npm test`): typescript-eslint's type-aware
// rules over every TypeScript file the root tsconfig.json typechecks, plus Gantry's import
// boundaries. Zero warnings: `--max-warnings 0`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const APPS = ['api', 'worker', 'gpu-sim', 'cli', 'dashboard'];
/** Prisma's model delegates (prisma/schema.prisma) and their operations. */
const PRISMA_MODELS = ['tenant', 'apiKey', 'job', 'jobEvent', 'artifact', 'webhookDelivery', 'backend', 'auditEvent', 'upload', 'jobInput'];
const PRISMA_OPERATIONS = ['findMany', 'findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'create', 'createMany', 'createManyAndReturn', 'update', 'updateMany', 'updateManyAndReturn', 'delete', 'deleteMany', 'count', 'upsert', 'aggregate', 'groupBy'];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', 'packages/db/src/generated/**', 'apps/dashboard/client/**', 'apps/dashboard/public/**'] },
  {
    files: ['packages/*/{src,test}/**/*.ts', 'apps/*/{src,test}/**/*.ts', 'tooling/testing/{src,test}/**/*.ts', 'bench/**/*.ts', 'chaos/**/*.ts', 'test/**/*.ts'],
    extends: [tseslint.configs.base],
    languageOptions: {
      parserOptions: { project: [path.join(root, 'tsconfig.json')], tsconfigRootDir: root },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { args: 'after-used', argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
    },
  },
  {
    // Packages are the lower floors of the house: they never reach up into an app. (Their tests
    // may start an app, e.g. a driver's test runs against the gpu-sim.)
    files: ['packages/*/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: `^@gantry/(${APPS.join('|')})(/|$)`, message: 'packages never import apps' }] }],
    },
  },
  {
    // Apps reach PostgreSQL only through @gantry/db: no Prisma client or driver of their own, no
    // model call or raw SQL of their own (a repository function in packages/db does it, typed, once).
    files: ['apps/*/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: `CallExpression > MemberExpression.callee[property.name=/^(${PRISMA_OPERATIONS.join('|')})$/] > MemberExpression.object[property.name=/^(${PRISMA_MODELS.join('|')})$/]`,
          message: 'apps reach the database only through @gantry/db: call (or add) a repository function there',
        },
        {
          selector: 'MemberExpression[property.name=/^\\$(queryRaw|executeRaw|queryRawUnsafe|executeRawUnsafe)$/]',
          message: 'apps reach the database only through @gantry/db: raw SQL belongs in a repository function there',
        },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@prisma/', message: 'apps reach the database only through @gantry/db' },
            { regex: '^pg$', message: 'apps reach the database only through @gantry/db' },
            { regex: '^@gantry/db/.+', message: 'import @gantry/db itself, not its files' },
          ],
        },
      ],
    },
  },
);
