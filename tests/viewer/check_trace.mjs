// Loads spsim's Chrome traces in Chrome DevTools' own trace engine (the
// Performance panel's parser, @paulirish/trace_engine, pinned by
// package-lock.json) and fails when DevTools would not show one as written:
// - a slice left out of its thread's tree (DevTools drops a slice that
//   starts inside another and ends after it, comparing ts + dur in floating
//   point);
// - a flow arrow not bound at both ends (DevTools binds a flow event to the
//   slice with its exact ts, pid, tid and cat);
// - events outside the trace's range (DevTools ignores events at ts 0 when
//   it computes the range).
// Usage: node tests/viewer/check_trace.mjs TRACE.json...   (exit 0: all shown)
import fs from 'node:fs';
import * as Trace from '@paulirish/trace_engine';

// Node 18 (Debian 12's) lacks what the engine calls from newer runtimes:
// URL.parse (WHATWG, node 22 / 20.18) and Array.prototype.toSorted (ES2023).
if (!URL.parse) {
  URL.parse = (url, base) => {
    try {
      return new URL(url, base);
    } catch {
      return null;
    }
  };
}
if (!Array.prototype.toSorted) {
  Object.defineProperty(Array.prototype, 'toSorted', {
    value(compare) { return [...this].sort(compare); },
    configurable: true, writable: true,
  });
}
// The engine needs a DOMRect, which node lacks.
globalThis.DOMRect ??= class DOMRect {
  constructor(x = 0, y = 0, width = 0, height = 0) { Object.assign(this, {x, y, width, height}); }
};

let failed = false;
for (const path of process.argv.slice(2)) {
  const events = JSON.parse(fs.readFileSync(path, 'utf8')).traceEvents;
  const slices = events.filter(e => e.ph === 'X');
  const flowStarts = events.filter(e => e.ph === 's').length;
  const minTs = Math.min(...events.filter(e => typeof e.ts === 'number').map(e => e.ts));

  const model = Trace.TraceModel.Model.createWithAllHandlers();
  await model.parse(events);
  const data = model.parsedTrace().data;
  let entries = 0;
  for (const process of data.Renderer.processes.values())
    for (const thread of process.threads.values()) entries += thread.entries.length;
  const inTrees = slices.filter(e => data.Renderer.entryToNode.has(e)).length;
  const bound = data.Flows.flows.filter(f => f.length === 2).length;

  const problems = [];
  if (entries !== slices.length) problems.push(`${slices.length - entries} of ${slices.length} slices not read`);
  if (inTrees !== slices.length) {
    const dropped = slices.filter(e => !data.Renderer.entryToNode.has(e));
    problems.push(`${dropped.length} of ${slices.length} slices dropped (first: ${dropped[0].name} at ts ${dropped[0].ts}, ` +
                  `pid ${dropped[0].pid} tid ${dropped[0].tid})`);
  }
  if (bound !== flowStarts) problems.push(`${flowStarts - bound} of ${flowStarts} flows not bound at both ends`);
  if (data.Meta.traceBounds.min !== minTs)
    problems.push(`the trace's range starts at ${data.Meta.traceBounds.min}, its first event at ${minTs}`);
  if (problems.length) {
    failed = true;
    console.log(`${path}: ${problems.join('; ')}`);
  } else {
    console.log(`${path}: ${slices.length} slices, all nested; ${flowStarts} flows, all bound; range from ${minTs} us`);
  }
}
process.exit(failed ? 1 : 0);
