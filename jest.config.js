/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // middy and oauth4webapi ship ESM only; jest runs CommonJS here, so they are transformed too.
  transformIgnorePatterns: ['/node_modules/(?!(@middy|oauth4webapi)/)'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  // One DynamoDB Local (Java, in memory) for the whole run; its endpoint reaches the workers as
  // DYNAMODB_ENDPOINT.
  globalSetup: '<rootDir>/test/support/globalSetup.ts',
  globalTeardown: '<rootDir>/test/support/globalTeardown.ts',
  testTimeout: 30000,
  // More workers than cores: most suites wait (on a local server, DynamoDB Local, webhook retries)
  // more than they compute, so a third overlaps them. Measured on a clean clone with 2 cores: jest
  // 437 s with one worker, 328 s with two, 295 s with three (1,140 tests, all passing).
  maxWorkers: 3,
};
