export { SYSTEM_CLOCK, type Clock } from './clock.ts';
