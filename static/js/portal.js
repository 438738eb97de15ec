// Readiness Portal: the little JavaScript the pages need. Every page works without it.
(function () {
  "use strict";

  // Marks the page as scripted: without it, the action rows' controls read as plain values
  // (they save through this file; without JavaScript, items are edited on their own page).
  document.documentElement.classList.add("js");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // Every htmx request carries the CSRF token as a header.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  var toastTimer;
  var toastAction = null;  // the action the shown toast offers, while it shows
  // A message at the bottom of the page, for six seconds; with `action` ({label, run}) it
  // carries one button (Undo), also pressed by Ctrl+Z (or Cmd+Z) from anywhere but a text
  // field, since the toast is far from the row in the tab order. It stays while the
  // pointer or the focus is on it.
  function toast(message, action) {
    var box = document.getElementById("toast");
    if (!box) { return; }
    box.textContent = message;
    toastAction = null;
    if (action) {
      var run = function () {
        box.hidden = true;
        toastAction = null;
        action.run();
      };
      var button = document.createElement("button");
      button.type = "button";
      button.className = "toast-action";
      button.textContent = action.label;
      button.setAttribute("aria-keyshortcuts", "Control+Z Meta+Z");
      button.addEventListener("click", run);
      var hint = document.createElement("kbd");
      hint.className = "toast-key";
      hint.textContent = "Ctrl+Z";
      box.appendChild(document.createTextNode(" "));
      box.appendChild(button);
      box.appendChild(hint);
      toastAction = run;
    }
    box.hidden = false;
    clearTimeout(toastTimer);
    var hide = function () {
      if (box.matches(":hover") || box.contains(document.activeElement)) {
        toastTimer = setTimeout(hide, 1500);
        return;
      }
      box.hidden = true;
      toastAction = null;
    };
    toastTimer = setTimeout(hide, 6000);
  }

  function editsText(element) {
    return element.isContentEditable || element.tagName === "TEXTAREA" ||
      (element.tagName === "INPUT" && !/^(date|checkbox|radio|button|submit)$/.test(element.type));
  }

  document.addEventListener("keydown", function (event) {
    if (!toastAction || !(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey ||
        event.key.toLowerCase() !== "z" || editsText(event.target)) { return; }
    event.preventDefault();
    toastAction();
  });

  // Errors that htmx does not swap (403, 404, 500...) still tell the user something: the
  // error page's own message when it has one, else a word for the status.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var messages = {
      400: "The request was refused. Reload the page and try again.",
      401: "Your session ended. Please sign in again.",
      403: "Your role does not allow this change.",
      404: "That no longer exists.",
      413: "That is larger than the portal accepts.",
      429: "Too many attempts. Wait a few minutes.",
      503: "The database cannot be reached right now. Try again shortly."
    };
    var told = xhr.getResponseHeader("X-Portal-Message");  // the page's own message
    toast(told ? decodeURIComponent(told)
          : messages[xhr.status] || "Something went wrong. Try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("The portal cannot be reached. Check your connection.");
  });

  // Confirmation for buttons that carry data-confirm, without inline script.
  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-confirm]");
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // --- The action table (templates/actions/_table.html) and the owner selects ------------
  // A select with data-options="<url>" (or an owner select in an action table, whose
  // data-owners gives the url) lists only its current choice; the other <option>s load
  // from the url once per page, when such a select is first reached (or after the page
  // loads, with data-eager). A row's status and priority selects take theirs from the
  // table's <template data-choices>. The select keeps its own blank choice and its value.
  var optionLists = {};

  function optionList(url) {
    if (!optionLists[url]) {
      optionLists[url] = fetch(url, {credentials: "same-origin"}).then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      }).then(function (html) {
        var template = document.createElement("template");
        template.innerHTML = html;
        return template.content;
      });
      optionLists[url].catch(function () { delete optionLists[url]; });
    }
    return optionLists[url];
  }

  // The select keeps its own choices that are not ids (its blank, "Choose…", "Nobody"),
  // first and in their order, then takes the loaded ones.
  function putOptions(select, options, value) {
    var own = Array.prototype.filter.call(select.options, function (option) {
      return !/^[0-9]+$/.test(option.value);
    });
    own.forEach(function (option) {
      var theirs = options.querySelector('option[value="' + option.value + '"]');
      if (theirs) { theirs.remove(); }
    });
    select.replaceChildren();
    own.forEach(function (option) { select.appendChild(option); });
    select.appendChild(options);
    select.value = value;
  }

  function fillSelect(select) {
    if (select.hasAttribute("data-filled")) { return; }
    var table = select.closest("table[data-row-url]");
    var row = table && select.closest("tr[data-item-id]");
    var template = row && table.querySelector('template[data-choices="' + select.name + '"]');
    select.setAttribute("data-filled", "");
    if (template) {  // a vocabulary: its whole list, in its order, replaces the one shown
      select.replaceChildren(template.content.cloneNode(true));
      select.value = row.dataset[select.name];
      return;
    }
    var url = select.dataset.options || (row && select.name === "owner" && table.dataset.owners);
    if (!url) { return; }
    optionList(url).then(function (options) {
      putOptions(select, options.cloneNode(true), select.value);
    }, function () {
      select.removeAttribute("data-filled");  // try again when next reached
    });
  }

  // A select with data-choices="<template id>" (the import preview's owners) shares the
  // options of that one <template>: they are copied in when the select is first reached,
  // after the few it lists itself, which it keeps (with its value).
  function shareChoices(select) {
    if (select.hasAttribute("data-filled")) { return; }
    var template = document.getElementById(select.dataset.choices);
    if (!template) { return; }
    select.setAttribute("data-filled", "");
    var value = select.value;
    var own = {};
    Array.prototype.forEach.call(select.options, function (option) { own[option.value] = true; });
    var shared = template.content.cloneNode(true);
    shared.querySelectorAll("option").forEach(function (option) {
      if (own[option.value]) { option.remove(); }
    });
    select.appendChild(shared);
    select.value = value;
  }
  ["focusin", "mouseover", "touchstart"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var select = event.target.closest && event.target.closest("select[data-choices]");
      if (select) { shareChoices(select); }
    }, {passive: true});
  });

  var LAZY = "select[data-options], table[data-row-url] tr[data-item-id] select";
  ["focusin", "mouseover", "touchstart"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var select = event.target.closest && event.target.closest(LAZY);
      if (select) { fillSelect(select); }
    }, {passive: true});
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("select[data-options][data-eager]").forEach(fillSelect);
  });

  // A row's field cell (td[data-label], the columns of portal/actions/fields.py) saves
  // its one field when the edit is committed: a choice made with the pointer (the picker
  // closing), Enter, or leaving the control after a change. Arrow keys and typing only
  // change the value on screen, so stepping through a status with the keyboard saves
  // nothing until Enter. The value is posted under the control's name with the row's
  // version (and the table's layout) to actions.inline, and the answer (the row, or the
  // row with its error or conflict) is swapped in; the focus stays on the control.
  // Changes to one row go one after the other, each with the version the previous answer
  // gave. A saved change offers Undo for a few seconds.
  var rowQueues = {};
  var typed = null;  // the control a key changed last, and when

  function rowControl(control) {
    var table = control && control.closest && control.closest("table[data-row-url]");
    var row = table && control.closest("tr[data-item-id]");
    var cell = row && control.closest("td[data-label]");
    if (!cell || !control.name || control.name === "ids" || !window.htmx) { return null; }
    return {table: table, row: row, cell: cell};
  }

  // The value the server last saved: the row carries it for its choice fields
  // (data-status, data-priority...), an input its own default.
  function savedValue(control) {
    var row = control.closest("tr[data-item-id]");
    if (row && row.dataset[control.name] !== undefined) { return row.dataset[control.name]; }
    return control.defaultValue;
  }

  // A value as the pages write it: a choice by its label, a date as "24 Dec 2026".
  function shownValue(control) {
    if (control.tagName === "SELECT") {
      var option = control.options[control.selectedIndex];
      return option ? option.textContent.trim() : "";
    }
    if (control.type === "date" && control.value) {
      return new Date(control.value + "T00:00:00").toLocaleDateString(
        "en-GB", {day: "2-digit", month: "short", year: "numeric"});
    }
    return control.value || "cleared";
  }

  var settling = {};  // item id -> what to do once its saved row has settled

  function saveField(table, id, name, value, undo) {
    var url = table.dataset.rowUrl.replace("/0/", "/" + id + "/");
    var previous = rowQueues[id] || Promise.resolve();
    var next = previous.then(function () {
      var current = table.querySelector('tr[data-item-id="' + id + '"]');
      if (!current) { return null; }
      var values = {version: current.dataset.version, return_to: table.dataset.returnTo};
      if (table.hasAttribute("data-ticks")) { values.ticks = "1"; }
      if (table.hasAttribute("data-hide-workstream")) { values.hide_workstream = "1"; }
      if (table.dataset.idPrefix) { values.id_prefix = table.dataset.idPrefix; }
      values[name] = value;
      settling[id] = {table: table, name: name, undo: undo};
      return htmx.ajax("POST", url, {source: current, target: current, swap: "outerHTML",
                                     values: values});
    });
    rowQueues[id] = next.catch(function () { return null; });
  }

  // Where the focus is in a row as its answer replaces it: the saved control (Enter), or
  // the next one (Tab, which saves the control it leaves), found again in the new row.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var row = event.detail.target;
    var done = row && row.dataset && settling[row.dataset.itemId];
    var active = document.activeElement;
    if (!done || active === row || !row.contains(active)) { return; }
    done.refocus = active.name ? '[name="' + active.name + '"]'
      : active.id ? "#" + CSS.escape(active.id) : null;
  });

  // Once a saved row has settled: the focus back where it was, and Undo on offer.
  document.addEventListener("htmx:afterSettle", function (event) {
    var row = event.detail.elt && event.detail.elt.closest &&
      event.detail.elt.closest("tr[data-item-id]");
    var done = row && settling[row.dataset.itemId];
    if (!done) { return; }
    delete settling[row.dataset.itemId];
    var control = done.refocus && row.querySelector(done.refocus);
    if (control) { control.focus(); }
    if (done.undo && row.classList.contains("row-saved")) {
      toast("Saved: " + done.undo.label + ".", {label: "Undo", run: function () {
        saveField(done.table, row.dataset.itemId, done.name, done.undo.value, null);
      }});
    }
  });

  // Saves a changed control. A date typed only in part reads as empty, which would clear
  // it: it is not saved, and leaving the control puts the saved date back.
  function commit(control, leaving) {
    var place = rowControl(control);
    if (!place || control.dataset.dirty !== "1") { return; }
    var before = savedValue(control);
    var header = place.table.querySelector('th[data-field="' + control.name + '"]');
    var label = header ? header.textContent.trim() : control.name;
    if (control.validity && control.validity.badInput) {
      if (leaving) {
        delete control.dataset.dirty;
        control.value = before;
      }
      toast(label + ": the date is not complete. Finish it, or clear it; nothing was saved.");
      return;
    }
    delete control.dataset.dirty;
    if (control.value === before) { return; }
    saveField(place.table, place.row.dataset.itemId, control.name, control.value,
              {label: label + " " + shownValue(control), value: before});
  }

  document.addEventListener("keydown", function (event) {
    var control = event.target;
    if (!rowControl(control)) { return; }
    if (event.key === "Enter") {
      if (control.dataset.dirty === "1") {
        event.preventDefault();
        commit(control);
      }
      return;
    }
    if (event.key !== "Tab") { typed = {control: control, at: Date.now()}; }
  });

  document.addEventListener("change", function (event) {
    var control = event.target;
    if (!rowControl(control)) { return; }
    control.dataset.dirty = "1";
    var byKey = typed && typed.control === control && Date.now() - typed.at < 1000;
    if (!byKey) { commit(control); }  // the pointer chose from the picker: done
  });

  document.addEventListener("focusout", function (event) {
    if (event.target.dataset && event.target.dataset.dirty === "1") { commit(event.target, true); }
  });

  // After htmx re-renders part of a page, the focus goes back to the button that was
  // pressed: the submit event's submitter with data-focus-group="<id>", found again by its
  // id. One that is now disabled (its row moved to the top or bottom) hands the focus to
  // the first enabled button of that element, else to the element itself, so the keyboard
  // keeps its place. The button travels with its request: a request that settles late
  // does not take the place of the one sent after it (two quick presses of Enter).
  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig;
    var trigger = config && config.triggeringEvent;
    var button = (trigger && trigger.submitter) || document.activeElement;
    if (event.detail.xhr && button && button.id && button.hasAttribute("data-focus-group")) {
      event.detail.xhr.portalPressed = {id: button.id,
                                        group: button.getAttribute("data-focus-group")};
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    var pressed = event.detail.xhr && event.detail.xhr.portalPressed;
    if (!pressed) { return; }
    var button = document.getElementById(pressed.id);
    if (button && !button.disabled) {
      button.focus();
      return;
    }
    var group = document.getElementById(pressed.group);
    var other = group && group.querySelector("button[data-focus-group]:not([disabled])");
    (other || group || document.body).focus();
  });

  // The bulk bar says how many items it changes, and asks before it does.
  function bulkCount() {
    return document.querySelectorAll('input[type=checkbox][name="ids"]:checked').length;
  }
  function labelBulk() {
    var button = document.querySelector("[data-bulk-apply]");
    if (!button) { return; }
    var count = bulkCount();
    button.textContent = count ? "Apply to " + count + " item" + (count === 1 ? "" : "s")
      : "Apply";
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "ids" || event.target.hasAttribute("data-check-all")) {
      labelBulk();
    }
  });
  document.addEventListener("htmx:afterSettle", labelBulk);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id !== "bulk-form") { return; }
    var action = form.querySelector("#bulk-action");
    var choice = action && action.options[action.selectedIndex];
    var value = action && form.querySelector(".bulk-" + action.value + " select");
    var shown = value && value.value ? value.options[value.selectedIndex].textContent.trim()
      : "";
    var count = bulkCount();
    if (count && !window.confirm((choice ? choice.textContent.trim() : "Change") +
                                 (shown ? ": " + shown : "") + " for " + count + " item" +
                                 (count === 1 ? "" : "s") + "?")) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // "Select all" checkboxes: <input type=checkbox data-check-all="name">.
  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-check-all]");
    if (!all) { return; }
    var name = all.getAttribute("data-check-all");
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });

  // A <details> panel opened by a link or by the URL's fragment ("New item" on /actions:
  // <a data-opens="create-panel">, #create-panel) opens, comes into view below the sticky
  // top bar (its scroll-margin-top) and gives its first field the focus, once the form
  // is there when the panel fetches it on opening. Without JavaScript the link's ?new=1
  // has the server render the panel open.
  var FIELD = "input:not([type=hidden]), select, textarea";

  function openPanel(panel) {
    if (!panel || panel.tagName !== "DETAILS") { return false; }
    panel.open = true;
    panel.scrollIntoView({ block: "start" });
    var field = panel.querySelector(FIELD);
    if (field) { field.focus({ preventScroll: true }); } else { panel.dataset.focusPending = "1"; }
    return true;
  }

  document.addEventListener("htmx:afterSettle", function () {
    document.querySelectorAll("details[data-focus-pending]").forEach(function (panel) {
      var field = panel.querySelector(FIELD);
      if (field) {
        delete panel.dataset.focusPending;
        field.focus({ preventScroll: true });
      }
    });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-opens]");
    if (link && openPanel(document.getElementById(link.getAttribute("data-opens")))) {
      event.preventDefault();
    }
  });

  function openFromHash() {
    var id = window.location.hash.slice(1);
    if (id) { openPanel(document.getElementById(decodeURIComponent(id))); }
  }
  window.addEventListener("load", openFromHash);  // after the browser's own jump to the fragment
  window.addEventListener("hashchange", openFromHash);

  // A Print button (<button data-print>, shown only with JavaScript) prints the page.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) { window.print(); }
  });
})();
