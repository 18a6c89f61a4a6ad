/**
 * Live topology changes through a tunnel in one process: the scenarios are in
 * helpers/live-scenarios.ts (workers-live.test.ts runs them with --workers 2).
 */
import { liveTopologyChanges } from './helpers/live-scenarios.js';

liveTopologyChanges([], 'one process');
