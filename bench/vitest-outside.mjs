// What the test fixtures import from vitest, outside a test run: no shared data folder (each fixture loads its
// data itself) and no assertions. Bundle a bench script that imports the fixtures with --alias:vitest=./bench/vitest-outside.mjs.
export const inject = () => undefined
export const expect = {}
