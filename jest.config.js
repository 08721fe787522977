/** Jest runs TypeScript through esbuild (see jest.esbuild-transform.js for why). */
const esbuild = '<rootDir>/jest.esbuild-transform.js';
const shared = {
  transform: { '^.+\\.ts$': esbuild },
  moduleNameMapper: {
    '^@gantry/(api|worker|gpu-sim|cli|dashboard)$': '<rootDir>/apps/$1/src/index.ts',
    '^@gantry/testing$': '<rootDir>/tooling/testing/src/index.ts',
    '^@gantry/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@gantry/sdk/node$': '<rootDir>/packages/sdk/src/node.ts',
    '^@gantry/contract/zod-free$': '<rootDir>/packages/contract/src/zod-free.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};
module.exports = {
  testTimeout: 60000,
  // Coverage (`npm test` under CI=true, or `npx jest --coverage`): V8's own counters, of the code
  // the tests run in process (the apps' child processes are not counted), the generated Prisma
  // client and the tests aside. CI fails below 80 % of lines or branches.
  coverageProvider: 'v8',
  collectCoverageFrom: ['{packages,apps}/*/src/**/*.ts', '!**/*.test.ts', '!packages/db/src/generated/**'],
  coverageReporters: ['text-summary', 'json-summary'],
  coverageThreshold: { global: { lines: 80, branches: 80 } },
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{packages,apps}/*/{src,test}/**/*.test.ts', '<rootDir>/tooling/testing/{src,test}/**/*.test.ts', '<rootDir>/chaos/**/*.test.ts'], testPathIgnorePatterns: ['\\.int\\.test\\.ts$'] },
    { ...shared, displayName: 'int', testMatch: ['<rootDir>/{packages,apps}/*/{src,test}/**/*.int.test.ts', '<rootDir>/tooling/testing/{src,test}/**/*.int.test.ts'] },
  ],
};
