// Hostile scenarios run in a child process: a crash there (SIGSEGV, abort) fails the test instead
// of taking the test runner down with it.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const distIndex = fileURLToPath(new URL('../../dist/index.js', import.meta.url));

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Lines the script printed, trimmed. */
  lines: string[];
}

/**
 * Runs an ES module body in a fresh node process. The body sees `lib` (the built package) and
 * `print(...)` (one line on stdout). `nodeArgs` go before the script (e.g. --expose-gc).
 */
export function runScript(
  body: string,
  options: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number; shellPrefix?: string } = {},
): Promise<ChildResult> {
  const script = `const lib = await import(${JSON.stringify(distIndex)});\nconst print = (...a) => console.log(...a);\n${body}`;
  const args = [...(options.nodeArgs ?? []), '--input-type=module', '-e', script];
  // shellPrefix runs first in a shell (e.g. 'ulimit -f 64;'), which then becomes node.
  const [command, argv] = options.shellPrefix
    ? ['sh', ['-c', `${options.shellPrefix} exec "$0" "$@"`, process.execPath, ...args]]
    : [process.execPath, args];
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv as string[], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, lines: stdout.split('\n').map((l) => l.trim()).filter(Boolean) });
    });
  });
}
