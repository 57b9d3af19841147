import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import { bytes, median, ms, num, table, type Section, type TargetResult } from './stats';
import { readZip } from './zip';

/**
 * Section 3: what a cold start carries. `serverless package` builds the real zips (esbuild,
 * minified, the AWS SDK left to the runtime); each bundle is unpacked inside the repository
 * (so that `@aws-sdk/*` resolves from node_modules, as the Lambda runtime provides it) and
 * imported by fresh `node` processes to time module initialisation. The folder matches the
 * `.esbuild*` patterns that git, ESLint and Prettier already ignore.
 */

const WORK = resolve('.esbuild-bench-out');
const ESBUILD_WORK_FOLDER = '.esbuild-bench';
const RUNS = 7;
const TARGET_BYTES = 300_000;
const PACKAGE_TIMEOUT_MS = 240_000;
/** The functions whose bundle is also rebuilt with the suggested fix and timed. */
const FIX_TIMED = ['secretsGet', 'secretsRefresh'];

const run = promisify(execFile);

/** The same options as serverless.yml's custom.esbuild, for the analysis builds. */
const BUILD_OPTIONS: esbuild.BuildOptions = {
  bundle: true,
  minify: true,
  sourcemap: false,
  target: 'node22',
  platform: 'node',
  format: 'esm',
  external: ['@aws-sdk/*'],
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  write: false,
  metafile: true,
  logLevel: 'silent',
};

/** The environment a deployed function starts with (AWS mode: a KMS key id, no local key file). */
const LAMBDA_ENV = {
  PATH: process.env.PATH ?? '',
  TABLE_NAME: 'auth-secrets-dev',
  KMS_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000',
  AWS_REGION: 'us-east-1',
  AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  TOKEN_URL_HTTP_HOSTS: '',
  REFRESH_WINDOW_SECONDS: '600',
  REFRESH_CONCURRENCY: '8',
  REFRESH_TIMEOUT_MS: '8000',
  ACCESS_CACHE_SECONDS: '30',
};

/**
 * In a fresh process: imports the AWS SDK packages every function uses (argv[2] = 'sdk'), then
 * the module named by argv[1], timing each; prints the times. The two add up to the function's
 * module initialisation (the bundle's own SDK imports then hit the module cache).
 */
const PROBE = `
const { pathToFileURL } = await import('node:url');
let start = performance.now();
if (process.argv[2] === 'sdk') {
  await import('@aws-sdk/client-dynamodb');
  await import('@aws-sdk/lib-dynamodb');
  await import('@aws-sdk/client-kms');
}
const sdkMs = performance.now() - start;
start = performance.now();
const loaded = process.argv[1] ? await import(pathToFileURL(process.argv[1]).href) : {};
const ownMs = performance.now() - start;
process.stdout.write(JSON.stringify({ sdkMs, ownMs, readyMs: performance.now(), exports: Object.keys(loaded) }));
`;

interface Probe {
  /** Importing the three SDK packages. */
  sdkMs: number;
  /** Importing the bundle after them: the function's own initialisation. */
  ownMs: number;
  /** Since the process started. */
  readyMs: number;
}

const initMs = (probe: Probe) => probe.sdkMs + probe.ownMs;

interface FunctionResult {
  readonly name: string;
  readonly bundleBytes: number;
  readonly zipBytes: number;
  readonly probes: Probe[];
  readonly breakdown: Array<[string, number]>;
  readonly fixedBytes: number;
  readonly fixedProbes?: Probe[];
}

export async function coldStartSection(): Promise<Section> {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  const packageDir = join(WORK, 'package');
  const packageStart = performance.now();
  await run(resolve('node_modules/.bin/serverless'), ['package', '--stage', 'dev', '--package', packageDir], {
    env: { ...process.env, ESBUILD_WORK_FOLDER },
    timeout: PACKAGE_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
  });
  const packageSeconds = (performance.now() - packageStart) / 1000;

  const bundles = readdirSync(packageDir)
    .filter((file) => file.endsWith('.zip'))
    .sort()
    .map((file) => unpack(join(packageDir, file)));
  const fixed = new Map<string, string>();
  for (const bundle of bundles) fixed.set(bundle.name, await buildFixed(bundle));

  const baseline: Probe[] = [];
  const probes = new Map<string, Probe[]>(bundles.map((bundle) => [bundle.name, []]));
  const fixedProbes = new Map<string, Probe[]>(FIX_TIMED.map((name) => [name, []]));
  // Round-robin, so that a slow moment of the machine spreads over every function.
  for (let round = 0; round < RUNS; round++) {
    baseline.push(await probe('', false));
    for (const bundle of bundles) probes.get(bundle.name)?.push(await probe(bundle.file));
    for (const [name, list] of fixedProbes) list.push(await probe(fixed.get(name) ?? ''));
  }

  const results: FunctionResult[] = [];
  for (const bundle of bundles) {
    const analysis = await analyse(bundle.entry);
    const fixedTimes = fixedProbes.get(bundle.name);
    results.push({
      name: bundle.name,
      bundleBytes: bundle.bytes,
      zipBytes: bundle.zipBytes,
      probes: probes.get(bundle.name) ?? [],
      breakdown: analysis,
      fixedBytes: readFileSync(fixed.get(bundle.name) ?? '').length,
      ...(fixedTimes ? { fixedProbes: fixedTimes } : {}),
    });
  }
  return render(results, baseline, packageSeconds);
}

interface Bundle {
  readonly name: string;
  readonly entry: string;
  readonly file: string;
  readonly bytes: number;
  readonly zipBytes: number;
}

function unpack(zipPath: string): Bundle {
  const files = readZip(zipPath);
  const modules = [...files.entries()].filter(([name]) => name.endsWith('.mjs'));
  const [module] = modules;
  if (!module || modules.length !== 1)
    throw new Error(`${zipPath}: expected one .mjs, found ${modules.length}`);
  const [path, content] = module;
  const name = path.replace(/^.*\//, '').replace(/\.mjs$/, '');
  const file = join(WORK, 'bundles', name, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  return {
    name,
    entry: path.replace(/\.mjs$/, '.ts'),
    file,
    bytes: content.length,
    zipBytes: readFileSync(zipPath).length,
  };
}

/** Times the SDK and then `file` in a fresh process (neither: an empty process); a bundle must export a handler. */
async function probe(file: string, isBundle = true): Promise<Probe> {
  const args = ['--input-type=module', '-e', PROBE, file, isBundle ? 'sdk' : ''];
  const { stdout } = await run(process.execPath, args, {
    env: LAMBDA_ENV,
    timeout: 30_000,
  });
  const result = JSON.parse(stdout) as Probe & { exports: string[] };
  if (isBundle && !result.exports.includes('handler')) {
    throw new Error(`${file} exports no handler`);
  }
  return result;
}

/** Input bytes in the minified output, grouped by where they come from, largest first. */
async function analyse(entry: string): Promise<Array<[string, number]>> {
  const result = await esbuild.build({
    ...BUILD_OPTIONS,
    entryPoints: [entry],
    outfile: join(WORK, 'analysis.mjs'),
  });
  const [output] = Object.values(result.metafile?.outputs ?? {});
  const groups = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const group = groupOf(input);
    groups.set(group, (groups.get(group) ?? 0) + bytesInOutput);
  }
  return [...groups.entries()].sort((a, b) => b[1] - a[1]);
}

function groupOf(input: string): string {
  if (input.includes('node_modules/zod/v4/locales/')) return 'zod locales';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match?.[1]) return match[1];
  return input.startsWith('functions/') ? 'functions/' : input.startsWith('lib/') ? 'lib/' : input;
}

const ZOD_NAMED_IMPORT = /import \{ z \} from 'zod';/g;

/** The source files that `import { z } from 'zod'`. */
function zodNamedImporters(): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (path.endsWith('.ts') && readFileSync(path, 'utf8').match(ZOD_NAMED_IMPORT)) found.push(path);
    }
  };
  for (const dir of ['lib', 'functions']) walk(dir);
  return found.sort();
}

/**
 * The bundle as it would be with `import * as z from 'zod'` instead of `import { z } from 'zod'`:
 * esbuild drops unused exports of a namespace import, but `z` is itself a namespace object that
 * re-exports `locales`, so the named import keeps every locale.
 */
async function buildFixed(bundle: Bundle): Promise<string> {
  const file = join(WORK, 'fixed', bundle.name, bundle.entry.replace(/\.ts$/, '.mjs'));
  await esbuild.build({
    ...BUILD_OPTIONS,
    entryPoints: [bundle.entry],
    outfile: file,
    write: true,
    metafile: false,
    plugins: [
      {
        name: 'zod-namespace-import',
        setup(build) {
          build.onLoad({ filter: /[\\/](lib|functions)[\\/].*\.ts$/ }, (args) => ({
            contents: readFileSync(args.path, 'utf8').replace(ZOD_NAMED_IMPORT, "import * as z from 'zod';"),
            loader: 'ts',
          }));
        },
      },
    ],
  });
  return file;
}

function render(results: FunctionResult[], baseline: Probe[], packageSeconds: number): Section {
  const missing = results.filter((result) => result.bundleBytes >= TARGET_BYTES);
  const largest = [...results].sort((a, b) => b.bundleBytes - a.bundleBytes)[0];
  const largestFixed = Math.max(...results.map((result) => result.fixedBytes));
  const sdkMs = median(results.flatMap((result) => result.probes.map((p) => p.sdkMs)));
  const kib = (value: number) => `${(value / 1024).toFixed(1)} KiB`;
  const parts = (result: FunctionResult, count = 3) =>
    result.breakdown
      .slice(0, count)
      .map(([group, size]) => `${group} ${kib(size)}`)
      .join(', ');
  const timedFix = results.filter((result) => result.fixedProbes);
  const zodFiles = zodNamedImporters();
  const markdown = [
    `\`serverless package --stage dev\` built ${results.length} zips in ${packageSeconds.toFixed(1)} s ` +
      `(esbuild, minified, ESM, \`@aws-sdk/*\` left to the runtime). **bundle** is the unzipped \`.mjs\`. ` +
      `**init** is the \`import()\` of that file in a fresh \`node\` process (Node ${process.version}, ` +
      `AWS-mode environment: clients are built, nothing is called; the SDK resolves from node_modules as the ` +
      `runtime provides it), median and max of ${RUNS} processes taken round-robin. Each process first ` +
      `imports the three AWS SDK packages every function uses (median ${ms(sdkMs)} over all processes: most ` +
      `of every init), then the bundle: **own** is that second part, the function's own initialisation, and ` +
      `**init** the sum. For scale, an empty \`node\` process is ready ` +
      `${ms(median(baseline.map((p) => p.readyMs)))} after it starts. Lambda adds its runtime bootstrap and ` +
      `the code download, not measured here. **parts**: ` +
      `bytes in the minified output by origin (esbuild metafile of the same build). **fixed** is the bundle ` +
      `rebuilt with the same options and \`import * as z from 'zod'\` (see below).`,
    '',
    table(
      [
        'function',
        'bundle',
        'zip',
        `< ${num(TARGET_BYTES / 1000)} KB`,
        'init median',
        'init max',
        'own',
        'parts',
        'fixed',
      ],
      results.map((result) => [
        result.name,
        bytes(result.bundleBytes),
        kib(result.zipBytes),
        result.bundleBytes < TARGET_BYTES ? 'pass' : '**miss**',
        ms(median(result.probes.map(initMs))),
        ms(Math.max(...result.probes.map(initMs))),
        ms(median(result.probes.map((p) => p.ownMs))),
        parts(result),
        kib(result.fixedBytes),
      ]),
    ),
    '',
    missing.length === 0
      ? 'Every bundle is under the target.'
      : [
          `**${missing.length} of ${results.length} bundles miss the ${num(TARGET_BYTES / 1000)} KB target.** ` +
            (largest ? `The largest, ${largest.name}: ${parts(largest, 10)}.` : ''),
          '',
          `Why: zod. ${zodFiles.map((file) => `\`${file}\``).join(', ')} ` +
            `\`import { z } from 'zod'\`, and that \`z\` is a namespace object that re-exports \`locales\`, so ` +
            `esbuild keeps all of zod's locale modules and every zod export, used or not (zod's own source notes ` +
            `that Rollup and Webpack shake this form; esbuild does not). The fix is one line in each of those files: ` +
            `\`import * as z from 'zod'\`, from which esbuild keeps only what is used. Rebuilt that way (the ` +
            `**fixed** column), every bundle is under the target; the largest is ${kib(largestFixed)}.` +
            (timedFix.length > 0
              ? ` Own initialisation with the fix: ${timedFix
                  .map(
                    (result) =>
                      `${result.name} ${ms(median((result.fixedProbes ?? []).map((p) => p.ownMs)))} ` +
                      `(now ${ms(median(result.probes.map((p) => p.ownMs)))})`,
                  )
                  .join(', ')}, median of ${RUNS}; the SDK import dominates the cold start either way.`
              : ''),
          "zod's tree-shakable `zod/mini` API would go further, at the price of rewriting the schemas.",
        ].join('\n'),
  ].join('\n');
  const target: TargetResult = {
    target: `each function bundle under ${num(TARGET_BYTES / 1000)} KB minified`,
    pass: missing.length === 0,
    measured:
      `${results.length - missing.length} of ${results.length} under; largest ` +
      `${largest ? `${largest.name} ${kib(largest.bundleBytes)}` : 'n/a'}`,
    ...(missing.length === 0
      ? {}
      : {
          note:
            `zod's locales and unused exports are most of each bundle: esbuild cannot shake \`import { z } from ` +
            `'zod'\`. \`import * as z from 'zod'\` in the ${zodFiles.length} files that import it brings the largest bundle to ` +
            `${kib(largestFixed)} (measured: see 'Cold start').`,
        }),
  };
  return { title: 'Cold start: bundle size and module initialisation', markdown, targets: [target] };
}
