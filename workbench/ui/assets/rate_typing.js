() => {
  // Typing in the Rate tab's comment and corrected-reply boxes, which autosave as the annotator types.
  if (window.__rateTyping) return;
  window.__rateTyping = true;
  const inRateBox = (el) => el && el.tagName === 'TEXTAREA' && el.closest && el.closest('.rate-col');

  // 1. Gradio's Textbox sends its input event from keypress only, which a Chinese input method, Backspace,
  // Delete, paste and cut never fire: such typing was saved only when the box lost focus. A change of the
  // text that came without a keypress is announced to Gradio as one, once the text has settled (after the
  // composition ends), and Gradio reads the box's new value.
  let keyed = false;
  document.addEventListener('keypress', (event) => {
    if (event.isTrusted && inRateBox(event.target)) keyed = true;  // not the announcements below
  }, true);
  const announce = (box) => setTimeout(
    () => box.dispatchEvent(new KeyboardEvent('keypress', { key: 'Unidentified', bubbles: true })), 0);
  document.addEventListener('input', (event) => {
    const box = event.target;
    if (!inRateBox(box)) return;
    typedAt = Date.now();
    if (keyed) { keyed = false; return; }
    if (!event.isComposing) announce(box);
  }, true);
  document.addEventListener('compositionend', (event) => { if (inRateBox(event.target)) announce(event.target); }, true);

  // 2. A reload or a closed tab before the last words' save answered lost them without a word: the browser
  // asks before leaving while the page holds typing that no save answer has followed yet. Each save's answer
  // rewrites the saved line (its version counts up); one landing just after a keystroke may answer the save
  // before it, and the keystroke's own save follows at once (autosaves run one after another).
  let typedAt = 0;
  let savedAt = 0;
  const watch = () => {
    const saved = document.getElementById('rate-saved');
    if (!saved) { setTimeout(watch, 500); return; }
    new MutationObserver(() => { savedAt = Date.now(); })
      .observe(saved, { childList: true, subtree: true, characterData: true });
  };
  watch();
  window.addEventListener('beforeunload', (event) => {
    // (also answered: a save sent after the last keystroke came back, though it wrote the same saved line as the
    // save before it, in the same second: rate_tab.py's save_answered_js)
    if (typedAt > savedAt && typedAt > (window.__rateSavedUpTo || 0)) {
      event.preventDefault();
      event.returnValue = '';
    }
  });
}
