import { currentTask, task } from 'tq';

/**
 * The classic example: a registration handler hands the mail to tq and returns
 * at once; a worker spends five seconds "sending" it.
 */
export const send_mail = task(async (email: string) => {
  const { log, progress } = currentTask();
  log.info(`sending mail to ${email}…`);
  for (let step = 1; step <= 5; step++) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    progress(step / 5, 'sending');
  }
  log.info(`mail sent to ${email}`);
  return 'success';
});
