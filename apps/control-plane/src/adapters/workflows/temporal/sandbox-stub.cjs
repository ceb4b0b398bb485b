'use strict';
// What a CBP module imported by workflow code gets in Temporal's sandbox instead of a package
// (drizzle, pg, zod, node:crypto, ...): a stand-in that accepts anything at module load (calls,
// property reads, `new`, template tags) and does nothing. Step functions, the only code that
// really uses those packages, never run in the sandbox (bundle.ts, decision 008).
function stub() {
  return proxy;
}
const proxy = new Proxy(stub, {
  get(_target, key) {
    if (key === 'then') return undefined;
    if (key === Symbol.toPrimitive) return () => '[cbp sandbox stub]';
    if (key === Symbol.iterator) return function* empty() {};
    if (key === 'prototype') return {};
    return proxy;
  },
  apply() {
    return proxy;
  },
  construct() {
    return proxy;
  },
});
module.exports = proxy;
