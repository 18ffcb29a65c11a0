// Linearizability checker for key-value client histories recorded by the Raft simulations and the
// real-process tests: Wing & Gong's search with Lowe's memoization (the approach of Porcupine),
// run per key because linearizability is compositional (Herlihy & Wing, "locality").

export type KvInput =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'get'; key: string }
  | { kind: 'append'; key: string; value: string };

/** get returns value (null = absent); put/append return ok. */
export type KvOutput = { kind: 'ok' } | { kind: 'value'; value: string | null };

export interface Operation {
  clientId: string | number;
  input: KvInput;
  call: number;
  /** Infinity when the outcome is unknown (timeout / crash): the op may or may not have taken effect at any time after call */
  return: number;
  /** null when unknown */
  output: KvOutput | null;
}

export interface CheckResult {
  ok: boolean;
  /**
   * For a failure: the key whose sub-history is not linearizable, and a short human-readable
   * explanation including the smallest prefix of that key's operations (by call time) that
   * already fails, printed one op per line.
   */
  key?: string;
  explanation?: string;
  /** true if the search gave up (budget exhausted) without a verdict */
  timedOut?: boolean;
}

/** The history itself is malformed (a recorder bug), as opposed to not linearizable. */
export class InvalidHistoryError extends Error {
  readonly code = 'INVALID_HISTORY';
  constructor(
    /** Index of the offending operation in the history passed to checkKvHistory. */
    readonly operationIndex: number,
    readonly rule: string,
  ) {
    super(`invalid history: operation ${operationIndex}: ${rule}`);
    this.name = 'InvalidHistoryError';
  }
}

const DEFAULT_MAX_STATES_EXPLORED = 5_000_000;
// A failing prefix of thousands of operations is unreadable anyway; the operations nearest the
// violation (the latest ones) are the useful part, so a longer prefix is cut at the front.
const MAX_PRINTED_OPERATIONS = 200;

/**
 * Checks that the history is linearizable with respect to a map of independent string
 * registers (put sets, append concatenates onto '' when absent, get reads; null = never written).
 *
 * Real-time order (the tie rule): operation A happened before B when A.return < B.call, and also
 * when A.return === B.call — a response recorded at the same instant as another call counts as
 * having come first, so those two operations may not be reordered. The one exception is two
 * zero-duration operations at the same instant (call === return === t for both): under that rule
 * each would precede the other, so they are treated as concurrent instead.
 *
 * An operation with an unknown outcome (return = Infinity, output = null) may take effect at any
 * point after its call, or never; "never" is the same as "at the very end", where its effect is
 * observed by nobody. An operation with a finite return but a null output constrains real-time
 * order but matches any result.
 *
 * @throws InvalidHistoryError when an operation is malformed (times, or an output kind that
 *   does not fit its input kind).
 */
export function checkKvHistory(history: Operation[], options?: { maxStatesExplored?: number }): CheckResult {
  const maxStatesExplored = options?.maxStatesExplored ?? DEFAULT_MAX_STATES_EXPLORED;
  const operationsByKey = new Map<string, Operation[]>();
  history.forEach((op, index) => {
    validateOperation(op, index);
    const forKey = operationsByKey.get(op.input.key);
    if (forKey === undefined) operationsByKey.set(op.input.key, [op]);
    else forKey.push(op);
  });

  // Keys are checked in order of first appearance so the reported key is deterministic. A
  // definite violation anywhere outranks a key on which the search gave up.
  let gaveUp: CheckResult | undefined;
  for (const [key, operations] of operationsByKey) {
    const { verdict, reachedTime, statesExplored } = searchLinearization(operations, maxStatesExplored);
    if (verdict === 'not-linearizable') {
      return {
        ok: false,
        key,
        explanation: explainViolation(key, operations, reachedTime, maxStatesExplored),
      };
    }
    if (verdict === 'gave-up' && gaveUp === undefined) {
      gaveUp = {
        ok: false,
        timedOut: true,
        key,
        explanation:
          `key ${JSON.stringify(key)}: gave up without a verdict after exploring ${statesExplored} ` +
          `configurations of its ${operations.length} operations (maxStatesExplored is ${maxStatesExplored})`,
      };
    }
  }
  return gaveUp ?? { ok: true };
}

/** One line: `[call, return] client c: put("k", "v") -> ok`; `[call, ∞)` and `-> ?` when unknown. */
export function formatOperation(op: Operation): string {
  const interval = op.return === Infinity ? `[${op.call}, ∞)` : `[${op.call}, ${op.return}]`;
  const input = op.input;
  const args =
    input.kind === 'get'
      ? JSON.stringify(input.key)
      : `${JSON.stringify(input.key)}, ${JSON.stringify(input.value)}`;
  let output: string;
  if (op.output === null) output = op.return === Infinity ? '? (outcome unknown)' : '? (output not recorded)';
  else if (op.output.kind === 'ok') output = 'ok';
  else output = op.output.value === null ? 'null' : JSON.stringify(op.output.value);
  return `${interval} client ${op.clientId}: ${input.kind}(${args}) -> ${output}`;
}

function validateOperation(op: Operation, index: number): void {
  if (!Number.isFinite(op.call)) throw new InvalidHistoryError(index, 'call must be a finite number');
  if (Number.isNaN(op.return) || op.return < op.call) {
    throw new InvalidHistoryError(index, 'return must be a number not before call (Infinity when unknown)');
  }
  if (op.return === Infinity && op.output !== null) {
    throw new InvalidHistoryError(index, 'an operation that never returned cannot have a known output');
  }
  if (op.output !== null) {
    const expected = op.input.kind === 'get' ? 'value' : 'ok';
    if (op.output.kind !== expected) {
      throw new InvalidHistoryError(
        index,
        `a ${op.input.kind} must return '${expected}', not '${op.output.kind}'`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The search (WGL with memoization), over one key's operations.

type Verdict = 'linearizable' | 'not-linearizable' | 'gave-up';

interface SearchResult {
  verdict: Verdict;
  /**
   * The latest time t such that the search reached a configuration in which every operation
   * returning before t is linearized (the earliest return among those left). Meaningful for a
   * failure: the history observed at any time before it is linearizable (see observedAt).
   */
  reachedTime: number;
  statesExplored: number;
}

/** One call or return event in the doubly linked list the search consumes. */
class Entry {
  /** The return entry of this call entry; null for a return entry. */
  match: Entry | null = null;
  prev: Entry;
  next: Entry | null = null;
  constructor(
    /** Index of the operation in the searched array; -1 for the list's head. */
    readonly id: number,
    /** The event's time (call or return); only read for return entries. */
    readonly time: number,
    prev: Entry | null,
  ) {
    this.prev = prev ?? this;
  }
}

interface Event {
  readonly id: number;
  readonly isCall: boolean;
  readonly time: number;
  /** Orders events at the same instant; see eventRank. */
  readonly rank: number;
}

/**
 * The tie rule as a sort key among events at the same instant t: first the returns of operations
 * called before t (they happened before everything called at t), then the calls and then the
 * returns of zero-duration operations at t (concurrent with each other, after the former, before
 * the latter), then the calls of operations that last beyond t.
 */
function eventRank(op: Operation, isCall: boolean): number {
  const zeroDuration = op.call === op.return;
  if (isCall) return zeroDuration ? 1 : 3;
  return zeroDuration ? 2 : 0;
}

function buildEntryList(operations: readonly Operation[]): Entry {
  const events: Event[] = [];
  operations.forEach((op, id) => {
    events.push({ id, isCall: true, time: op.call, rank: eventRank(op, true) });
    // Unknown outcomes get their return after everything else (Infinity sorts last).
    events.push({ id, isCall: false, time: op.return, rank: eventRank(op, false) });
  });
  events.sort((a, b) => {
    if (a.time !== b.time) return a.time < b.time ? -1 : 1;
    return a.rank - b.rank || a.id - b.id;
  });

  const head = new Entry(-1, -Infinity, null);
  const returnEntries = new Map<number, Entry>();
  const callEntries: Entry[] = [];
  let last = head;
  for (const event of events) {
    const entry = new Entry(event.id, event.time, last);
    last.next = entry;
    last = entry;
    if (event.isCall) callEntries.push(entry);
    else returnEntries.set(event.id, entry);
  }
  for (const call of callEntries) call.match = returnEntries.get(call.id) ?? null;
  return head;
}

/** Removes a call entry and its return entry from the list (they keep their own links for unlift). */
function lift(call: Entry, ret: Entry): void {
  call.prev.next = call.next;
  if (call.next !== null) call.next.prev = call.prev;
  ret.prev.next = ret.next;
  if (ret.next !== null) ret.next.prev = ret.prev;
}

/** Undoes lift; only valid in LIFO order, which the search's stack guarantees. */
function unlift(call: Entry, ret: Entry): void {
  ret.prev.next = ret;
  if (ret.next !== null) ret.next.prev = ret;
  call.prev.next = call;
  if (call.next !== null) call.next.prev = call;
}

/**
 * The register model, compiled to integers: every model state (a string, or null for a key never
 * written) is interned to a small id, so a step is an integer comparison or table lookup and the
 * memo stores ids instead of strings.
 */
class RegisterModel {
  private readonly states: (string | null)[] = [null];
  private readonly ids = new Map<string, number>();
  /** Memo of append steps: key stateId * operationCount + operation index. */
  private readonly appendSteps = new Map<number, number>();
  /** Per operation: the state id a put writes or a get must read; -1 when not applicable. */
  private readonly targetIds: Int32Array;

  constructor(private readonly operations: readonly Operation[]) {
    this.targetIds = new Int32Array(operations.length).fill(-1);
    operations.forEach((op, index) => {
      if (op.input.kind === 'put') this.targetIds[index] = this.idOf(op.input.value);
      else if (op.input.kind === 'get' && op.output?.kind === 'value')
        this.targetIds[index] = this.idOf(op.output.value);
    });
  }

  /** The state after operation `index` from `stateId`, or -1 when its output contradicts the state. */
  step(index: number, stateId: number): number {
    const op = this.operations[index] as Operation;
    const target = this.targetIds[index] as number;
    switch (op.input.kind) {
      case 'put':
        return target;
      case 'get':
        // A get with an unknown output (target -1) matches anything and changes nothing.
        return target === -1 || target === stateId ? stateId : -1;
      case 'append': {
        const memoKey = stateId * this.operations.length + index;
        let next = this.appendSteps.get(memoKey);
        if (next === undefined) {
          next = this.idOf((this.states[stateId] ?? '') + op.input.value);
          this.appendSteps.set(memoKey, next);
        }
        return next;
      }
    }
  }

  private idOf(state: string | null): number {
    if (state === null) return 0;
    let id = this.ids.get(state);
    if (id === undefined) {
      id = this.states.length;
      this.states.push(state);
      this.ids.set(state, id);
    }
    return id;
  }
}

/** murmur3's 32-bit finalizer: spreads every input bit over the whole hash. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

// Past this many bytes of stored configurations the search gives up as if out of budget, so that a
// generous state budget on a long, wide history cannot exhaust the machine's memory.
const MAX_MEMO_BYTES = 1 << 30;

/**
 * The memo of configurations already explored — Lowe's cache. Keys are short runs of 32-bit words
 * (built by searchLinearization), stored back to back in one arena and indexed by an
 * open-addressing hash table, so nothing is allocated per entry.
 */
class ExploredConfigurations {
  size = 0;
  private usedWords = 0;
  // Small to start with: a history may have thousands of keys, most with few operations.
  private arena = new Uint32Array(256);
  private slots = new Int32Array(64); // entry index + 1; 0 = empty
  private hashes = new Uint32Array(32);
  private offsets = new Uint32Array(32);
  private lengths = new Uint32Array(32);

  get bytes(): number {
    return this.usedWords * 4 + this.size * 12 + this.slots.length * 4;
  }

  /** Adds the first `length` words of `key`; false when that key was already there. */
  add(key: Uint32Array, length: number): boolean {
    let hash = length;
    for (let i = 0; i < length; i++) {
      hash = Math.imul(hash ^ (key[i] ?? 0), 0x5bd1e995);
      hash ^= hash >>> 15;
    }
    hash = mix32(hash);
    const mask = this.slots.length - 1;
    let slot = hash & mask;
    for (let occupant = this.slots[slot] ?? 0; occupant !== 0; occupant = this.slots[slot] ?? 0) {
      const entry = occupant - 1;
      if (
        this.hashes[entry] === hash &&
        this.lengths[entry] === length &&
        this.storedEquals(entry, key, length)
      ) {
        return false;
      }
      slot = (slot + 1) & mask;
    }
    const entry = this.size++;
    if (entry === this.hashes.length) this.growEntries();
    while (this.usedWords + length > this.arena.length) this.arena = grown(this.arena, this.arena.length * 2);
    this.arena.set(key.subarray(0, length), this.usedWords);
    this.hashes[entry] = hash;
    this.offsets[entry] = this.usedWords;
    this.lengths[entry] = length;
    this.usedWords += length;
    this.slots[slot] = entry + 1;
    if (this.size * 2 > this.slots.length) this.growSlots();
    return true;
  }

  private storedEquals(entry: number, key: Uint32Array, length: number): boolean {
    const offset = this.offsets[entry] ?? 0;
    for (let i = 0; i < length; i++) if (this.arena[offset + i] !== key[i]) return false;
    return true;
  }

  private growEntries(): void {
    const capacity = this.hashes.length * 2;
    this.hashes = grown(this.hashes, capacity);
    this.offsets = grown(this.offsets, capacity);
    this.lengths = grown(this.lengths, capacity);
  }

  private growSlots(): void {
    const slots = new Int32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let entry = 0; entry < this.size; entry++) {
      let slot = (this.hashes[entry] ?? 0) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = entry + 1;
    }
    this.slots = slots;
  }
}

function grown(array: Uint32Array, capacity: number): Uint32Array<ArrayBuffer> {
  const copy = new Uint32Array(capacity);
  copy.set(array);
  return copy;
}

/** Index of the first element of the ascending `sorted` greater than `value`. */
function upperBound(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Drops operations that cannot affect the verdict, which keeps timeouts from blowing up the search:
 * a get with an unknown output (it changes nothing and matches anything), and an unknown-outcome
 * write no read could have observed. Such a write may as well be linearized at the very end. Why
 * that is sound for this register: a read sees a put only if the put is the last one before it, and
 * then the value read starts with the put's value; it sees an append only if the append comes after
 * the last put before it, and then the value read contains the appended value. So when no read's
 * value starts with (put) or contains (append) the write's value, removing the write from any
 * linearization changes no read's result.
 */
function withoutUnobservableOperations(operations: readonly Operation[]): Operation[] {
  const valuesRead = new Set<string>();
  for (const op of operations) {
    if (op.output?.kind === 'value' && op.output.value !== null) valuesRead.add(op.output.value);
  }
  const observable = (op: Operation): boolean => {
    const input = op.input;
    if (input.kind === 'get') return op.output !== null;
    if (op.return !== Infinity) return true;
    for (const value of valuesRead) {
      if (input.kind === 'put' ? value.startsWith(input.value) : value.includes(input.value)) return true;
    }
    return false;
  };
  return operations.filter(observable);
}

/**
 * WGL over one key's operations. The memo key of a configuration (set of linearized operations,
 * model state) is kept short, which matters on long histories: the linearized set is always closed
 * under happened-before (only minimal operations are ever linearized), so with the known-outcome
 * operations numbered in call order it is determined by the frontier f (the first one not yet
 * linearized), the bits of those called before f returned (the later ones happened after f, so
 * none is linearized yet), and the bits of the unknown-outcome operations, which have no return.
 */
function searchLinearization(keyOperations: readonly Operation[], maxStatesExplored: number): SearchResult {
  const operations = withoutUnobservableOperations(keyOperations);
  const model = new RegisterModel(operations);

  // Each operation's bit: known-outcome ones ranked by call time, unknown-outcome ones separately.
  const unknownOutcome = operations.map((op) => op.return === Infinity);
  const knownInCallOrder = operations
    .map((op, index) => ({ op, index }))
    .filter(({ index }) => !unknownOutcome[index])
    .sort((a, b) => a.op.call - b.op.call || a.index - b.index);
  const knownCount = knownInCallOrder.length;
  // Once every known-outcome operation is linearized, the unknown ones left can go at the end in
  // any order (their outputs match anything), so the search is done.
  if (knownCount === 0) return { verdict: 'linearizable', reachedTime: Infinity, statesExplored: 0 };
  const bitOf = new Int32Array(operations.length);
  let unknownCount = 0;
  operations.forEach((_, index) => {
    if (unknownOutcome[index]) bitOf[index] = unknownCount++;
  });
  const knownCalls = new Float64Array(knownCount);
  knownInCallOrder.forEach(({ op, index }, rank) => {
    bitOf[index] = rank;
    knownCalls[rank] = op.call;
  });
  // windowEnd[r]: one past the last known-outcome operation called no later than r returned.
  const windowEnd = new Int32Array(knownCount);
  knownInCallOrder.forEach(({ op }, rank) => (windowEnd[rank] = upperBound(knownCalls, op.return)));

  const knownBits = new Uint32Array(Math.ceil(knownCount / 32));
  const unknownBits = new Uint32Array(Math.ceil(unknownCount / 32));
  const key = new Uint32Array(2 + knownBits.length + unknownBits.length);
  const explored = new ExploredConfigurations();
  const stack: { call: Entry; ret: Entry; stateId: number; forcedRead: boolean; pass: number }[] = [];
  let pass = 0;
  let knownRemaining = knownCount;
  let frontier = 0;
  let stateId = 0;

  const isKnownLinearized = (rank: number) => (((knownBits[rank >>> 5] ?? 0) >>> (rank & 31)) & 1) === 1;
  const flip = (bits: Uint32Array, bit: number) =>
    (bits[bit >>> 5] = (bits[bit >>> 5] ?? 0) ^ (1 << (bit & 31)));
  /** Fills `key` for the current bits, the given frontier and state; returns its length. */
  const buildKey = (keyFrontier: number, keyStateId: number): number => {
    key[0] = keyFrontier;
    key[1] = keyStateId;
    let length = 2;
    const lastWord = ((windowEnd[keyFrontier] as number) - 1) >>> 5;
    for (let word = keyFrontier >>> 5; word <= lastWord; word++) key[length++] = knownBits[word] ?? 0;
    for (let word = 0; word < unknownBits.length; word++) key[length++] = unknownBits[word] ?? 0;
    return length;
  };

  const head = buildEntryList(operations);
  let reachedTime = -Infinity;

  type Outcome = 'linearized' | 'rejected' | 'all-known-linearized' | 'gave-up';
  /** Tries to linearize the operation of `call` next; on success the configuration moves on. */
  const tryLinearize = (call: Entry, forcedRead: boolean): Outcome => {
    const id = call.id;
    const ret = call.match;
    const nextStateId = model.step(id, stateId);
    if (ret === null || nextStateId === -1) return 'rejected';
    const unknown = unknownOutcome[id] === true;
    if (!unknown && knownRemaining === 1) return 'all-known-linearized';
    const bit = bitOf[id] as number;
    flip(unknown ? unknownBits : knownBits, bit);
    let nextFrontier = frontier;
    if (!unknown && bit === frontier)
      while (nextFrontier < knownCount && isKnownLinearized(nextFrontier)) nextFrontier++;
    if (explored.size >= maxStatesExplored || explored.bytes > MAX_MEMO_BYTES) return 'gave-up';
    if (!explored.add(key, buildKey(nextFrontier, nextStateId))) {
      // Explored before from this exact configuration, and it failed (a success ends the search;
      // the configurations on the current path have fewer operations linearized): prune.
      flip(unknown ? unknownBits : knownBits, bit);
      return 'rejected';
    }
    stack.push({ call, ret, stateId, forcedRead, pass });
    stateId = nextStateId;
    frontier = nextFrontier;
    if (!unknown) knownRemaining--;
    lift(call, ret);
    return 'linearized';
  };

  /** Undoes choices up to the latest one with alternatives left; the candidate after it, or null. */
  const backtrack = (): Entry | null => {
    for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
      const id = top.call.id;
      const bit = bitOf[id] as number;
      if (unknownOutcome[id]) flip(unknownBits, bit);
      else {
        flip(knownBits, bit);
        frontier = Math.min(frontier, bit);
        knownRemaining++;
      }
      stateId = top.stateId;
      unlift(top.call, top.ret);
      if (!top.forcedRead) {
        pass = top.pass;
        return top.call.next;
      }
    }
    return null;
  };

  /**
   * A candidate read that matches the current state can be linearized right away, with no
   * alternatives: given any valid continuation, moving the read to its front keeps it valid (a read
   * changes no state, and a candidate has no unlinearized predecessor). So if the configuration
   * after it fails, so does the current one. This removes much of the search on read-heavy histories.
   */
  const firstMatchingRead = (): Entry | null => {
    for (
      let candidate = head.next;
      candidate !== null && candidate.match !== null;
      candidate = candidate.next
    ) {
      if (
        (operations[candidate.id] as Operation).input.kind === 'get' &&
        model.step(candidate.id, stateId) !== -1
      ) {
        return candidate;
      }
    }
    return null;
  };

  const result = (outcome: Verdict | 'all-known-linearized'): SearchResult =>
    outcome === 'linearizable' || outcome === 'all-known-linearized'
      ? { verdict: 'linearizable', reachedTime: Infinity, statesExplored: explored.size }
      : { verdict: outcome, reachedTime, statesExplored: explored.size };

  // The loop walks the list: at a call entry it tries that operation as the next one linearized;
  // at a return entry (that operation had to be linearized already) it backtracks. Candidates are
  // offered in two passes: known outcomes first, then unknown ones. Plain WGL order would linearize
  // a timed-out write as soon as it is called (it always "succeeds") and backtrack over everything
  // since whenever a later read shows it had not happened yet; deferring it until a read needs it
  // is usually right the first time. Every candidate is still tried, so the search stays complete.
  let newConfiguration = true;
  let entry: Entry | null = head.next;
  for (;;) {
    if (newConfiguration) {
      newConfiguration = false;
      let firstReturn = head.next;
      while (firstReturn !== null && firstReturn.match !== null) firstReturn = firstReturn.next;
      if (firstReturn !== null) reachedTime = Math.max(reachedTime, firstReturn.time);
      const read = firstMatchingRead();
      if (read === null) {
        entry = head.next;
        pass = 0;
      } else {
        const outcome = tryLinearize(read, true);
        if (outcome === 'linearized') newConfiguration = true;
        else if (outcome === 'rejected') entry = backtrack();
        else return result(outcome);
      }
      continue;
    }
    if (entry === null) return result('not-linearizable'); // backtracked past the first choice
    if (entry.match !== null) {
      const outcome = unknownOutcome[entry.id] === (pass === 1) ? tryLinearize(entry, false) : 'rejected';
      if (outcome === 'linearized') newConfiguration = true;
      else if (outcome === 'rejected') entry = entry.next;
      else return result(outcome);
    } else if (pass === 0) {
      pass = 1;
      entry = head.next;
    } else {
      entry = backtrack();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Explaining a violation.

/**
 * The key's history as observed at time t: operations called by t, those still running at t
 * turned into unknown-outcome operations. If the whole history is linearizable so is every such
 * prefix (cut any linearization at t), so "fails by time t" is monotone in t and the earliest
 * failing t can be found by binary search over return times (only a return can make a prefix fail).
 * The full search narrows it first: a configuration it reached with every operation returning
 * before time r linearized is a linearization of the history observed at any t < r.
 * Cutting by call count alone would not be monotone: a read may be explained by a write called
 * after it, so a plain call-count prefix could "fail" where the full history does not.
 */
function observedAt(operations: readonly Operation[], t: number): Operation[] {
  return operations
    .filter((op) => op.call <= t)
    .map((op) => (op.return <= t ? op : { ...op, return: Infinity, output: null }));
}

function explainViolation(
  key: string,
  keyOperations: readonly Operation[],
  reachedTime: number,
  maxStatesExplored: number,
): string {
  const operations = keyOperations
    .map((op, index) => ({ op, index }))
    .sort((a, b) => a.op.call - b.op.call || a.index - b.index)
    .map(({ op }) => op);
  const returnTimes = [...new Set(operations.map((op) => op.return).filter((t) => t !== Infinity))].sort(
    (a, b) => a - b,
  );

  // Invariant: the prefix at returnTimes[hi] fails; the one at returnTimes[lo] (if lo >= 0) does not.
  let lo = returnTimes.findIndex((t) => t >= reachedTime) - 1;
  let hi = returnTimes.length - 1;
  if (lo < -1) lo = hi - 1; // reachedTime after every return: cannot happen for a failed search
  let minimal = true;
  // The first probe is at reachedTime itself, where the violation usually shows.
  for (let mid = lo + 1; hi - lo > 1; mid = (lo + hi) >>> 1) {
    const { verdict } = searchLinearization(
      observedAt(operations, returnTimes[mid] as number),
      maxStatesExplored,
    );
    if (verdict === 'not-linearizable') hi = mid;
    else if (verdict === 'linearizable') lo = mid;
    else {
      minimal = false;
      break;
    }
  }
  // hi >= 0: a history without any known return is always linearizable, so it cannot be here.
  const cut = returnTimes[hi] as number;
  const prefix = operations.filter((op) => op.call <= cut);
  const lines = prefix.map((op) => {
    const line = formatOperation(op);
    return op.return > cut && op.return !== Infinity ? `${line}   (still running at t=${cut})` : line;
  });
  const omitted = Math.max(0, lines.length - MAX_PRINTED_OPERATIONS);
  const printed = lines.slice(omitted).map((line) => `  ${line}`);
  if (omitted > 0) printed.unshift(`  … ${omitted} earlier operations not shown`);

  const header =
    `key ${JSON.stringify(key)} is not linearizable: no order of its operations respects both real time ` +
    `and a register's semantics (put sets, append concatenates, get reads). ` +
    (minimal
      ? `Smallest failing prefix, the ${prefix.length} operations called by t=${cut}, by call time ` +
        `(those still running then may or may not have taken effect):`
      : `The search for the smallest failing prefix gave up; operations called by t=${cut}, by call time:`);
  return [header, ...printed].join('\n');
}
