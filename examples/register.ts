/**
 * The classic scenario: a registration handler stores the user, hands the
 * welcome mail to tq and answers at once. Run it with a worker running:
 *   node --import tsx examples/register.ts someone@example.com
 */
import { closeDefaultClient } from 'tq';
import { send_mail } from '../tasks/send_mail.js';

const users: { email: string; createdAt: Date }[] = [];

async function register(email: string): Promise<string> {
  users.push({ email, createdAt: new Date() }); // pretend INSERT INTO users
  const mail = await send_mail.delay(email);
  return mail.id;
}

const email = process.argv[2] ?? 'xx@gmail.com';
const started = performance.now();
const id = await register(email);
const took = performance.now() - started;
console.log(`registered ${email} in ${took.toFixed(1)} ms; welcome mail queued as task ${id}`);
if (process.argv.includes('--wait')) {
  const { getDefaultClient } = await import('tq');
  const value = await (await getDefaultClient()).asyncResult(id).get({ timeout: 60_000 });
  console.log(`mail task finished: ${JSON.stringify(value)}`);
}
await closeDefaultClient();
