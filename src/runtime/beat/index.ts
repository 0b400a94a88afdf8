/** tq beat: sends periodic tasks (cron, interval), each tick exactly once across any number of beats. */
export { collectSchedule, MAX_CATCH_UP, MIN_INTERVAL_MS, type BeatEntry, type CatchUp } from './entries.js';
export { runBeat, MAX_SLEEP_MS, type RunBeatOptions } from './scheduler.js';
export { describeSchedule, formatInZone, type EntryListing } from './describe.js';
export { systemClock, type Clock } from './clock.js';
export { planTicks, type TickPlan } from './plan.js';
export { CronSchedule, IntervalSchedule, type Schedule } from './schedule.js';
export { tickId, tickKey, watermarkKey } from './tick.js';
export { parseDuration, formatDuration } from './duration.js';
