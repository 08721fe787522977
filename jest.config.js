/** Jest runs TypeScript through esbuild (see jest.esbuild-transform.js for why). */
const esbuild = '<rootDir>/jest.esbuild-transform.js';
const shared = {
  transform: { '^.+\\.ts$': esbuild },
  moduleNameMapper: {
    '^@gantry/(api|worker|gpu-sim|cli|dashboard)$': '<rootDir>/apps/$1/src/index.ts',
    '^@gantry/testing$': '<rootDir>/tooling/testing/src/index.ts',
    '^@gantry/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@gantry/sdk/node$': '<rootDir>/packages/sdk/src/node.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};
module.exports = {
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{packages,apps}/*/{src,test}/**/*.test.ts', '<rootDir>/tooling/testing/{src,test}/**/*.test.ts', '<rootDir>/chaos/**/*.test.ts'], testPathIgnorePatterns: ['\\.int\\.test\\.ts$'] },
    { ...shared, displayName: 'int', testMatch: ['<rootDir>/{packages,apps}/*/{src,test}/**/*.int.test.ts', '<rootDir>/tooling/testing/{src,test}/**/*.int.test.ts'] },
  ],
};
