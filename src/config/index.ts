export { ConfigSchema, parseConfig, type Config, type ConfigInput } from './config.ts';
