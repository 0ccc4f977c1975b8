() => {
  // The language switch reloads the page (every text is drawn on load); it leaves the open tab's button id in
  // sessionStorage, and this reopens that tab once it is on the page (a role's extra tabs appear after load).
  const id = sessionStorage.getItem('workbench-tab');
  if (!id) return;
  sessionStorage.removeItem('workbench-tab');
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
