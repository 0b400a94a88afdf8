import { task } from 'tq';
import { probe as body } from '../handler.mjs';

export const probe = task((n?: number) => body(n));
