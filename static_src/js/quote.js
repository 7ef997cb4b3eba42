// Quoting part of a comment: select some of its words, then use its Quote link, and the reply
// form starts with just those words (the link gains &part=...; the server checks they are in the
// comment). Without this script, or with nothing selected, Quote takes the whole comment.
(() => {
  const QUOTE_LINK = "a[href*='?quote=']";
  const MAX_CHARS = 2000;

  const selectedIn = (link) => {
    const prose = link.closest("article")?.querySelector(".cg-prose");
    const selection = window.getSelection();
    if (!prose || !selection || selection.isCollapsed) return "";
    if (!prose.contains(selection.anchorNode) || !prose.contains(selection.focusNode)) return "";
    return selection.toString().trim().slice(0, MAX_CHARS);
  };

  const remember = (event) => {
    const link = event.target.closest(QUOTE_LINK);
    if (!link) return;
    const text = selectedIn(link);
    // A mouse press on the link clears the selection before the click: keep what it was, for
    // that click only (a press dragged off the link never clicks).
    if (event.type === "mousedown") {
      link.dataset.quotePart = text;
      link.dataset.quotePartAt = String(Date.now());
      return;
    }
    const recent = Date.now() - Number(link.dataset.quotePartAt || 0) < 2000;
    const part = text || (recent ? link.dataset.quotePart : "") || "";
    delete link.dataset.quotePart;
    delete link.dataset.quotePartAt;
    const url = new URL(link.href, window.location.href);
    if (part) url.searchParams.set("part", part);
    else url.searchParams.delete("part");
    link.href = url.toString();
  };

  document.addEventListener("mousedown", remember, true);
  document.addEventListener("click", remember, true);
})();
