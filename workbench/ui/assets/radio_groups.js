() => {
  // Gradio names every radio input on its own (radio-25, radio-26…), so the browser takes each option for a group
  // of one: Tab stopped on every option (about sixty stops across a Rate item's three boxes, walk 11) and the arrow
  // keys did nothing. One name per Radio makes it a real group: one Tab stop (the chosen option, else the first),
  // and the arrow keys move the choice, as in any form. The language switch stays as it is: an arrow key there
  // would reload the page in the other language.
  if (window.__radioGroups) return;
  window.__radioGroups = true;
  const names = new WeakMap();
  let next = 0;
  const group = () => {
    for (const input of document.querySelectorAll('input[type=radio]')) {
      const block = input.closest('.block');
      if (!block || block.id === 'language-switch') continue;
      if (!names.has(block)) names.set(block, `wb-radio-group-${next++}`);
      const name = names.get(block);
      if (input.name !== name) input.name = name;
    }
  };
  // Radios appear as tabs open and choices change, and Gradio writes its own names back whenever a choice
  // changes: group them again at once (the observer runs before the next key is handled; a frame later, a quick
  // arrow key found the options apart again). Most of the page's changes (streamed replies, progress) add no
  // radio and cost one selector test each.
  const hasRadio = (node) => node.nodeType === 1
    && (node.matches('input[type=radio]') || node.querySelector('input[type=radio]') !== null);
  const touchesRadio = (r) => r.type === 'attributes'
    ? r.target.matches('input[type=radio]') && !r.target.name.startsWith('wb-radio-group-')
    : Array.from(r.addedNodes).some(hasRadio);
  new MutationObserver((records) => { if (records.some(touchesRadio)) group(); })
    .observe(document.body, {childList: true, subtree: true, attributes: true, attributeFilter: ['name']});
  group();
}
