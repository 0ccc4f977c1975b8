(() => {
  // Gradio's form (its heading, labels, button and "Incorrect Credentials") speaks the browser's language, and an
  // English browser read "Login", "username", "password" under the page's bilingual message (walk of session 70):
  // in both languages, Chinese first, like every other text here, and the tab gets a title (it had none). The
  // login page does not read the app's gr.I18n texts, hence here. Only text nodes change; Gradio keeps its form.
  const TITLE = '登录 · Sign in — 扁鹊健康大模型对比标注台 · BianQue Workbench';
  const SIGN_IN = '登录 · Sign in';
  const WRONG = '用户名或密码不正确 · Incorrect name or password';
  const write = (el, text) => {
    if (!el) return;
    const node = [...el.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.nodeValue.trim());
    if (node && node.nodeValue.trim() !== text) node.nodeValue = text;
    else if (!node && el.textContent.trim() !== text) el.prepend(document.createTextNode(text));
  };
  const label = (input) => input && input.closest('label') && input.closest('label').querySelector('[data-testid=block-info]');
  const bilingual = () => {
    const password = document.querySelector('input[type=password]');
    const panel = password && password.closest('.panel, .column');
    if (!panel) return;
    if (document.title !== TITLE) document.title = TITLE;
    write(panel.querySelector('h2'), SIGN_IN);
    write(label(panel.querySelector('input[type=text]')), '用户名 · Username');
    write(label(password), '密码 · Password');
    write(panel.querySelector('button.primary'), SIGN_IN);
    write(panel.querySelector('p.creds'), WRONG);
  };
  new MutationObserver(bilingual).observe(document.documentElement, {subtree: true, childList: true, characterData: true});
  bilingual();
  // Gradio's login form says "Incorrect Credentials" to a 400 answer and nothing at all to any other: a disabled
  // account's right password, a locked-out account or address, and a server error all looked like a button that
  // did nothing. The guard answers those with their own status; this says what each means, under the form.
  // The texts are fixed here (nothing from the server is drawn); the wait comes from Retry-After, as a number.
  const say = (status, retryAfter) => {
    if (status === 403) return '此账号已停用，请联系管理员启用 · This account is disabled: ask an admin to enable it.';
    if (status === 429) {
      const s = parseInt(retryAfter, 10);
      return Number.isFinite(s) && s > 0
        ? `登录失败次数过多，请 ${s} 秒后再试 · Too many failed sign-ins: try again in ${s} s.`
        : '登录失败次数过多，请稍后再试 · Too many failed sign-ins: try again later.';
    }
    if (status === 413) return '用户名或密码过长 · The name or password is too long.';
    if (status >= 500) return '服务器出错，请稍后再试或联系管理员 · The server failed: try again, or tell an admin.';
    return '';
  };
  // In the place of Gradio's "Incorrect Credentials" (above the fields), which it never takes down once shown:
  // hidden while a reason is up, so the page does not say both.
  const style = document.createElement('style');
  style.textContent = 'body.login-refused p.creds { display: none !important; }';
  document.head.appendChild(style);
  const show = (text) => {
    let el = document.getElementById('login-refusal');
    document.body.classList.toggle('login-refused', Boolean(text));
    if (!text) { if (el) el.remove(); return; }
    if (!el) {
      el = document.createElement('p');
      el.id = 'login-refusal';
      el.setAttribute('role', 'alert');
      el.style.cssText = 'margin:8px 0;color:var(--error-text-color,#b91c1c);font-weight:600';
      const password = document.querySelector('input[type=password]');
      const fields = password ? password.closest('.form') : null;
      if (fields && fields.parentNode) fields.parentNode.insertBefore(el, fields);
      else document.body.prepend(el);
    }
    el.textContent = text;
  };
  const isLogin = (input, init) => {
    try {
      const url = new URL(typeof input === 'string' ? input : input.url, location.href);
      const method = (init && init.method) || (typeof input === 'string' ? 'GET' : input.method);
      return method.toUpperCase() === 'POST' && /\/login\/?$/.test(url.pathname);
    } catch (e) { return false; }
  };
  // After a refusal the name stays and the password goes, whatever the answer: Gradio empties both fields after a
  // 400 (the name was typed again only to fix one letter of the password) and neither after any other (a refused
  // password stayed in its field). Set through input events, so the form's own state has them too.
  const set = (box, value) => {
    if (!box || box.value === value) return;
    box.value = value;
    box.dispatchEvent(new Event('input', {bubbles: true}));
  };
  const keepName = (name) => {
    setTimeout(() => {
      const box = document.querySelector('input[type=text]');
      if (box && name && !box.value) set(box, name);
      set(document.querySelector('input[type=password]'), '');
    }, 0);
  };
  const fetchAsSent = window.fetch.bind(window);
  window.fetch = async (input, init) => {
    const login = isLogin(input, init);
    const name = login ? (document.querySelector('input[type=text]') || {}).value : '';
    let response;
    try {
      response = await fetchAsSent(input, init);
    } catch (e) {
      if (login) show('无法连接服务器 · The workbench cannot be reached: is it running?');
      throw e;
    }
    if (login) show(say(response.status, response.headers.get('retry-after')));
    if (login && !response.ok) keepName(name);
    return response;
  };
})();
