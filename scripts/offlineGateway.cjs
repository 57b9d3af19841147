// osls loads plugins with require(); the plugin is TypeScript like the rest of scripts/, so it is
// loaded through tsx, as serverless-offline loads the handlers.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS file, loaded by require()
const { require: tsxRequire } = require('tsx/cjs/api');

module.exports = tsxRequire('./offlineGateway.ts', module.filename).OfflineGateway;
