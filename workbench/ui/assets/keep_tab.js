() => {
  // The open tab survives a reload: an annotator who reloads mid-item comes back to Rate, not to Chat. Each
  // click on a top-level tab is remembered for this browser tab (sessionStorage); the language switch leaves
  // its own one-time mark (i18n.SWITCH_JS). The tab is opened once its button is on the page (a role's extra
  // tabs appear after load).
  document.addEventListener('click', (ev) => {
    const button = ev.target.closest && ev.target.closest('[role=tab]');
    if (button && button.id && button.id.startsWith('tab-')) sessionStorage.setItem('workbench-open-tab', button.id);
  }, true);
  const id = sessionStorage.getItem('workbench-tab') || sessionStorage.getItem('workbench-open-tab');
  sessionStorage.removeItem('workbench-tab');
  if (!id) return;
  const until = Date.now() + 15000;
  const tryOpen = () => {
    const button = document.getElementById(id);
    if (button && button.offsetParent !== null) {
      if (button.getAttribute('aria-selected') !== 'true') button.click();
      return;
    }
    if (Date.now() < until) setTimeout(tryOpen, 200);
  };
  tryOpen();
}
