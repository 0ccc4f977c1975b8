() => {
  // The language switch reloads the page (every text is drawn on load), and text typed but not yet used went
  // with it (the chat message box goes the same way on any reload, below): a Compare date range, Export thresholds, a half-written gold reply or chat message. The switch
  // stashes every filled text box in sessionStorage (window.workbenchStashTyped); this puts each value back
  // when its box is drawn again (a tab's boxes are drawn when the tab is first opened). The Rate tab is left
  // out: it saves as it is typed and reloads its item from the store. Password boxes are never stashed.
  const KEY = 'workbench-typed';
  const idOf = (el) => { const block = el.closest('.block[id]'); return block ? block.id : null; };
  // Text boxes, numbers and date boxes (a DateTime's input has class "time"; Compare reads it as typed); not a
  // menu's search box (role=combobox), a file input or a password.
  const isTextBox = (el) => (el.tagName === 'TEXTAREA' || ['text', 'number'].includes(el.type)) &&
    (el.getAttribute('data-testid') === 'textbox' || el.type === 'number' || el.classList.contains('time')) &&
    !el.disabled && !el.readOnly && !el.closest('#tab-rate');
  // Ticks go the same way (walk 1 of session 69: De-identify unticked came back ticked, the formats reset): each
  // block's checkboxes are kept as a list of ticks, in order, and come back by a click where they differ, so
  // Gradio runs what a click runs (the thorough box greys out again with De-identify).
  const TICKS = 'workbench-ticked';
  const boxesOf = (block) => [...block.querySelectorAll('input[type=checkbox]')];
  window.workbenchStashTyped = () => {
    const typed = {};
    for (const el of document.querySelectorAll('[role=tabpanel] textarea, [role=tabpanel] input')) {
      const id = isTextBox(el) && el.value !== '' ? idOf(el) : null;
      if (id) typed[id] = el.value;
    }
    sessionStorage.setItem(KEY, JSON.stringify(typed));
    const ticked = {};
    for (const block of document.querySelectorAll('[role=tabpanel] .block[id]')) {
      const boxes = boxesOf(block);
      // (a box's own block only: a Row or Column holding one is kept by the box's)
      const holdsBlocks = [...block.querySelectorAll('.block[id]')].some(inner => boxesOf(inner).length);
      if (boxes.length && !block.closest('#tab-rate') && !holdsBlocks) {
        ticked[block.id] = boxes.map(b => b.checked);
      }
    }
    sessionStorage.setItem(TICKS, JSON.stringify(ticked));
  };
  // A reload (or a closed-and-reopened tab's history) took the chat message box with it: a half-typed message, or
  // one waiting for the replies before it to be stored, which was never sent (walk 11). The box is kept the same
  // way, and comes back as typed: nothing is sent until Enter. (The switch's stash, written first, is kept.)
  window.addEventListener('pagehide', () => {
    const box = document.querySelector('#patient-message textarea');
    if (!box || box.value.trim() === '') return;
    const typed = JSON.parse(sessionStorage.getItem(KEY) || '{}');
    if (!('patient-message' in typed)) typed['patient-message'] = box.value;
    sessionStorage.setItem(KEY, JSON.stringify(typed));
  });
  const stashed = sessionStorage.getItem(KEY);
  if (!stashed) return;
  sessionStorage.removeItem(KEY);
  const pending = new Map(Object.entries(JSON.parse(stashed)));
  const ticks = new Map(Object.entries(JSON.parse(sessionStorage.getItem(TICKS) || '{}')));
  sessionStorage.removeItem(TICKS);
  // A box drawn with the page (Compare's) can be clicked before Gradio listens to it, and is then drawn back as
  // it loaded (walk of session 70): each restored block is looked at again twice while the page settles.
  const applied = new Map();
  const tick = (block, wanted) => boxesOf(block).forEach((b, i) => {
    if (b.checked !== wanted[i] && !b.disabled) b.click();
  });
  const again = () => {
    for (const [id, wanted] of applied) {
      const block = document.getElementById(id);
      if (block && boxesOf(block).length === wanted.length) tick(block, wanted);
    }
  };
  const restoreTicks = () => {
    for (const [id, wanted] of ticks) {
      const block = document.getElementById(id);
      const boxes = block ? boxesOf(block) : [];
      if (boxes.length !== wanted.length) continue;  // not drawn yet (or drawn otherwise: left as drawn)
      ticks.delete(id);
      applied.set(id, wanted);
      tick(block, wanted);
    }
  };
  // (a block the user touches meanwhile is theirs again)
  const touched = (ev) => { const block = ev.target.closest && ev.target.closest('.block[id]'); if (block) applied.delete(block.id); };
  document.addEventListener('pointerdown', touched, true);
  document.addEventListener('keydown', touched, true);
  setTimeout(again, 1500);
  setTimeout(again, 4000);
  const restore = () => {
    restoreTicks();
    for (const [id, value] of pending) {
      const block = document.getElementById(id);
      const el = block && [...block.querySelectorAll('textarea, input')].find(isTextBox);
      if (!el) continue;
      pending.delete(id);
      if (el.value === value) continue;
      el.value = value;
      // Gradio reads the box's value on its input event, as if typed (no keypress: no handler runs now).
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }
    if (pending.size === 0 && ticks.size === 0) observer.disconnect();
  };
  const observer = new MutationObserver(restore);
  observer.observe(document.body, { childList: true, subtree: true });
  setTimeout(() => observer.disconnect(), 30 * 60 * 1000);  // boxes of a tab this role no longer sees
  restore();
}
