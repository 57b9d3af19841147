import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch, cpus, freemem, platform, release, totalmem, type as osType } from 'node:os';

/** What the numbers were measured on, for the report's header. */
export function describeMachine(): Array<[string, string]> {
  const processors = cpus();
  const model = processors[0]?.model.trim() || 'unknown';
  const speed = processors[0]?.speed ? ` @ ${processors[0].speed} MHz` : '';
  return [
    ['CPU', `${model}${speed}`],
    ['cores (logical)', String(processors.length)],
    ['memory', `${gib(totalmem())} GiB (${gib(freemem())} GiB free at start)`],
    ['OS', `${osName()} (${osType()} ${release()}, ${platform()}/${arch()})`],
    ['Node.js', process.version],
    ['commit', gitCommit()],
  ];
}

const gib = (value: number) => (value / 1024 ** 3).toFixed(1);

function osName(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(text);
    if (pretty?.[1]) return pretty[1];
  } catch {
    // not Linux, or no os-release
  }
  return osType();
}

function gitCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    // Only what is measured: other work in progress elsewhere in the tree does not change the numbers.
    const dirty = execFileSync(
      'git',
      [
        'status',
        '--porcelain',
        '--',
        'functions',
        'lib',
        'serverless.yml',
        'package.json',
        'package-lock.json',
      ],
      { encoding: 'utf8' },
    );
    return dirty.trim() ? `${head} (with uncommitted changes to the measured code)` : head;
  } catch {
    return 'unknown';
  }
}
