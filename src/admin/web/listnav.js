// Keyboard selection in a list of rows (j/k or ↓/↑ to move, Enter to open).
// The selection follows the row's data-id, so it survives re-renders.

export class ListNav {
  /** container: the element holding the rows; onOpen(row) when Enter is pressed or a row clicked. */
  constructor(container, { rowSelector = '[data-id]', onOpen, selectedId = null } = {}) {
    this.container = container;
    this.rowSelector = rowSelector;
    this.onOpen = onOpen;
    this.selectedId = selectedId;
    this.restored = selectedId === null;
  }

  /** Remembers the selection in the current history entry, so "back" finds it again. */
  remember() {
    window.history.replaceState({ ...window.history.state, selected: this.selectedId }, '');
  }

  /** After the first render that has the remembered row: scroll it into view. */
  restore() {
    if (this.restored) return;
    const row = this.selected();
    if (!row) return;
    this.restored = true;
    row.scrollIntoView({ block: 'center' });
  }

  rows() {
    return [...this.container.querySelectorAll(this.rowSelector)];
  }

  selected() {
    if (this.selectedId === null) return null;
    return this.rows().find((r) => r.dataset.id === this.selectedId) || null;
  }

  /** Re-applies the selected class after the rows changed. */
  refresh() {
    for (const row of this.rows()) {
      const on = row.dataset.id === this.selectedId;
      if (row.classList.contains('selected') !== on) row.classList.toggle('selected', on);
      if (on) row.setAttribute('aria-selected', 'true');
      else row.removeAttribute('aria-selected');
    }
  }

  select(row, { scroll = true } = {}) {
    this.selectedId = row ? row.dataset.id : null;
    this.refresh();
    if (row && scroll) row.scrollIntoView({ block: 'nearest' });
  }

  move(delta) {
    const rows = this.rows();
    if (!rows.length) return;
    const at = rows.findIndex((r) => r.dataset.id === this.selectedId);
    let next = at < 0 ? (delta > 0 ? 0 : rows.length - 1) : at + delta;
    next = Math.max(0, Math.min(rows.length - 1, next));
    this.select(rows[next]);
  }

  /** Handles j/k/↓/↑/Home/End/Enter; true when it did. */
  key(e) {
    switch (e.key) {
      case 'j':
      case 'ArrowDown':
        this.move(1);
        return true;
      case 'k':
      case 'ArrowUp':
        this.move(-1);
        return true;
      case 'Home':
        this.select(this.rows()[0]);
        return true;
      case 'End': {
        const rows = this.rows();
        this.select(rows[rows.length - 1]);
        return true;
      }
      case 'Enter': {
        const row = this.selected();
        if (row && this.onOpen) {
          this.remember();
          this.onOpen(row);
          return true;
        }
        return false;
      }
      default:
        return false;
    }
  }
}

/**
 * Makes the children of `parent` be exactly `items`, in order, reusing the
 * element of each key: create(item) → element, update(element, item).
 */
export function reconcile(parent, items, key, create, update) {
  const existing = new Map();
  for (const child of parent.children) if (child.dataset.id) existing.set(child.dataset.id, child);
  let cursor = parent.firstElementChild;
  const keep = new Set();
  for (const item of items) {
    const k = key(item);
    let el = existing.get(k);
    if (!el) {
      el = create(item);
      el.dataset.id = k;
    }
    update(el, item);
    keep.add(el);
    if (el !== cursor) parent.insertBefore(el, cursor);
    else cursor = cursor.nextElementSibling;
  }
  for (const [, el] of existing) if (!keep.has(el)) el.remove();
  // Anything without a key (placeholders) after the rows goes too.
  while (cursor) {
    const next = cursor.nextElementSibling;
    if (!keep.has(cursor)) cursor.remove();
    cursor = next;
  }
}
