(texts) => {
  // Gradio's date picker (Compare's From/To) writes its month, weekdays and buttons in English whatever the
  // page's language. Once a picker opens on a page in another language, its texts are rewritten from
  // ``texts[lang]`` (the locale files), and again when it redraws them (the month changes). English text nodes
  // are replaced in place, so the picker keeps updating the same nodes.
  if (window.__datePickerTexts) return;
  window.__datePickerTexts = true;
  const english = texts.en;
  const pageLanguage = () => {
    const checked = document.querySelector('#language-switch input:checked');
    return checked ? checked.value : 'en';
  };
  const rewrite = (picker, own) => {
    const walker = document.createTreeWalker(picker, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.nodeValue.trim();
      if (!text) continue;
      let mine = null;
      const monthYear = /^(\S+)\s+(\d{4})$/.exec(text);  // "December\n\t\t2026"
      if (monthYear && english.months.includes(monthYear[1])) {
        mine = own.month_year.replace('{month}', own.months[english.months.indexOf(monthYear[1])])
          .replace('{year}', monthYear[2]);
      } else if (english.weekdays.includes(text)) {
        mine = own.weekdays[english.weekdays.indexOf(text)];
      } else {
        for (const key of ['clear', 'now', 'done']) if (text === english[key]) mine = own[key];
      }
      if (mine !== null && mine !== node.nodeValue) node.nodeValue = mine;
    }
  };
  const watched = new WeakSet();
  const localize = () => {
    const own = texts[pageLanguage()];
    if (!own || own === english) return;
    for (const picker of document.querySelectorAll('.picker-container')) {
      rewrite(picker, own);
      if (watched.has(picker)) continue;
      watched.add(picker);
      new MutationObserver(() => rewrite(picker, own)).observe(picker, {subtree: true, childList: true,
                                                                       characterData: true});
    }
  };
  // Gradio's calendar button has an icon and no name: a screen reader said "button". Named after its field, in
  // the page's language, as it appears (childList only, and one query per change).
  const nameButtons = () => {
    const own = texts[pageLanguage()] || english;
    for (const button of document.querySelectorAll('button.calendar:not([aria-label])')) {
      const label = button.closest('.block')?.querySelector('[data-testid="block-info"], label span, label');
      button.setAttribute('aria-label', own.open.replace('{field}', (label?.textContent || '').trim()));
    }
  };
  nameButtons();
  new MutationObserver(nameButtons).observe(document.body, {subtree: true, childList: true});
  // The picker is drawn when its calendar button is pressed: look once it is on the page. Capture: the button
  // stops the click from bubbling (a click outside closes the picker).
  document.addEventListener('click', (event) => {
    if (event.target.closest && event.target.closest('button.calendar')) requestAnimationFrame(localize);
  }, true);
}
