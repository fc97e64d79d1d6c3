"""Checks any browser test can run on any page: what a user on a phone would notice going wrong.

    context = phone_context(browser)              # a 375 px phone in Chinese (the one place that says so)
    page = context.new_page()
    problems = watch(page)                        # once, right after the page is opened
    ...drive the page...
    assert_sound(page, problems, name="walk-03-apply")

A test that checks only the phone width (no sideways scroll, touch targets of 44 px) calls
`phone_width_problems(page)`; each check is also a function of its own (`sideways`, `small_targets`, `overlaps`,
`english`) for tests that judge pages their own way (tests/browser/test_phone_layout.py).

`assert_sound` saves test-artifacts/<name>.png (full page), then fails, naming the element or text, on:

- a console error, a script error or a response with status >= 500 since the last check (the list is emptied
  after each check, so each page answers for its own);
- sideways scrolling: the document is wider than the viewport;
- overlapping: a line of text over another, or a box (with a background or border) over text not its own,
  e.g. cards laid over each other (a quarter of the text's box or more);
- a touch target under 44 × 44 px. Every visible a[href], button, input (not hidden), select, textarea, summary
  and label wrapping or naming a checkbox/radio counts. A checkbox or radio counts its label's box when it has one
  (tapping the label ticks it). Exempt: a link inside running text, i.e. an inline <a> (not one styled as a
  button) within a <p> that holds other words besides the link (WCAG 2.5.8's "inline" exception); a link in a
  list, table cell or nav is not exempt;
- untranslated English on a Chinese page (<html lang="zh…">): a visible text node, button value or placeholder
  with an English word of 4 or more letters. Not counted: text inside <code>, <pre>, <kbd>, <samp>,
  [translate="no"] or [lang^="en"] (e.g. the English switch), web addresses and e-mail addresses, and the words
  of ALLOWED_WORDS (file formats and product names a Chinese user reads as they are).
"""

from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts"
MIN_TARGET = 44  # px, both ways
PHONE_WIDTH = 375  # px: the phone every page is made for
# File formats and names Chinese pages use as they are (CSV and PDF are three letters: never counted).
ALLOWED_WORDS = frozenset({"XLSX", "xlsx", "iCal", "JSON", "Excel", "HTTPS"})


def phone_context(browser, *, width: int = PHONE_WIDTH, height: int = 812, touch: bool = False, **options):
    """A browser context the size of a phone (`width` × `height`), in Chinese unless `locale` says otherwise; `touch`
    makes it a touch phone (is_mobile, has_touch). Other Playwright context options pass through (base_url, ...)."""
    if touch:
        options |= {"is_mobile": True, "has_touch": True}
    options.setdefault("locale", "zh-CN")
    return browser.new_context(viewport={"width": width, "height": height}, **options)


def watch(page) -> list[str]:
    """Start collecting console errors, script errors and server errors (status >= 500) of `page`."""
    problems: list[str] = []
    page.on("console", lambda message: message.type == "error" and problems.append(
        f"console error on {page.url}: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"script error on {page.url}: {error}"))
    page.on("response", lambda response: response.status >= 500 and problems.append(
        f"server error: {response.request.method} {response.url} answered {response.status}"))
    return problems


_SIDEWAYS = """width => {
  const scroll = document.documentElement.scrollWidth;
  if (scroll <= width) return null;
  const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const wide = [...document.querySelectorAll('body *')]
      .filter(e => e.getBoundingClientRect().right > width + 1)
      .filter(e => !e.parentElement || e.parentElement.getBoundingClientRect().right <= width + 1)
      .slice(0, 5).map(e => describe(e) + ' (right edge ' + Math.round(e.getBoundingClientRect().right) + ' px)');
  return {width, scroll, wide};
}"""

_SMALL_TARGETS = """min => {
  const visible = e => {  // checkVisibility: not in a closed <details> (whose content still reports boxes)
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && e.checkVisibility({visibilityProperty: true});
  };
  const text = e => (e.innerText || e.value || e.getAttribute('aria-label') || e.getAttribute('name') || '')
      .trim().replace(/\\s+/g, ' ').slice(0, 40);
  const describe = e => {
    let what = '<' + e.tagName.toLowerCase();
    if (e.type && e.tagName === 'INPUT') what += ' type=' + e.type;
    if (e.name) what += ' name=' + e.name;
    if (e.getAttribute('href')) what += ' href=' + e.getAttribute('href');
    return what + '> "' + text(e) + '"';
  };
  const labelOf = input => input.closest('label')
      || (input.id && document.querySelector('label[for="' + CSS.escape(input.id) + '"]'));
  const inRunningText = a => {
    const p = a.closest('p');
    if (!p || getComputedStyle(a).display !== 'inline') return false;
    return p.innerText.replace(a.innerText, '').replace(/[\\s·,，。:：;；()（）|/]/g, '').length > 0;
  };
  const seen = new Set(), small = [];
  const targets = document.querySelectorAll(
      'a[href], button, input:not([type=hidden]), select, textarea, summary, label');
  for (let e of targets) {
    if (e.tagName === 'LABEL') {
      if (!e.control || !['checkbox', 'radio'].includes(e.control.type)) continue;
      e = e.control;
    }
    let box = e;
    if (e.tagName === 'INPUT' && ['checkbox', 'radio'].includes(e.type)) box = labelOf(e) || e;
    if (seen.has(box)) continue;
    seen.add(box);
    if (!visible(box)) continue;
    if (e.tagName === 'A' && inRunningText(e)) continue;
    const r = box.getBoundingClientRect();
    if (r.width < min - 0.5 || r.height < min - 0.5)
      small.push(describe(e) + (box !== e ? ' (its label)' : '') + ' is '
          + Math.round(r.width) + '×' + Math.round(r.height) + ' px');
  }
  return small;
}"""

_ENGLISH = """allowed => {
  if (!(document.documentElement.lang || '').toLowerCase().startsWith('zh')) return [];
  const skip = 'script, style, noscript, template, code, pre, kbd, samp, [translate="no"], [lang^="en"], [lang="EN"]';
  const word = /(?<![A-Za-z])[A-Za-z]{4,}(?![A-Za-z])/g;
  const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const english = s => (s.replace(/\\S+:\\/\\/\\S+/g, ' ').replace(/\\S+@\\S+\\.\\S+/g, ' ').match(word) || [])
      .filter(w => !allowed.includes(w));
  const visible = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || parent.closest(skip) || !visible(parent)) continue;
    const words = english(node.textContent);
    if (words.length) found.push('"' + node.textContent.trim().replace(/\\s+/g, ' ').slice(0, 80) + '" in '
        + describe(parent) + ' (' + [...new Set(words)].join(', ') + ')');
  }
  const shownValues = 'input[type=submit], input[type=button], input[type=reset], [placeholder]';
  for (const e of document.querySelectorAll(shownValues)) {
    if (e.closest(skip) || !visible(e)) continue;
    const shown = e.matches('[placeholder]') ? e.getAttribute('placeholder') : e.value;
    const words = english(shown || '');
    if (words.length) found.push('"' + shown + '" on ' + describe(e) + ' (' + [...new Set(words)].join(', ') + ')');
  }
  return found;
}"""


_OVERLAPS = """() => {
  const describe = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
      + (typeof e.className === 'string' && e.className.trim() ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const clips = new Map();  // element -> the box its overflow-clipping ancestors leave visible
  const clipOf = e => {
    if (!e || e === document.body) return null;
    if (clips.has(e)) return clips.get(e);
    let box = clipOf(e.parentElement);
    const s = getComputedStyle(e);
    if (s.overflow !== 'visible' || s.clip !== 'auto' || s.clipPath !== 'none') {
      const r = e.getBoundingClientRect();
      const own = s.clip === 'auto' && s.clipPath === 'none' ? r  // any clip: taken as hiding it all
          : {left: r.left, top: r.top, right: r.left, bottom: r.top};
      box = box ? {left: Math.max(box.left, own.left), top: Math.max(box.top, own.top),
                   right: Math.min(box.right, own.right), bottom: Math.min(box.bottom, own.bottom)} : own;
    }
    clips.set(e, box);
    return box;
  };
  const clipped = (r, box) => !box ? r : {left: Math.max(r.left, box.left), top: Math.max(r.top, box.top),
      right: Math.min(r.right, box.right), bottom: Math.min(r.bottom, box.bottom)};
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.textContent.trim() || !parent) continue;
    if (parent.closest('script, style, noscript, template, option, select')) continue;
    if (!parent.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const box = clipOf(parent);
    for (const whole of range.getClientRects()) {
      const c = clipped(whole, box);
      const r = {left: c.left, top: c.top, right: c.right, bottom: c.bottom, width: c.right - c.left,
                 height: c.bottom - c.top};
      if (r.width > 2 && r.height > 2) boxes.push({r, parent, text: node.textContent.trim().slice(0, 30)});
    }
  }
  boxes.sort((a, b) => a.r.top - b.r.top);
  const found = [], seen = new Set();
  // A box painted over text that is not its own (a card laid over another card's words).
  const painted = [...document.body.querySelectorAll('*')].filter(e => {
    const s = getComputedStyle(e);
    return e.checkVisibility({visibilityProperty: true}) && (s.backgroundColor !== 'rgba(0, 0, 0, 0)'
        || parseFloat(s.borderTopWidth) > 0 || parseFloat(s.borderLeftWidth) > 0);
  });
  for (const e of painted) {
    if (found.length >= 10) break;
    for (const whole of e.getClientRects()) {
      const c = clipped(whole, clipOf(e.parentElement));
      for (const t of boxes) {
        if (t.r.top >= c.bottom) break;
        if (e.contains(t.parent) || t.parent.contains(e)) continue;
        const w = Math.min(c.right, t.r.right) - Math.max(c.left, t.r.left);
        const h = Math.min(c.bottom, t.r.bottom) - Math.max(c.top, t.r.top);
        if (w <= 0 || h <= 0 || w * h < 0.25 * t.r.width * t.r.height) continue;
        const key = describe(e) + '|' + describe(t.parent);
        if (seen.has(key)) continue;
        seen.add(key);
        found.push('the box of ' + describe(e) + ' overlaps "' + t.text + '" in ' + describe(t.parent));
      }
    }
  }
  for (let i = 0; i < boxes.length && found.length < 10; i++) {
    const a = boxes[i];
    for (let j = i + 1; j < boxes.length && boxes[j].r.top < a.r.bottom; j++) {
      const b = boxes[j];
      if (a.parent === b.parent || a.parent.contains(b.parent) || b.parent.contains(a.parent)) continue;
      const w = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const h = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (w <= 0 || h <= 0) continue;
      const smaller = Math.min(a.r.width * a.r.height, b.r.width * b.r.height);
      if (w * h < 0.25 * smaller) continue;  // glyphs touching at a line's edge are not text over text
      const key = describe(a.parent) + '|' + describe(b.parent);
      if (seen.has(key)) continue;
      seen.add(key);
      found.push('"' + a.text + '" in ' + describe(a.parent) + ' and "' + b.text + '" in ' + describe(b.parent));
    }
  }
  return found;
}"""


def sideways(page) -> str | None:
    """"scrolls sideways: ..." when the document is wider than the viewport (naming the widest elements), else None."""
    found = page.evaluate(_SIDEWAYS, page.viewport_size["width"])  # a phone zooms out: not innerWidth
    if not found:
        return None
    return (f"scrolls sideways: the page is {found['scroll']} px wide in a {found['width']} px viewport; too wide: "
            f"{', '.join(found['wide'])}")


def small_targets(page) -> list[str]:
    """Every visible touch target under MIN_TARGET × MIN_TARGET px, described."""
    return [f"touch target under {MIN_TARGET}×{MIN_TARGET} px: {small}"
            for small in page.evaluate(_SMALL_TARGETS, MIN_TARGET)]


def overlaps(page) -> list[str]:
    """Every text laid over other text, or box painted over text not its own."""
    return [f"overlapping: {overlap}" for overlap in page.evaluate(_OVERLAPS)]


def english(page) -> list[str]:
    """Untranslated English on a Chinese page."""
    return [f"English on a Chinese page: {text}" for text in page.evaluate(_ENGLISH, sorted(ALLOWED_WORDS))]


def phone_width_problems(page) -> list[str]:
    """The phone-width check: no sideways scrolling and no touch target under 44 × 44 px."""
    return [problem for problem in [sideways(page)] if problem] + small_targets(page)


def assert_sound(page, problems: list[str], *, name: str) -> None:
    """Screenshot the page as test-artifacts/<name>.png and fail, naming what is wrong, on anything a user notices."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    found = list(problems)
    problems.clear()
    found += [problem for problem in [sideways(page)] if problem] + overlaps(page) + small_targets(page)
    failures = [f"- {problem}" for problem in found + english(page)]
    assert not failures, f"{page.url} (screenshot test-artifacts/{name}.png):\n" + "\n".join(failures)
