/**
 * Smart mode under live changes through a tunnel in one process: the scenarios are in
 * helpers/smart-live-scenarios.ts (smart-workers-live.test.ts runs them with --workers 2).
 */
import { smartLiveChanges } from './helpers/smart-live-scenarios.js';

smartLiveChanges([], 'one process');
