() => {
  // A page whose sign-in has ended (Sign out in another tab, or a server restart: sign-ins live in server
  // memory) gets 401 for every event, and Gradio shows nothing, so answers typed since look saved. Say so
  // in a notice that stays until closed. The text is fixed here: nothing from the server is drawn.
  if (window.__sessionGuard) return;
  window.__sessionGuard = true;
  // One fixed element over the page, made once; the text is ours (nothing from the server is drawn).
  const overlay = (id, role, css, html) => {
    if (document.getElementById(id)) return null;
    const el = document.createElement('div');
    el.id = id;
    el.setAttribute('role', role);
    el.style.cssText = css;
    el.innerHTML = html;
    document.body.appendChild(el);
    return el;
  };
  const BAR_CSS = 'position:fixed;top:0;left:0;right:0;z-index:10000;padding:4px 12px;text-align:center;'
    + 'background:var(--color-accent-soft,#fde68a);color:var(--body-text-color,#111);font-size:.9em';
  // Once the notice is closed, a later refusal shows a slim bar at the top instead: reopening the notice at every
  // click (eleven times to fill one Rate item, walk 9) only got in the way of the answers it says are kept.
  // A bar pushes the page down rather than cover its title (walk 11: three lines of it hid the title on a phone).
  const BARS = ['session-ended-bar', 'account-disabled-bar'];
  const padForBars = () => {
    const height = BARS.map(id => document.getElementById(id)).filter(Boolean)
      .reduce((most, bar) => Math.max(most, bar.offsetHeight), 0);
    document.body.style.paddingTop = height ? `${height}px` : '';
  };
  window.addEventListener('resize', padForBars);
  const showBar = () => { overlay('session-ended-bar', 'status', BAR_CSS,
    `登录已失效，未保存 · Not signed in: nothing is saved —
      <a href="./" target="_blank" rel="noopener">重新登录 · Sign in again</a>`); padForBars(); };
  // Signed in, but an admin disabled the account: the sign-in cookie stays valid, so without this the page
  // looked usable until reloaded (walk 9). It cannot be closed: nothing on the page works until it goes.
  const showDisabled = () => { overlay('account-disabled-bar', 'alert', BAR_CSS,
    `此账号已停用：本页的任何操作都不会保存，请联系管理员启用 ·
      This account is disabled: nothing you do on this page is saved. Ask an admin to enable it.`); padForBars(); };
  const remove = (id) => { const el = document.getElementById(id); if (el) { el.remove(); padForBars(); } };
  // Gradio marks every output of a refused event with a red "Error" pill (each Chat column, walk 10): the notice
  // says what happened, and the pills only suggested the models had failed. Hidden while signed out.
  const style = document.createElement('style');
  style.textContent = 'body.workbench-signed-out .wrap:has(> .error) { display: none !important; }';
  document.head.appendChild(style);
  const signedOut = () => document.body.classList.add('workbench-signed-out');
  const signedIn = () => {
    dismissed = false;
    remove('session-ended-bar');
    document.body.classList.remove('workbench-signed-out');
  };
  const show = () => {
    if (dismissed) { showBar(); return; }
    const box = overlay('session-ended', 'alertdialog',
      'position:fixed;inset:0;z-index:10000;display:flex;align-items:center;justify-content:center;'
      + 'background:rgba(0,0,0,.45)', `
      <div style="max-width:36em;background:var(--background-fill-primary,#fff);color:var(--body-text-color,#111);
                  border-radius:10px;padding:20px 24px;box-shadow:0 8px 30px rgba(0,0,0,.35);line-height:1.6">
        <p id="session-ended-title" style="font-weight:600;margin:0 0 8px">登录已失效 · Your sign-in has ended</p>
        <p style="margin:0 0 6px">已在其他标签页退出，或服务器已重启。重新登录之前，本页的操作都不会保存；页面上的答案仍在。
          请在新标签页重新登录，然后回到这里重做最后一步（例如再按一次提交）。</p>
        <p style="margin:0 0 12px">You signed out in another tab, or the server restarted. Nothing you do on this page
          is saved until you sign in again; the answers on the page are still here. Sign in in a new tab, then come
          back and repeat your last step (for example, submit again).</p>
        <a id="session-ended-login" href="./" target="_blank" rel="noopener">重新登录 · Sign in again</a>
        <button id="session-ended-close" style="float:right">关闭 · Close</button>
      </div>`);
    if (!box) return;
    // A modal for the keyboard as for the mouse (walk s62: the focus stayed behind it, so Close was a whole page
    // of Tabs away, Esc did nothing and the Rate keys acted on the item under it): focus moves to Close, Tab
    // goes round the link and the button, Esc closes it as Close does, no key reaches the page behind it, and
    // the focus goes back to where it was.
    box.setAttribute('aria-modal', 'true');
    box.setAttribute('aria-labelledby', 'session-ended-title');
    const before = document.activeElement;
    const close = box.querySelector('#session-ended-close');
    const stops = [box.querySelector('#session-ended-login'), close];
    const dismiss = () => {
      box.remove();
      dismissed = true;
      if (before && before !== document.body && before.isConnected) before.focus({preventScroll: true});
    };
    close.onclick = dismiss;
    box.addEventListener('keydown', (ev) => {
      ev.stopPropagation();
      if (ev.key === 'Escape') { ev.preventDefault(); dismiss(); return; }
      if (ev.key !== 'Tab') return;
      ev.preventDefault();
      const at = stops.indexOf(document.activeElement);
      stops[(at + (ev.shiftKey ? stops.length - 1 : 1)) % stops.length].focus();
    });
    // Focus that strays behind the notice (a click on its backdrop, a script) comes back to it.
    box.addEventListener('focusout', (ev) => {
      if (box.isConnected && !box.contains(ev.relatedTarget)) setTimeout(() => { if (box.isConnected) close.focus(); }, 0);
    });
    close.focus();
  };
  // The server holds sign-ins in memory: after a restart (or Sign out elsewhere) this page would only learn at
  // its next event, after the answer typed for it. A light check every 10 s says so first; once the notice
  // is closed the check stays quiet until the page is signed in again (an event's 401 still shows it).
  // The check is the workbench's own (account_check.py): it also says when the account has been disabled.
  let dismissed = false;
  const check = async () => {
    if (document.visibilityState !== 'visible') return;
    try {
      const r = await originalFetch('./workbench-account', {credentials: 'same-origin', cache: 'no-store'});
      if (r.status === 401) signedOut();
      if (r.status === 401 && !dismissed) show();
      if (!r.ok) return;
      signedIn();
      const answer = await r.json();
      if (answer.active === false) { showDisabled(); return; }
      remove('account-disabled-bar');
      // Loaded while the account was disabled, the page's tabs are empty and its header says why: once the account
      // works again it reloads, as the notice asked (walk 10: it stayed that way until reloaded by hand). At most
      // once a minute, should the page still disagree with this check.
      const last = Number(sessionStorage.getItem('workbench-account-reload') || 0);
      if (document.querySelector('#account .account-refused') && Date.now() - last > 60000) {
        sessionStorage.setItem('workbench-account-reload', String(Date.now()));
        location.reload();
      }
    } catch (e) { /* the server is down: it says nothing until it is back */ }
  };
  // A chat message leaves the box when Send is pressed (SEND_TAKES_TEXT_JS in chat_tab.py). Refused here, it never
  // reached the server and nothing brings it back: the request that carried it puts it back into the box, ahead of
  // anything typed since, so "repeat your last step" has the message to repeat.
  const restoreUnsent = (init) => {
    const text = window.__chatInFlight;
    if (!text) return;
    let body = null;
    try { body = JSON.parse(init && init.body); } catch (e) { return; }
    if (!body || !Array.isArray(body.data) || !body.data.includes(text)) return;
    window.__chatInFlight = null;
    window.__chatSending = false;
    const box = document.querySelector('#patient-message textarea');
    if (!box) return;
    box.value = box.value.trim() ? text + '\n' + box.value : text;
    box.dispatchEvent(new Event('input', { bubbles: true }));
  };
  const originalFetch = window.fetch.bind(window);
  window.fetch = async (...args) => {
    const response = await originalFetch(...args);
    if (response.status === 401 || response.status === 413) {
      const target = args[0];
      const url = String((target && target.url) || target);
      if (url.includes('/gradio_api/')) {
        if (response.status === 401) {
          signedOut();
          show();
        }
        // 413: a pasted message too large for any request (web_guard.MAX_REQUEST_BODY) was refused before the
        // server read it; Gradio's pop-up says so, and the text goes back into the box rather than being lost.
        restoreUnsent(args[1]);
      }
    }
    return response;
  };
  setInterval(check, 10000);
}
