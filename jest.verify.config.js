/**
 * `npm run verify`: the slower checks that run third-party tools (promtool, helm, actionlint, shellcheck), the
 * fresh-clone and fork runs, and end-to-end CLI runs. Tests are `test/**\/*.verify.ts`; install the tools first with
 * `npm run tools`. The unit suite (`npm test`, jest.config.js) stays fast.
 * @type {import('jest').Config}
 */
module.exports = {
  ...require("./jest.config.js"),
  testMatch: ["**/*.verify.ts"],
  testTimeout: 300000,
};
