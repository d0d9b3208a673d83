export {
  type AttackId,
  type AttackRun,
  applyAttack,
  attackIds,
  attackRegistry,
  checkAttackInputs,
  getAttack,
} from './registry.js'
export type { Attack, AttackResult } from './types.js'
