// Diffs for the transaction page: sequences (lines, words, content blocks)
// compared with Myers' O((N+M)·D) algorithm after trimming the common prefix
// and suffix. Past MAX_EDITS differences the middle is reported as one
// removal and one addition rather than spending seconds on a huge diff.

const MAX_EDITS = 2000;

/**
 * diff(a, b, eq) → [{op: 'same'|'del'|'ins', a?: item, b?: item}], in order.
 * `eq(x, y)` compares items (default ===).
 */
export function diff(a, b, eq = (x, y) => x === y) {
  let start = 0;
  while (start < a.length && start < b.length && eq(a[start], b[start])) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && eq(a[endA - 1], b[endB - 1])) {
    endA--;
    endB--;
  }
  const out = [];
  for (let i = 0; i < start; i++) out.push({ op: 'same', a: a[i], b: b[i] });
  out.push(...middle(a.slice(start, endA), b.slice(start, endB), eq));
  for (let i = endA, j = endB; i < a.length; i++, j++) out.push({ op: 'same', a: a[i], b: b[j] });
  return out;
}

function middle(a, b, eq) {
  const n = a.length;
  const m = b.length;
  if (n === 0) return b.map((x) => ({ op: 'ins', b: x }));
  if (m === 0) return a.map((x) => ({ op: 'del', a: x }));
  const max = Math.min(n + m, MAX_EDITS);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace = [];
  let found = -1;
  for (let d = 0; d <= max; d++) {
    // Only diagonals -d-1 … d+1 matter to step d's backtrack: keep just those.
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      let x;
      if (k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1])) x = v[offset + k + 1];
      else x = v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && eq(a[x], b[y])) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    if (found >= 0) break;
  }
  if (found < 0) {
    // Too different to be worth it: all of a out, all of b in.
    return [...a.map((x) => ({ op: 'del', a: x })), ...b.map((x) => ({ op: 'ins', b: x }))];
  }
  // Walk back through the saved frontiers.
  const ops = [];
  let x = n;
  let y = m;
  for (let d = found; d > 0; d--) {
    const vd = trace[d];
    const at = (kk) => vd[kk + d + 1];
    const k = x - y;
    let prevK;
    if (k === -d || (k !== d && at(k - 1) < at(k + 1))) prevK = k + 1;
    else prevK = k - 1;
    const prevX = at(prevK);
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ op: 'same', a: a[x - 1], b: b[y - 1] });
      x--;
      y--;
    }
    if (x === prevX) ops.push({ op: 'ins', b: b[y - 1] });
    else ops.push({ op: 'del', a: a[x - 1] });
    x = prevX;
    y = prevY;
  }
  while (x > 0 && y > 0) {
    ops.push({ op: 'same', a: a[x - 1], b: b[y - 1] });
    x--;
    y--;
  }
  return ops.reverse();
}

/** Splits text into words, runs of spaces and single punctuation marks (joined back = the text). */
export function words(text) {
  return String(text).match(/\s+|[\p{L}\p{N}_]+|[^\s\p{L}\p{N}_]/gu) || [];
}

/**
 * A word-level diff of two texts, adjacent pieces of one kind merged:
 * [{op: 'same'|'del'|'ins', text}]
 */
export function wordDiff(before, after) {
  const ops = diff(words(before), words(after));
  const out = [];
  // Deletions before insertions within each changed run reads best.
  let dels = '';
  let inss = '';
  const flush = () => {
    if (dels) out.push({ op: 'del', text: dels });
    if (inss) out.push({ op: 'ins', text: inss });
    dels = '';
    inss = '';
  };
  for (const o of ops) {
    if (o.op === 'same') {
      flush();
      const last = out[out.length - 1];
      if (last && last.op === 'same') last.text += o.a;
      else out.push({ op: 'same', text: o.a });
    } else if (o.op === 'del') {
      dels += o.a;
    } else {
      inss += o.b;
    }
  }
  flush();
  return out;
}

/** Lines of a text (no trailing empty line for a final newline). */
export function lines(text) {
  const ls = String(text).split('\n');
  if (ls.length > 1 && ls[ls.length - 1] === '') ls.pop();
  return ls;
}

/** Deep equality of JSON values. */
export function jsonEqual(x, y) {
  if (x === y) return true;
  if (typeof x !== typeof y || x === null || y === null || typeof x !== 'object') return false;
  if (Array.isArray(x) !== Array.isArray(y)) return false;
  if (Array.isArray(x)) return x.length === y.length && x.every((v, i) => jsonEqual(v, y[i]));
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  return kx.length === ky.length && kx.every((k) => Object.hasOwn(y, k) && jsonEqual(x[k], y[k]));
}

/**
 * Aligns the content blocks of two messages:
 * [{kind: 'same'|'changed'|'removed'|'added', before?, after?, beforeIndex?, afterIndex?}]
 * Equal blocks are matched first (LCS); between them, blocks of the same type
 * are paired as `changed`, the rest are removed/added.
 */
export function alignBlocks(before = [], after = []) {
  const a = before.map((block, i) => ({ block, i }));
  const b = after.map((block, i) => ({ block, i }));
  const ops = diff(a, b, (x, y) => jsonEqual(x.block, y.block));
  const out = [];
  let dels = [];
  let inss = [];
  const flush = () => {
    // Pair the run's removed and added blocks of the same type, in order.
    const used = new Set();
    for (const d of dels) {
      const type = d.block?.type;
      const match = inss.findIndex((x, j) => !used.has(j) && x.block?.type === type && pairable(d.block, x.block));
      if (match >= 0) {
        used.add(match);
        d.pair = inss[match];
      }
    }
    // Emit in the order of the final message, with removals before their position.
    let j = 0;
    for (const d of dels) {
      if (d.pair) {
        const k = inss.indexOf(d.pair);
        while (j < k) {
          if (!used.has(j)) out.push({ kind: 'added', after: inss[j].block, afterIndex: inss[j].i });
          j++;
        }
        out.push({ kind: 'changed', before: d.block, beforeIndex: d.i, after: d.pair.block, afterIndex: d.pair.i });
        j = Math.max(j, k + 1);
      } else {
        out.push({ kind: 'removed', before: d.block, beforeIndex: d.i });
      }
    }
    for (; j < inss.length; j++) {
      if (!used.has(j)) out.push({ kind: 'added', after: inss[j].block, afterIndex: inss[j].i });
    }
    dels = [];
    inss = [];
  };
  for (const o of ops) {
    if (o.op === 'same') {
      flush();
      out.push({ kind: 'same', before: o.a.block, beforeIndex: o.a.i, after: o.b.block, afterIndex: o.b.i });
    } else if (o.op === 'del') {
      dels.push(o.a);
    } else {
      inss.push(o.b);
    }
  }
  flush();
  return out;
}

// Two blocks of one type are "the same block, changed" when they are text
// (any two texts), or tool calls with the same id or name.
function pairable(x, y) {
  if (!x || !y) return false;
  if (x.type === 'tool_use' || x.type === 'server_tool_use') return x.id === y.id || x.name === y.name;
  return true;
}
