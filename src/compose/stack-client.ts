// The part of FlotillaClient the stack functions use: narrow, so tests can hand in a fake and
// the CLI any client that has these calls.

import type { FlotillaClient } from '../client/index.js';

export type StackClient = Pick<
  FlotillaClient,
  | 'listServices'
  | 'createService'
  | 'updateService'
  | 'removeService'
  | 'listTasks'
  | 'listSecrets'
  | 'createSecret'
  | 'removeSecret'
  | 'listConfigs'
  | 'createConfig'
  | 'removeConfig'
>;
