/**
 * `npm test`: the static checks (tsc, ESLint, Prettier) and jest, run side by side. Jest's global
 * setup spends its first half minute starting DynamoDB Local and the shared local server, much of it
 * waiting; the checks fill that time instead of running before it. The checks' output is printed
 * when they end (so that it does not interleave with jest's); the run fails if any step fails.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const bin = (name: string) => resolve('node_modules/.bin', name);

interface Step {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
}

const CHECKS: readonly Step[] = [
  { name: 'typecheck', command: bin('tsc'), args: ['--noEmit'] },
  { name: 'eslint', command: bin('eslint'), args: ['.'] },
  { name: 'prettier', command: bin('prettier'), args: ['--check', '.'] },
];

/** Runs a step with its output kept, resolving to its exit code and what it printed. */
function runQuietly(step: Step): Promise<{ step: Step; code: number; output: string }> {
  return new Promise((resolveRun) => {
    const child = spawn(step.command, step.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('error', (error) => {
      resolveRun({ step, code: 1, output: `${output}${error.message}\n` });
    });
    child.on('close', (code) => {
      resolveRun({ step, code: code ?? 1, output });
    });
  });
}

function runLoudly(command: string, args: readonly string[]): Promise<number> {
  return new Promise((resolveRun) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('error', () => {
      resolveRun(1);
    });
    child.on('close', (code) => {
      resolveRun(code ?? 1);
    });
  });
}

async function main(): Promise<void> {
  const checks = Promise.all(CHECKS.map(runQuietly));
  const jest = runLoudly(bin('jest'), process.argv.slice(2));
  const [checked, jestCode] = await Promise.all([checks, jest]);
  let failed = jestCode !== 0;
  for (const { step, code, output } of checked) {
    console.log(`\n${step.name}: ${code === 0 ? 'passed' : `FAILED (exit ${code})`}`);
    if (code !== 0 || output.trim()) console.log(output.trimEnd());
    if (code !== 0) failed = true;
  }
  process.exit(failed ? 1 : 0);
}

void main();
