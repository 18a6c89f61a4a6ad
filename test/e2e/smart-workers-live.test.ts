/**
 * The smart-mode live changes of helpers/smart-live-scenarios.ts through a tunnel with
 * --workers 2: the smart port's clients are served by the workers, the topology by the primary.
 */
import { smartLiveChanges } from './helpers/smart-live-scenarios.js';

smartLiveChanges(['--workers', '2'], '--workers 2');
