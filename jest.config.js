import { availableParallelism } from 'node:os';

/**
 * One jest run for the whole workspace, in ESM mode (Nest 12 and jose 6 are ESM-only).
 * Workspace packages resolve to their TypeScript sources, so tests never need a build.
 * ts-jest only transpiles (`diagnostics: false`): `npm test` type-checks every file, tests
 * included, with `npm run typecheck` before jest starts (test/repository/typecheck.spec.ts).
 * @type {import('jest').Config}
 */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }],
  },
  moduleNameMapper: {
    '^@jwks-cache/nestjs$': '<rootDir>/packages/nestjs/src/index.ts',
    '^@jwks-cache/nestjs/passport$': '<rootDir>/packages/nestjs/src/passport/index.ts',
    '^@jwks-cache/nestjs/health$': '<rootDir>/packages/nestjs/src/health/index.ts',
    '^@jwks-cache/nestjs/microservices$': '<rootDir>/packages/nestjs/src/microservices/index.ts',
    '^@jwks-cache/nestjs/websockets$': '<rootDir>/packages/nestjs/src/websockets/index.ts',
    '^@jwks-cache/nestjs/store$': '<rootDir>/packages/nestjs/src/store/index.ts',
    '^@jwks-cache/nestjs/discovery$': '<rootDir>/packages/nestjs/src/discovery/index.ts',
    '^@jwks-cache/testing$': '<rootDir>/packages/testing/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: [
    '<rootDir>/packages/*/src/**/*.spec.ts',
    '<rootDir>/packages/*/test/**/*.spec.ts',
    '<rootDir>/packages/*/test/**/*.e2e-spec.ts',
    '<rootDir>/apps/*/src/**/*.spec.ts',
    '<rootDir>/apps/*/test/**/*.e2e-spec.ts',
    '<rootDir>/libs/*/src/**/*.spec.ts',
    '<rootDir>/libs/*/test/**/*.spec.ts',
    '<rootDir>/test/**/*.spec.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  testTimeout: 30000,
  // jest's default (cores - 1) runs one file at a time on 2 cores. Several files spend most of
  // their time waiting (the benchmark smoke run and the sample app run in child processes, fault
  // tests wait for timeouts), so two workers overlap that waiting with the others' work.
  maxWorkers: Math.max(2, availableParallelism() - 1),
};
