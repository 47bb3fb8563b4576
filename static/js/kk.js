/*
 * Ketenkameleon: the little behaviour that HTML and htmx do not give by themselves.
 * Loaded with `defer` from base.html (the CSP allows scripts from 'self' only, no inline code).
 *
 * 1. Focus after an htmx swap. After a form is submitted through htmx (any verb but GET), focus
 *    moves to the error summary in the new content, or else to its confirmation
 *    ([role=status] / [role=alert]), so keyboard and screen-reader users land where the answer
 *    is instead of at the top of the page. GET swaps (filters, polling) keep the user's focus.
 * 2. Disclosures that start closed on small screens: <details data-kk-collapse-below="40em" open>
 *    is open by default (and without JavaScript) and closed on a screen narrower than that.
 * 3. A table wrapper (.kk-table-wrapper) that scrolls sideways must be reachable by keyboard:
 *    one without its own tabindex gets tabindex="0", role="region" and its table's caption as
 *    name. Templates should say so themselves; this catches the ones that do not.
 * 4. Content that htmx loads on request ("Oudere gebeurtenissen tonen" on the case timeline)
 *    takes the focus when its top element says data-kk-focus-on-load (with tabindex="-1"):
 *    the link that was followed is gone, and keyboard users go on reading where it was.
 */
(function () {
  "use strict";

  let swappedElements = [];
  let focusScheduled = false;

  function firstMatch(elements, selector) {
    for (const element of elements) {
      if (!element.isConnected) continue;
      if (element.matches(selector)) return element;
      const inside = element.querySelector(selector);
      if (inside) return inside;
    }
    return null;
  }

  function focusAfterSwap() {
    const elements = swappedElements;
    swappedElements = [];
    focusScheduled = false;
    const target =
      firstMatch(elements, ".kk-error-summary") ||
      firstMatch(elements, "[role=status], [role=alert]");
    if (!target) return;
    if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    const config = event.detail && event.detail.requestConfig;
    if (!config || config.verb === "get") return;
    swappedElements.push(event.target);
    if (!focusScheduled) {
      focusScheduled = true;
      window.setTimeout(focusAfterSwap, 0);
    }
  });

  function collapseOnSmallScreens(root) {
    for (const details of root.querySelectorAll("details[data-kk-collapse-below]")) {
      const width = details.getAttribute("data-kk-collapse-below");
      if (window.matchMedia("(max-width: " + width + ")").matches) details.open = false;
    }
  }

  function labelScrollingTables(root) {
    const wrappers = root.querySelectorAll(".kk-table-wrapper:not([tabindex])");
    for (const wrapper of wrappers) {
      if (wrapper.scrollWidth <= wrapper.clientWidth) continue;
      const caption = wrapper.querySelector("caption");
      if (!caption) continue;
      wrapper.setAttribute("tabindex", "0");
      wrapper.setAttribute("role", "region");
      if (caption.id) wrapper.setAttribute("aria-labelledby", caption.id);
      else wrapper.setAttribute("aria-label", caption.textContent.trim());
    }
  }

  // htmx:load fires for the page once htmx is ready and for every piece of swapped-in content.
  document.addEventListener("htmx:load", function (event) {
    labelScrollingTables(event.target.parentElement || document);
    if (event.target.matches && event.target.matches("[data-kk-focus-on-load]")) {
      event.target.focus();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      collapseOnSmallScreens(document);
      labelScrollingTables(document);
    });
  } else {
    collapseOnSmallScreens(document);
    labelScrollingTables(document);
  }
})();
