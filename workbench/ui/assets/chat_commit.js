() => {
  // Enter (without Shift) in the patient box, or a click on Send, commits the box's text as it is at that moment.
  // Gradio holds a send back while this tab's previous one runs and then reads the box again, which sent what was
  // typed after Enter (half a word, or a message never Entered): the send takes the committed text instead
  // (SEND_TAKES_TEXT_JS in chat_tab.py). A blank Enter while a send runs commits "nothing" (null): it would only
  // say "the message is empty"; a message still waiting to go is kept. Capture phase: this runs before Gradio's own
  // handlers of the same key or click.
  // Every press it sees is counted: a send that finds no commit, after the count, had its press's commit taken by
  // the send before it (a second Enter before the first went) and sends nothing; with a count of 0 the press came
  // before this script ran, and the send takes the box.
  if (window.__chatCommitListeners) return;
  window.__chatCommitListeners = true;
  window.__chatPressCount = 0;
  const commit = () => {
    const box = document.querySelector('#patient-message textarea');
    if (!box) return;
    window.__chatPressCount += 1;
    if (box.value.trim() === '' && window.__chatSending) {
      if (!window.__chatCommitted) window.__chatCommitted = { text: null };
    } else {
      window.__chatCommitted = { text: box.value };
    }
  };
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.target.closest && e.target.closest('#patient-message')) {
      commit();
    }
  }, true);
  document.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('#send')) commit();
  }, true);
}
