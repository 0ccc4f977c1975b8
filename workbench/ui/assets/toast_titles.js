(titles) => {
  // Gradio titles every pop-up with its type in English ("Warning", "Info", "Error"; the server's title is not
  // used), whatever the page's language. On a page in another language each title is rewritten from
  // ``titles[lang]`` (the locale files) as the pop-up appears. Only our fixed texts are written.
  if (window.__toastTitles) return;
  window.__toastTitles = true;
  const pageLanguage = () => {
    const checked = document.querySelector('#language-switch input:checked');
    return checked ? checked.value : 'en';
  };
  const rewrite = () => {
    const own = titles[pageLanguage()];
    if (!own) return;
    for (const title of document.querySelectorAll('.toast-title')) {
      const walker = document.createTreeWalker(title, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.nodeValue.trim();
        const kind = Object.keys(titles.en).find((k) => titles.en[k] === text);
        if (kind && own[kind] !== text) node.nodeValue = node.nodeValue.replace(text, own[kind]);
      }
    }
  };
  // childList only, and a pop-up is rare: a streaming reply's text changes cost one query for .toast-title
  new MutationObserver(() => { if (document.querySelector('.toast-title')) rewrite(); })
    .observe(document.body, {subtree: true, childList: true});
}
