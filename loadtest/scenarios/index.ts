import type { ScenarioName } from '../options.js';
import { flashSale } from './flash-sale.js';
import { fanout, soak, steady } from './steady.js';
import type { Scenario } from './types.js';

export const scenarios: Record<ScenarioName, Scenario> = { 'flash-sale': flashSale, steady, fanout, soak };
