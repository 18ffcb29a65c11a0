// Placement constraints evaluated against a node, as SwarmKit's manager/constraint.NodeMatches:
// values compare case-insensitively, a missing label or hostname is the empty string (so
// `node.labels.zone!=eu` holds on a node without the label), node.ip accepts an address or a
// CIDR network. Expressions are parsed once per task group with src/api's parseConstraint.

import { BlockList, isIP } from 'node:net';
import { hostOf } from '../../util/host.js';
import { parseConstraint, ValidationError, type Constraint, type Node } from '../../api/index.js';
import type { DeepReadonly } from '../store/index.js';

export type NodePredicate = (node: DeepReadonly<Node>) => boolean;

/**
 * One predicate for all the expressions (they must all hold). An expression that does not parse
 * (a task written around the control API's validation) matches no node, as SwarmKit does, and
 * the task reports "scheduling constraints not satisfied".
 */
export function compileConstraints(expressions: readonly string[]): NodePredicate {
  if (expressions.length === 0) return () => true;
  const predicates: NodePredicate[] = [];
  for (const expression of expressions) {
    let constraint: Constraint;
    try {
      constraint = parseConstraint(expression);
    } catch (err) {
      if (err instanceof ValidationError) return () => false;
      throw err;
    }
    predicates.push(compileOne(constraint));
  }
  return predicates.length === 1 ? predicates[0]! : (node) => predicates.every((p) => p(node));
}

function compileOne(constraint: Constraint): NodePredicate {
  const equal = constraint.operator === '==';
  if (constraint.field === 'node.ip') return compileIp(constraint.value, equal);
  const wanted = constraint.value.toLowerCase();
  const read = fieldReader(constraint);
  return (node) => (read(node).toLowerCase() === wanted) === equal;
}

function fieldReader(constraint: Constraint): (node: DeepReadonly<Node>) => string {
  const label = constraint.label ?? '';
  switch (constraint.field) {
    case 'node.id':
      return (node) => node.id;
    case 'node.hostname':
      return (node) => node.description?.hostname ?? '';
    case 'node.role':
      return (node) => node.spec.role;
    case 'node.platform.os':
      return (node) => node.description?.platform.os ?? '';
    case 'node.platform.arch':
      return (node) => node.description?.platform.architecture ?? '';
    case 'node.labels':
      return (node) => labelValue(node.spec.labels, label);
    case 'engine.labels':
      return (node) => labelValue(node.description?.engine.labels, label);
    case 'node.ip':
      throw new Error('node.ip is compiled by compileIp');
  }
}

function labelValue(labels: Readonly<Record<string, string>> | undefined, label: string): string {
  return labels !== undefined && Object.hasOwn(labels, label) ? (labels[label] ?? '') : '';
}

/**
 * `node.ip==10.0.0.0/8` holds when the node's address is in the network (or is the address);
 * `!=` when it is not. A node whose address cannot be read satisfies neither: the scheduler
 * cannot tell, and placing a task where a constraint may not hold is the worse mistake.
 */
function compileIp(value: string, equal: boolean): NodePredicate {
  const list = new BlockList();
  const slash = value.indexOf('/');
  const base = slash < 0 ? value : value.slice(0, slash);
  const family = isIP(base) === 6 ? 'ipv6' : 'ipv4';
  if (slash < 0) list.addAddress(base, family);
  else list.addSubnet(base, Number(value.slice(slash + 1)), family);
  return (node) => {
    const addr = hostOf(node.status.addr);
    const addrFamily = isIP(addr);
    if (addrFamily === 0) return false;
    return list.check(addr, addrFamily === 6 ? 'ipv6' : 'ipv4') === equal;
  };
}
