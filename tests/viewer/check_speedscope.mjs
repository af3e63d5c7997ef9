// Checks spsim's Chrome traces the way speedscope imports them, and fails
// when speedscope would show one other than as written. speedscope
// (jlfwong/speedscope src/import/trace-event.ts @ 3613918, read for this
// check; its npm package ships only a browser bundle, so the rules are
// re-implemented here) builds one call stack per (pid, tid) from the 'B',
// 'E' and 'X' events:
// - each thread's timestamps are rebased on its earliest ts, and an 'X'
//   becomes a begin at ts and an end at ts + dur, both in floating point
//   after the rebase;
// - begins are taken in ts order (ties: the longer 'X' first, then file
//   order), ends in ts order; at equal ts an end goes first unless it is the
//   begin's own (a zero-length slice);
// - an end must close the frame on top of the stack, matched by name and
//   args (JSON.stringify); it may be swapped with another end of the same ts
//   that does. Otherwise speedscope warns and the flame chart nests wrongly:
//   an end with an empty stack, one that matches no open frame at the top,
//   and frames still open at the end are each counted here as a problem.
// Usage: node tests/viewer/check_speedscope.mjs TRACE.json...   (exit 0: all shown as written)
import fs from 'node:fs';

const key = e => `${e.name || '(unnamed)'}${e.args ? ' ' + JSON.stringify(e.args) : ''}`;

// The problems speedscope meets on one thread's events (in file order).
function threadProblems(events) {
  const problems = [];
  const first = Math.min(...events.map(e => e.ts));
  const rebased = events.map(e => ({...e, ts: e.ts - first}));
  const begins = [], ends = [], xs = [];
  for (const e of rebased) {
    if (e.ph === 'B') begins.push(e);
    else if (e.ph === 'E') ends.push(e);
    else xs.push(e);
  }
  const dur = x => x.dur ?? x.tdur ?? 0;
  xs.sort((a, b) => (a.ts !== b.ts ? a.ts - b.ts : dur(b) - dur(a)));  // stable: file order among equals
  for (const x of xs) {
    begins.push({...x, ph: 'B'});
    ends.push({...x, ph: 'E', ts: x.ts + dur(x)});
  }
  begins.sort((a, b) => a.ts - b.ts);
  ends.sort((a, b) => a.ts - b.ts);
  const stack = [];
  let bi = 0, ei = 0;
  while (bi < begins.length || ei < ends.length) {
    let takeBegin;
    if (ei >= ends.length) takeBegin = true;
    else if (bi >= begins.length) takeBegin = false;
    else if (begins[bi].ts !== ends[ei].ts) takeBegin = begins[bi].ts < ends[ei].ts;
    else takeBegin = key(begins[bi]) === key(ends[ei]);
    if (takeBegin) {
      stack.push(begins[bi++]);
      continue;
    }
    const top = stack[stack.length - 1];
    if (top) {
      // Prefer an end of the same ts that closes the top: by key, then by name.
      let j = -1;
      for (let i = ei + 1; i < ends.length && ends[i].ts <= ends[ei].ts && j < 0; ++i)
        if (key(ends[i]) === key(top)) j = i;
      for (let i = ei + 1; i < ends.length && ends[i].ts <= ends[ei].ts && j < 0; ++i)
        if (ends[i].name === top.name) j = i;
      if (j >= 0) [ends[ei], ends[j]] = [ends[j], ends[ei]];
    }
    const e = ends[ei++];
    if (!top) {
      problems.push(`"${e.name}" ends at ts ${e.ts} with no open slice`);
    } else if (e.name !== top.name || key(e) !== key(top)) {
      problems.push(`"${e.name}" ends at ts ${e.ts} while "${top.name}" (from ts ${top.ts}) is open: they overlap`);
      if (e.name === top.name) stack.pop();  // speedscope closes the top instead
    } else {
      stack.pop();
    }
  }
  for (const f of stack) problems.push(`"${f.name}" (ts ${f.ts}) is still open at the end`);
  return problems;
}

let failed = false;
for (const path of process.argv.slice(2)) {
  const events = JSON.parse(fs.readFileSync(path, 'utf8')).traceEvents;
  const threads = new Map();
  let slices = 0;
  for (const e of events) {
    if (e.ph !== 'B' && e.ph !== 'E' && e.ph !== 'X') continue;
    ++slices;
    const k = `${Number(e.pid)}:${Number(e.tid)}`;
    if (!threads.has(k)) threads.set(k, []);
    threads.get(k).push(e);
  }
  const problems = [];
  for (const [k, evs] of threads) for (const p of threadProblems(evs)) problems.push(`pid:tid ${k}: ${p}`);
  const name = path.split('/').pop();
  if (problems.length > 0) {
    failed = true;
    console.log(`${name}: speedscope would not show it as written: ${problems.length} problems; first: ${problems[0]}`);
  } else {
    console.log(`${name}: ${slices} slices on ${threads.size} threads, every one nested as written`);
  }
}
process.exit(failed ? 1 : 0);
