import type { Hook } from '@oclif/core';
import { EXIT_CODES } from '../../runtime/errors.js';
import { suggestNames } from '../../runtime/suggest.js';

/**
 * `tq wroker`: says what was typed is no command and which one is close, in
 * tq's own one-line error form, and exits 2 (bad input, per the README's
 * table). Never asks: oclif's not-found plugin prompts on a terminal, then runs
 * its guess, and off a terminal prints no suggestion at all and exits 127.
 */
const hook: Hook<'command_not_found'> = async function (options) {
  // With spaces as separators oclif joins the words that follow into the id ('cal:add:1'): the first is the command.
  const typed = options.id.split(':')[0]!;
  const commands = options.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  const close = suggestNames(typed, commands);
  // Only what the user typed is echoed; control characters would reach their terminal, so they are shown as '?'.
  const shown = typed.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 80);
  process.stderr.write(`Error: '${shown}' is not a ${options.config.bin} command\n`);
  const list = `${options.config.bin} help lists every command`;
  process.stderr.write(`Hint: ${close.length > 0 ? `did you mean ${close.map((c) => `'${c}'`).join(' or ')}? (${list})` : list}\n`);
  this.exit(EXIT_CODES.BAD_INPUT);
};

export default hook;
