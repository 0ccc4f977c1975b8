(titles, messages) => {
  // Gradio titles every pop-up with its type in English ("Warning", "Info", "Error"; the server's title is not
  // used), whatever the page's language. On a page in another language each title is rewritten from
  // ``titles[lang]`` (the locale files) as the pop-up appears. Only our fixed texts are written.
  // The one message Gradio's page writes itself, a file refused by the upload box for its size, is rewritten
  // from ``messages[lang]`` in every language: it names the file and the setting that sets the limit.
  if (window.__toastTitles) return;
  window.__toastTitles = true;
  const TOO_LARGE = /^File\(s\) exceed the maximum allowed size of (.+?): (".*")$/;
  const pageLanguage = () => {
    const checked = document.querySelector('#language-switch input:checked');
    return checked ? checked.value : 'en';
  };
  const textNodes = function* (root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) yield node;
  };
  const rewrite = () => {
    const lang = pageLanguage();
    const own = titles[lang];
    for (const title of own ? document.querySelectorAll('.toast-title') : []) {
      for (const node of textNodes(title)) {
        const text = node.nodeValue.trim();
        const kind = Object.keys(titles.en).find((k) => titles.en[k] === text);
        if (kind && own[kind] !== text) node.nodeValue = node.nodeValue.replace(text, own[kind]);
      }
    }
    const said = messages[lang] || messages.en;
    for (const body of document.querySelectorAll('.toast-body')) {
      for (const node of textNodes(body)) {
        const found = TOO_LARGE.exec(node.nodeValue.trim());
        if (!found) continue;
        // (Gradio writes megabytes as "Mb", which reads as megabits)
        node.nodeValue = said.too_large.replace('{limit}', found[1].replace(/Mb$/, 'MB')).replace('{files}', found[2]);
        clearRefusedUploads();
      }
    }
  };
  // The refusing box stayed red with "Error" over its drop zone, which took no click and no dropped file until
  // its small × was found: the pop-up says why, so the box is cleared for the next file. The last import's
  // result beside it goes too (it read as the refused file's): a hidden ``.upload-refused`` button in the box's
  // column empties it, through Gradio, as choosing a file does.
  const clearRefusedUploads = () => {
    for (const block of document.querySelectorAll('.block')) {
      if (!block.querySelector(':scope input[type=file]')) continue;
      const tracker = block.querySelector(':scope > [data-testid="status-tracker"]');
      if (!tracker || !tracker.querySelector('.error')) continue;
      tracker.querySelector('.clear-status button')?.click();
      const column = block.closest('.column') || document;
      for (const refused of column.querySelectorAll('.upload-refused')) {
        (refused.matches('button') ? refused : refused.querySelector('button'))?.click();
      }
    }
  };
  // childList only, and a pop-up is rare: a streaming reply's text changes cost one query for .toast-title
  new MutationObserver(() => { if (document.querySelector('.toast-title')) rewrite(); })
    .observe(document.body, {subtree: true, childList: true});
}
