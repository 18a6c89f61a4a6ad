/**
 * The live topology changes of helpers/live-scenarios.ts through a tunnel with --workers 2: the
 * primary keeps the topology and every change reaches the two workers serving the clients.
 */
import { liveTopologyChanges } from './helpers/live-scenarios.js';

liveTopologyChanges(['--workers', '2'], '--workers 2');
