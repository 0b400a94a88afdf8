// `npm run demo`: the quick-start in one command. Starts a worker on the
// embedded SQLite broker, registers a pretend user (which queues the 5-second
// welcome mail), waits for the mail's result, then stops the worker warmly.
import { spawn } from 'node:child_process';

const worker = spawn(process.execPath, ['bin/run.js', 'worker', '-c', '4'], { stdio: ['ignore', 'pipe', 'inherit'] });
worker.stdout.pipe(process.stdout);
await new Promise((resolve, reject) => {
  worker.stdout.on('data', (d) => String(d).includes('ready.') && resolve());
  worker.on('exit', (code) => reject(new Error(`worker exited early (${code})`)));
});
const register = spawn(process.execPath, ['--import', 'tsx', 'examples/register.ts', 'xx@gmail.com', '--wait'], { stdio: 'inherit' });
const code = await new Promise((resolve) => register.on('exit', resolve));
worker.kill('SIGTERM');
await new Promise((resolve) => worker.on('exit', resolve));
process.exit(code ?? 1);
