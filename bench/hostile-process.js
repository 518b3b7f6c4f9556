// @ts-check
'use strict';
// The hostile Lark Base of the tests (tests/lark-base-hostile.js) in a process of its own, for the
// memory benchmark: its large bodies and its record of every request then count against this
// process, not the client's. Driven over IPC: `{ mode }` switches the mode and makes its body
// ahead of time, and is answered with how many requests came in the mode before. Its URL comes
// first, as `{ url }`.

const { startHostile } = require('../tests/lark-base-hostile');

/** @param {unknown} message */
const send = (message) => process.send?.(message);

startHostile().then((hostile) => {
  process.on('message', (/** @type {any} */ message) => {
    const requests = hostile.requests.length;
    // Only the count is needed: the requests and their bodies are let go.
    hostile.requests.length = 0;
    hostile.setMode(message.mode);
    if (message.mode.name === 'deep') hostile.prepare(message.mode);
    send({ requests });
  });
  process.on('disconnect', () => hostile.close().then(() => process.exit(0)));
  send({ url: hostile.url });
});
