/**
 * An esbuild plugin for test runs only: every local server but the run's first one, and the
 * package tests' later packages, serve copies of the bundles the first server built, instead of
 * bundling all the functions again (several seconds of both cores each time).
 *
 * serverless.yml loads it from custom.esbuild.plugins when ESBUILD_PLUGINS names this file
 * (test/support/server.ts sets it, with ESBUILD_REUSE_FROM: the first server's build folder, once
 * that server is up). serverless-esbuild still runs as always, with the same options, into each
 * server's own folder; only each entry point it already has a bundle for is loaded as an empty
 * module, and that bundle is copied over the output when the build ends. An entry without a
 * bundle there (a function added during the run) is built as usual.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS file, loaded by require() */
const { copyFileSync, existsSync } = require('node:fs');
const path = require('node:path');
/* eslint-enable @typescript-eslint/no-require-imports */

const from = process.env.ESBUILD_REUSE_FROM;

module.exports = [
  {
    name: 'reuse-build',
    setup(build) {
      if (!from)
        throw new Error('ESBUILD_PLUGINS names the reuse-build plugin, but ESBUILD_REUSE_FROM is not set');
      const { entryPoints = [], outdir, outExtension } = build.initialOptions;
      if (!outdir || !Array.isArray(entryPoints)) return;
      const extension = outExtension?.['.js'] ?? '.js';
      /** Absolute entry path → [bundle to copy, where esbuild writes this entry's output]. */
      const reused = new Map();
      for (const entry of entryPoints) {
        if (typeof entry !== 'string') continue;
        const stem = entry.slice(0, entry.length - path.extname(entry).length);
        const bundle = path.join(from, `${stem}${extension}`);
        if (existsSync(bundle)) {
          reused.set(path.resolve(entry), [bundle, path.join(outdir, `${path.basename(stem)}${extension}`)]);
        }
      }
      if (reused.size === 0) return;
      build.onLoad({ filter: /.*/ }, (args) =>
        reused.has(args.path) ? { contents: '', loader: 'js' } : undefined,
      );
      // esbuild has written its output when end callbacks run.
      build.onEnd((result) => {
        if (result.errors.length > 0) return;
        for (const [bundle, output] of reused.values()) copyFileSync(bundle, output);
      });
    },
  },
];
