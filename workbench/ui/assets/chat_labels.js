() => {
  // A chat bubble's screen-reader label is the message as the server sent it, with & < > written as character
  // references (text.chat_text: what makes the bubble inert). The bubble shows the characters; the label read
  // them out as "&lt;". Labels are attributes, never parsed as markup: the decoded text goes back as text.
  const ENTITY = /&(lt|gt|amp|quot|#x27|#39);/;
  const decoder = document.createElement('textarea');  // RCDATA: its content is never run or rendered
  const decode = (s) => { decoder.innerHTML = s; return decoder.value; };
  // A real tag in a label is the app's own marker around a reply (<span class="reply-stopped">■ stopped…</span>):
  // what anyone typed arrives as character references, so only the app's markup has a "<" here. Its words stay.
  const TAG = /<\/?[a-z][^<>]*>/gi;
  const fix = (el) => {
    const label = el.getAttribute('aria-label');
    // decoded once: a label already set here (its text may hold "&lt;" as typed) is left as it is
    if (!label || label === el.dataset.labelDecoded || !(ENTITY.test(label) || label.includes('<'))) return;
    const text = decode(label.replace(TAG, ' ').replace(/\s{2,}/g, ' ').trim());
    el.dataset.labelDecoded = text;
    el.setAttribute('aria-label', text);
  };
  const scan = (root) => {
    if (root.nodeType !== 1) return;
    if (root.hasAttribute('aria-label')) fix(root);
    root.querySelectorAll('[aria-label*="&"], [aria-label*="<"]').forEach(fix);
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'attributes') fix(r.target);
      else r.addedNodes.forEach(scan);
    }
  }).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label']});
  scan(document.body);
}
