(cookie, locales, titles) => {
  // Gradio's own texts (the file box's "Drop File Here", "- or -", "Click to Upload", its buttons' labels)
  // follow navigator.language, read as its page starts; the workbench's texts follow the language switch (its
  // cookie), else the browser's first language the workbench has, as the server decides (i18n.language). Run
  // first in every page (the HTTP guard puts it there), before Gradio starts: navigator.language then says the
  // workbench's language, so both halves of the page speak one language.
  const chosen = (document.cookie.match(new RegExp('(?:^|; )' + cookie + '=([^;]*)')) || [])[1];
  const wished = (navigator.languages || [navigator.language]).map((tag) => tag.toLowerCase().split('-')[0]);
  const lang = chosen in locales ? chosen : wished.find((base) => base in locales) || 'en';
  // the browser's own tag where it is of that language (zh-TW keeps Gradio's zh-TW texts)
  const own = (navigator.languages || [navigator.language]).find((tag) => tag.toLowerCase().split('-')[0] === lang);
  const tag = own && own.includes('-') ? own : locales[lang];
  // The tab's title in the page's language too (it read English first in a Chinese page): Gradio writes the app's
  // one title into <head> once it starts, so it is rewritten when it appears. Only that title: the sign-in page
  // names itself (login_reasons.js).
  // (only when it differs: each write is itself a change the observer sees)
  const ownTitle = titles[lang] || titles.app;
  const retitle = () => { if (document.title === titles.app && ownTitle !== titles.app) document.title = ownTitle; };
  new MutationObserver(retitle).observe(document.documentElement, {subtree: true, childList: true, characterData: true});
  retitle();
  if (navigator.language === tag) return;
  try {
    Object.defineProperty(Navigator.prototype, 'language', {get: () => tag, configurable: true});
  } catch (e) { /* an engine that refuses: Gradio's texts stay in the browser's language */ }
}
