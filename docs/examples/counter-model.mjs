// A user model for `chaos check --model docs/examples/counter-model.mjs HISTORY`: a counter per
// key, with `add` (input: the amount) and `read` (output: the value seen). See
// checkers/linearizability/README.md for the interface.
export default {
  name: 'counter',
  init: () => 0,
  // The next state, or undefined when the op cannot happen in `state`. An op that never
  // returned (status info / open) has no output: a read then constrains nothing.
  step(state, op) {
    if (op.f === 'add') return state + op.input;
    if (op.f === 'read') return op.output === undefined || op.output === state ? state : undefined;
    return undefined;
  },
  equal: (a, b) => a === b,
  partition: (op) => op.key,
  describe: (state) => state,
};
