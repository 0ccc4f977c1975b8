() => {
  // The Rate tab's keyboard shortcuts (table: workbench/ui/rate_shortcuts.py). Runs once on page load
  // (launch(js=...)). Keys act only while the Rate tab is visible and the user is not typing; they click the
  // real inputs and buttons, so Gradio sees ordinary user input (and autosaves).
  if (window.__rateKeys) return;
  window.__rateKeys = true;
  const style = document.createElement('style');
  style.textContent = `
    .rate-axis { border-radius: 8px; transition: background-color .1s; }
    .rate-axis { scroll-margin: 16px; }
    /* The frame is drawn inside the axis, over its content: Gradio's form boxes clip anything outside it (an
       outline was cut off), and the axis's own children paint over an inset shadow. */
    .rate-axis.rate-focus { position: relative; background-color: rgba(245, 158, 11, .22) !important; }
    .rate-axis.rate-focus::after { content: ''; position: absolute; inset: 0; border: 4px solid #f59e0b;
      border-radius: 8px; pointer-events: none; z-index: 5; }
    .rate-col { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 6px; }
    .rate-hidden { display: none !important; }
    .rate-diff:not(:has(.rate-diff-body)) { display: none !important; }
    .rate-diff { line-height: 1.7; padding: 4px 6px; border: 1px dashed var(--border-color-primary); border-radius: 6px; }
    .rate-diff mark.rate-diff-mark { background: #fde047; color: #111; border-radius: 2px; }
    .rate-sug-key { display: none; }
    /* No item on screen (before the first Next, at the queue's end): no reply box is on the page, and an empty
       dialogue, preference, ranking and flag box only asked to be filled (walk 10). */
    body:not(:has(#rate-col-0)) :is(#rate-history, #rate-diff-toggle, #rate-pref, #rate-ranking-box,
      #rate-flag-box) { display: none !important; }`;
  document.head.appendChild(style);
  // The answers on the page as the Rate events send them: one JSON text in place of the item reference
  // (workbench/ui/rate_payload.py), read from the widgets when the event is sent. Gradio's page updates a
  // loading status for every input of every event it has run, on every status message: ~40 answer widgets
  // as inputs made that most of a submit's time.
  const inputValue = (sel) => {
    const x = document.querySelector(`${sel} textarea, ${sel} input:not([type=radio]):not([type=checkbox])`);
    return x ? x.value : '';
  };
  const box = (i) => {
    const col = document.getElementById('rate-col-' + i);
    const axes = col ? Array.from(col.querySelectorAll('.rate-axis')) : [];
    if (!axes.length) return null;  // not on the page
    const choices = axes.map(a => { const x = a.querySelector('input:checked'); return x ? x.value : null; });
    const safety = document.querySelector(`#rate-safety-${i} input[type=checkbox]`);
    return [...choices, !!(safety && safety.checked), inputValue('#rate-comment-' + i),
            inputValue('#rate-corrected-' + i)];
  };
  const preference = () => {
    const x = document.querySelector('#rate-pref input:checked');
    return {preference: x ? x.value : null, ranking: inputValue('#rate-ranking')};
  };
  const boxes = () => {
    const out = [];
    for (let i = 0; document.getElementById('rate-col-' + i); i++) out.push(box(i));
    return out;
  };
  // What the user changed on this page, per item and box, since the box's last autosave: an autosave sends
  // those values' indexes as "changed" and the server saves only them. Another tab of the same annotator may
  // have saved the box's other values since this page drew them: sent whole, they went back (walk s62: a
  // tab that only moved the focus wrote back the other tab's saved comment).
  // The box's values are kept as they were typed, with the item they were typed on: a save deferred behind a
  // running one is sent later, when the page may show another item (a Back or Next answered meanwhile); read
  // from the page then, the typed changes were looked up under the new item and nothing was saved (walk s66).
  const itemKey = (ref) => String(ref || '').split(':')[0];
  const itemRef = () => {
    const x = document.querySelector('#rate-item-id textarea, #rate-item-id input');
    return x ? x.value : '';
  };
  const typedOn = new Map();  // "item/box" -> {ref, values, changed: Set of value indexes, typed}
  const valueIndex = (target) => {
    const col = target.closest && target.closest('[id^="rate-col-"]');
    if (!col) return null;
    const i = Number(col.id.slice('rate-col-'.length));
    if (!Number.isInteger(i)) return null;
    const axes = Array.from(col.querySelectorAll('.rate-axis'));
    const axis = target.closest('.rate-axis');
    let j = axis ? axes.indexOf(axis) : -1;
    if (j < 0) {
      const rest = ['rate-safety-', 'rate-comment-', 'rate-corrected-'];
      const k = rest.findIndex(prefix => target.closest('#' + prefix + i));
      if (k < 0) return null;
      j = axes.length + k;
    }
    return [i, j];
  };
  let sent = 0;  // events sent (below)
  // The preference as chosen, with the item it was chosen on: its save is deferred behind a running one as a box's.
  const prefOn = new Map();  // item -> {ref, preference, ranking, typed}
  const noteChange = (ev) => {
    if (ev.target && ev.target.closest && ev.target.closest('#rate-pref')) {
      prefOn.set(itemKey(itemRef()), {ref: itemRef(), ...preference(), typed: sent});
      return;
    }
    const at = valueIndex(ev.target);
    if (!at) return;
    const ref = itemRef();
    const key = itemKey(ref) + '/' + at[0];
    const entry = typedOn.get(key) || {changed: new Set()};
    entry.changed.add(at[1]);
    Object.assign(entry, {ref, values: box(at[0]), typed: sent});
    typedOn.set(key, entry);
  };
  document.addEventListener('input', noteChange, true);
  document.addEventListener('change', noteChange, true);
  // Box i's autosave: what was typed on the item shown, else what was typed on an item the page has left (still to
  // save: the server saves it as that item's draft), else the box as shown with nothing changed. Another item's
  // values left over are sent by the box's next save that has none of the item shown (leaving a text box saves).
  const boxSave = (i, ref) => {
    let key = itemKey(ref) + '/' + i;
    if (!typedOn.has(key)) key = Array.from(typedOn.keys()).find(k => k.endsWith('/' + i));
    const entry = key && typedOn.get(key);
    if (!entry) return {item: ref, answer: box(i), changed: []};
    typedOn.delete(key);
    return {item: entry.ref, answer: entry.values, changed: Array.from(entry.changed).sort((a, b) => a - b),
            typed: entry.typed};
  };
  // Each event numbered as it is sent: an answer that comes after a later-sent one's (events run concurrently) must
  // not rewrite the saved line or an item Back or Next drew, nor a draft sent before a submit undo it
  // (rate_pages.SentOrder).
  window.rateForm = {
    box: (i, ref) => JSON.stringify({...boxSave(i, ref), seq: ++sent}),
    // The item shown: its choice as it is now (a ranking's clicks set it with no input event); else one chosen on an
    // item the page has left, saved as that item's draft.
    preference: (ref) => {
      const other = prefOn.has(itemKey(ref)) ? null : Array.from(prefOn.keys())[0];
      const entry = other === undefined || other === null ? null : prefOn.get(other);
      prefOn.delete(entry ? other : itemKey(ref));
      const chosen = entry ? {item: entry.ref, preference: entry.preference, ranking: entry.ranking, typed: entry.typed}
        : {item: ref, ...preference()};
      return JSON.stringify({...chosen, seq: ++sent});
    },
    all: (ref) => JSON.stringify({item: ref, ...preference(), answers: boxes(), seq: ++sent}),
    // Next, Back, Skip, Flag, Open, Reveal: they draw an item, so a later answer must know it was sent before them
    view: (ref) => JSON.stringify({item: ref, seq: ++sent}),
    // Once box i's save is answered: values typed on another item still unsent (a save carries one item's, and the
    // box's next save took the item shown first) go at once, each to its item, by the box's save on leaving its
    // comment box; else they waited for a save of the box with nothing typed on the item shown (walk s67).
    more: (i) => {
      if (!Array.from(typedOn.keys()).some(k => k.endsWith('/' + i))) return;
      const x = document.querySelector(`#rate-comment-${i} textarea`);
      if (x) x.dispatchEvent(new FocusEvent('blur'));
    },
  };
  const visible = (el) => el && el.offsetParent !== null;
  const axes = () => Array.from(document.querySelectorAll('.rate-axis')).filter(visible);
  let focusId = null;
  // Keys rate the framed axis: on a laptop screen it may sit below the fold, where nobody sees what a digit
  // did, so a key brings it into view. A click does not: scrolling under the pointer mid-click loses the click.
  const reveal = (el) => el.scrollIntoView({block: 'nearest', inline: 'nearest'});
  const setFocus = (el, byKey = false) => {
    document.querySelectorAll('.rate-axis.rate-focus').forEach(e => e.classList.remove('rate-focus'));
    if (!el) { focusId = null; return; }
    el.classList.add('rate-focus');
    focusId = el.id;
    if (byKey) {
      reveal(el);
      // The keyboard's focus follows the frame when it was on another axis's choice: else, after a digit moved
      // the frame on, an arrow key changed the axis just answered (walk 11).
      const active = document.activeElement;
      if (active && active.type === 'radio' && active.closest('.rate-axis') && !el.contains(active)) {
        const target = el.querySelector('input[type=radio]:checked') || el.querySelector('input[type=radio]');
        if (target) target.focus({preventScroll: true});
      }
    }
  };
  // The framed axis when a key is pressed: always a keyboard path. With none framed (an item just opened, a
  // draft restored, a refused submit), the first axis not yet answered: a digit there overwrote the restored
  // turn type of the first axis (walk 11).
  const current = () => {
    const all = axes();
    const el = focusId && document.getElementById(focusId);
    if (el && visible(el)) { el.classList.add('rate-focus'); reveal(el); return el; }
    const first = all.find(a => !a.querySelector('input:checked')) || all[0] || null;
    setFocus(first, true);
    return first;
  };
  const move = (step) => {
    const all = axes();
    if (!all.length) return;
    const i = all.indexOf(current());
    setFocus(all[Math.max(0, Math.min(all.length - 1, i + step))], true);
  };
  const radios = (container) => container ? Array.from(container.querySelectorAll('input[type=radio]')) : [];
  const pick = (container, value) => {
    const input = radios(container).find(x => x.value === value);
    if (!input) return false;
    input.click();
    return true;
  };
  // A digit picks the option of that value (a score), else the n-th option (the turn type's choices).
  const pickDigit = (container, digit) => {
    if (pick(container, digit)) return true;
    const input = radios(container)[Number(digit) - 1];
    if (!input) return false;
    input.click();
    return true;
  };
  const ready = (id) => {
    const b = document.getElementById(id);
    return b && visible(b) && !b.disabled ? b : null;
  };
  document.addEventListener('focusin', (ev) => {
    const axis = ev.target.closest && ev.target.closest('.rate-axis');
    if (axis) setFocus(axis);
  });
  document.addEventListener('click', (ev) => {
    const axis = ev.target.closest && ev.target.closest('.rate-axis');
    if (axis) setFocus(axis);
  });
  // Moving on (Next, Skip, Back) right after Submit waits for the submit's answer: events of one page run
  // concurrently, and an answer drawn after the submit's would show the submitted item again. The submit
  // handler always changes #rate-ack (stored or refused), so that is what we wait for.
  const ackValue = () => {
    const el = document.querySelector('#rate-ack textarea, #rate-ack input');
    return el ? el.value : '';
  };
  let submitting = null;
  const submitAnswered = () => {
    const before = ackValue();
    const t0 = Date.now();
    return new Promise((resolve) => {
      const poll = () => {
        if (ackValue() !== before || Date.now() - t0 > 30000) resolve();
        else setTimeout(poll, 10);
      };
      setTimeout(poll, 10);
    });
  };
  const NAVIGATION = '#rate-next, #rate-skip, #rate-back, #rate-flag-btn, #rate-open';
  document.addEventListener('click', (ev) => {
    const t = ev.target;
    if (!t || !t.closest) return;
    if (t.closest('#rate-submit')) {
      setFocus(null);
      const mine = submitAnswered();
      submitting = mine;
      mine.then(() => { if (submitting === mine) submitting = null; });
    } else if (t.closest(NAVIGATION) && submitting && !ev.__rateReplay) {
      ev.preventDefault();
      ev.stopImmediatePropagation();
      const button = t.closest(NAVIGATION);
      submitting.then(() => {
        const again = new MouseEvent('click', {bubbles: true, cancelable: true});
        again.__rateReplay = true;
        button.dispatchEvent(again);
      });
    } else if (t.closest(NAVIGATION)) {
      setFocus(null);
    }
  }, true);
  // A reply's letter: identical replies share one box, headed by the whole group ("Reply A=C"), and one
  // preference choice valued by the group's first letter, so every member's letter must find the group.
  const groupOf = (letter) => {
    for (let i = 0; ; i++) {
      const col = document.getElementById('rate-col-' + i);
      if (!col) return null;
      const header = document.getElementById('rate-header-' + i);
      if (!visible(col) || !header) continue;
      const label = header.innerText.match(/(?:^|\s)([A-Z](?:=[A-Z])*)(?=\s|$)/);
      const members = label ? label[1].split('=') : [];
      if (members.includes(letter)) return {col, members};
    }
  };
  const preferReply = (letter) => {
    const group = groupOf(letter);
    const pref = document.getElementById('rate-pref');
    const picked = group ? group.members.some(m => pick(pref, m)) : pick(pref, letter);
    if (!group) return picked;
    // Then rate that reply: its first axis takes the focus.
    const first = Array.from(group.col.querySelectorAll('.rate-axis')).find(visible);
    if (first) setFocus(first, true);
    return true;
  };
  const click = (id) => { const b = ready(id); if (b) b.click(); return !!b; };
  document.addEventListener('keydown', (ev) => {
    if (!visible(document.getElementById('rate-submit'))) return;
    const t = ev.target;
    const tag = (t && t.tagName || '').toLowerCase();
    const typing = tag === 'textarea' || (tag === 'input' && !['radio', 'checkbox'].includes(t.type)) || (t && t.isContentEditable);
    if (typing) {
      if (ev.key === 'Escape') t.blur();
      return;
    }
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
    const k = ev.key;
    // Enter or Space on one of the tab's own buttons or accordions that Tab brought the focus to presses it (Back,
    // Skip, Next, Flag): Enter submits only where none of them has the keyboard's focus. A button clicked with the
    // mouse keeps the focus but not :focus-visible, so Next clicked, answers keyed, then Enter still submits; the
    // page's tabs and other controls leave Enter to submit.
    const own = t && t.closest && t.closest('#rate-back, #rate-skip, #rate-next, #rate-flag-btn, #rate-open, '
                                            + '#tab-rate .label-wrap, #tab-rate summary');
    if (own && (k === 'Enter' || k === ' ') && own.matches(':focus-visible')) return;
    let done = true;
    if (/^[1-9]$/.test(k)) {
      if (pickDigit(current(), k)) move(1);
    } else if (k === '0') {
      if (pick(current(), 'N/A')) move(1);
    } else if (k === ']') move(1);
    else if (k === '[') move(-1);
    else if (k === 'Enter') click('rate-submit');
    else if (k === 'n' || k === 'N') click('rate-next');
    else if (k === 'u' || k === 'U') click('rate-back');
    else if (k === 's' || k === 'S') click('rate-skip');
    else if (k === 'h' || k === 'H') {
      const box = document.querySelector('#rate-diff-toggle input[type=checkbox]');
      if (box) box.click();
    } else if (k === 'y' || k === 'Y') {
      const col = current() && current().closest('.rate-col');
      const sug = col && col.querySelector('.rate-sug-key');
      const tt = col && col.querySelector('.rate-tt');
      if (sug && tt && pick(tt, sug.dataset.key) && current() === tt) move(1);
    } else if (k === 't' || k === 'T') pick(document.getElementById('rate-pref'), 'tie');
    else if (k === 'x' || k === 'X') pick(document.getElementById('rate-pref'), 'all_bad');
    else if (/^[a-zA-Z]$/.test(k)) done = preferReply(k.toUpperCase());
    else done = false;
    if (done) ev.preventDefault();
  });
}
