/* The segment rule builder.
 *
 * The form holds the rule as JSON in a textarea (usable without JavaScript). This script hides
 * it, draws the rule as nested groups of conditions whose inputs follow each field's kind (from
 * the catalogue the page embeds), writes the JSON back on every change and, after a pause in
 * typing, asks the API to count the contacts and preview the first few. Errors the server names
 * by path ("rule.all[2].value") are shown on the condition they belong to.
 */
(function () {
  "use strict";

  var form = document.querySelector("form.segment-form");
  var mount = document.getElementById("segment-builder");
  if (!form || !mount) { return; }

  function readJson(id, fallback) {
    var node = document.getElementById(id);
    try { return node ? JSON.parse(node.textContent) : fallback; } catch (e) { return fallback; }
  }

  var catalogue = readJson("segment-catalogue", { fields: [], options: {}, max_depth: 5 });
  var rule = readJson("segment-rule", { all: [] });
  var serverErrors = readJson("segment-rule-errors", {});
  var strings = document.getElementById("segment-strings").dataset;
  var textarea = form.querySelector("textarea[name=rule]");
  var summary = document.getElementById("segment-rule-summary");  // the server's word on a refused rule, if any
  var readonly = form.dataset.readonly === "true";
  var fields = {};
  catalogue.fields.forEach(function (f) { fields[f.key] = f; });
  var uid = 0;

  if (!rule || typeof rule !== "object" || Array.isArray(rule) || !(Array.isArray(rule.all) || Array.isArray(rule.any))) {
    rule = { all: [] };  // not a rule the builder can draw: start afresh (the JSON field still shows the error)
  }

  // --- Small DOM helpers ---------------------------------------------------------------------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else if (attrs[key] !== null && attrs[key] !== undefined) { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function labelled(labelText, input) {
    var id = "seg-" + (++uid);
    input.id = id;
    if (readonly) { input.disabled = true; }
    return el("div", {}, [el("label", { "for": id, text: labelText }), input]);
  }

  function select(options, current, multiple) {
    var node = el("select", multiple ? { multiple: "multiple" } : {});
    if (!multiple) { node.appendChild(el("option", { value: "", text: strings.choose })); }
    options.forEach(function (option) {
      var item = el("option", { value: String(option.value), text: option.label });
      var chosen = multiple ? (current || []).map(String).indexOf(String(option.value)) >= 0 : String(current) === String(option.value);
      if (chosen) { item.selected = true; }
      node.appendChild(item);
    });
    return node;
  }

  function kindOf(node) {
    var field = fields[node.field];
    var op = field && field.ops.filter(function (o) { return o.key === node.op; })[0];
    return op || null;
  }

  // --- The value input that follows the operator's kind ---------------------------------------
  var REFERENCE_KINDS = ["tag", "interest", "category", "ticket_category", "user", "product", "company"];

  function monthOptions() {
    var lang = document.documentElement.lang || undefined;
    var names = [];
    for (var m = 1; m <= 12; m++) {
      names.push({ value: m, label: new Date(2000, m - 1, 1).toLocaleString(lang, { month: "long" }) });
    }
    return names;
  }

  function valueInput(node, op) {
    var kind = op.value;
    var field = fields[node.field];
    var input;
    if (kind === "none") { return null; }
    if (kind === "choice") {
      input = select(field.choices || [], node.value, false);
    } else if (kind === "choices") {
      input = field.choices ? select(field.choices, node.value, true) : el("input", { type: "text", value: (node.value || []).join(", ") });
    } else if (kind === "month") {
      input = select(monthOptions(), node.value, false);
    } else if (REFERENCE_KINDS.indexOf(kind) >= 0 && catalogue.options[kind]) {
      input = select(catalogue.options[kind].map(function (o) { return { value: o.id, label: o.label }; }), node.value, false);
    } else if (REFERENCE_KINDS.indexOf(kind) >= 0) {
      input = el("input", { type: "number", min: "1", step: "1", inputmode: "numeric", value: node.value === undefined ? "" : node.value });
    } else if (kind === "date") {
      input = el("input", { type: "date", value: node.value || "" });
    } else if (kind === "number" || kind === "money" || kind === "days") {
      input = el("input", {
        type: "number", step: kind === "days" ? "1" : "any", min: kind === "number" ? null : (kind === "days" ? "1" : "0"),
        inputmode: "decimal", value: node.value === undefined || node.value === null ? "" : node.value
      });
    } else {
      input = el("input", { type: "text", value: node.value || "" });
    }
    input.addEventListener("input", function () { node.value = parseValue(kind, input, field); changed(false); });
    input.addEventListener("change", function () { node.value = parseValue(kind, input, field); changed(false); });
    var label = REFERENCE_KINDS.indexOf(kind) >= 0 && !catalogue.options[kind] ? strings.id : strings.value;
    return labelled(label, input);
  }

  function parseValue(kind, input, field) {
    if (kind === "choices") {
      if (input.tagName === "SELECT") {
        return Array.prototype.filter.call(input.options, function (o) { return o.selected; }).map(function (o) { return o.value; });
      }
      return input.value.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
    }
    if (input.value === "") { return undefined; }
    if (kind === "number" || kind === "money") { return Number(input.value); }
    if (kind === "days" || kind === "month" || REFERENCE_KINDS.indexOf(kind) >= 0) { return parseInt(input.value, 10); }
    return input.value;
  }

  // --- Conditions and groups ------------------------------------------------------------------
  function conditionRow(node, parent, index, path) {
    var op = kindOf(node);
    var row = el("li", { "class": "segment-condition" + (op && op.days ? " segment-condition--days" : ""), "data-path": path });

    var fieldSelect = el("select", {});
    fieldSelect.appendChild(el("option", { value: "", text: strings.choose }));
    var groups = {};
    catalogue.fields.forEach(function (f) {
      if (!groups[f.group]) { groups[f.group] = el("optgroup", { label: f.group }); fieldSelect.appendChild(groups[f.group]); }
      var option = el("option", { value: f.key, text: f.label });
      if (f.key === node.field) { option.selected = true; }
      groups[f.group].appendChild(option);
    });
    fieldSelect.addEventListener("change", function () {
      parent[index] = { field: fieldSelect.value, op: (fields[fieldSelect.value] || { ops: [{}] }).ops[0].key };
      changed(true);
    });
    row.appendChild(labelled(strings.field, fieldSelect));

    var field = fields[node.field];
    var opSelect = select(field ? field.ops.map(function (o) { return { value: o.key, label: o.label }; }) : [], node.op, false);
    opSelect.addEventListener("change", function () {
      parent[index] = { field: node.field, op: opSelect.value };
      changed(true);
    });
    row.appendChild(labelled(strings.operator, opSelect));

    if (op) {
      var value = valueInput(node, op);
      row.appendChild(value || el("div", {}));
      if (op.days) {
        var days = el("input", { type: "number", min: "1", step: "1", inputmode: "numeric", value: node.days || "" });
        days.addEventListener("input", function () { node.days = days.value === "" ? undefined : parseInt(days.value, 10); changed(false); });
        row.appendChild(labelled(strings.days, days));
      }
    } else {
      row.appendChild(el("div", {}));
    }
    row.appendChild(removeButton(parent, index));
    return row;
  }

  function removeButton(parent, index) {
    if (readonly) { return el("div", {}); }
    var button = el("button", { type: "button", "class": "btn btn--small btn--quiet", text: strings.remove });
    button.addEventListener("click", function () { parent.splice(index, 1); changed(true); });
    return button;
  }

  function groupBox(group, path, depth, parent, index) {
    var key = Array.isArray(group.all) ? "all" : "any";
    var box = el("fieldset", { "class": "segment-group", "data-path": path });
    var match = select([{ value: "all", label: strings.all }, { value: "any", label: strings.any }], key, false);
    match.removeChild(match.firstChild);
    match.addEventListener("change", function () {
      var children = group[key];
      delete group[key];
      group[match.value] = children;
      changed(true);
    });
    var head = el("div", { "class": "segment-group__head" }, [labelled(strings.match, match)]);
    if (parent) { head.appendChild(removeButton(parent, index)); }
    box.appendChild(head);

    var list = el("ul", { "class": "segment-group__children" });
    group[key].forEach(function (child, i) {
      var childPath = path + "." + key + "[" + i + "]";
      if (child && typeof child === "object" && (Array.isArray(child.all) || Array.isArray(child.any))) {
        list.appendChild(el("li", {}, [groupBox(child, childPath, depth + 1, group[key], i)]));
      } else {
        list.appendChild(conditionRow(child || {}, group[key], i, childPath));
      }
    });
    box.appendChild(list);
    if (!group[key].length) { box.appendChild(el("p", { "class": "muted", text: strings.emptyGroup })); }

    if (!readonly) {
      var actions = el("div", { "class": "segment-group__actions" });
      var addCondition = el("button", { type: "button", "class": "btn btn--small", text: strings.addCondition });
      addCondition.addEventListener("click", function () {
        var first = catalogue.fields[0];
        group[key].push({ field: first.key, op: first.ops[0].key });
        changed(true);
      });
      actions.appendChild(addCondition);
      if (depth < catalogue.max_depth) {
        var addGroup = el("button", { type: "button", "class": "btn btn--small", text: strings.addGroup });
        addGroup.addEventListener("click", function () { group[key].push({ any: [] }); changed(true); });
        actions.appendChild(addGroup);
      }
      box.appendChild(actions);
    }
    return box;
  }

  // --- Errors by path ------------------------------------------------------------------------
  function showErrors(errors) {
    // The server's "the rule has mistakes" goes once the rule has none (a count came back).
    if (summary) { summary.hidden = !Object.keys(errors || {}).length; }
    mount.querySelectorAll(".segment-node-error").forEach(function (n) { n.remove(); });
    mount.querySelectorAll(".segment-condition--invalid, .segment-group--invalid").forEach(function (n) {
      n.classList.remove("segment-condition--invalid", "segment-group--invalid");
    });
    Object.keys(errors || {}).forEach(function (path) {
      // The node is the longest data-path that the error's path starts with ("rule.all[0]" for "rule.all[0].value").
      var target = null;
      mount.querySelectorAll("[data-path]").forEach(function (candidate) {
        var p = candidate.dataset.path;
        if ((path === p || path.indexOf(p + ".") === 0) && (!target || p.length > target.dataset.path.length)) { target = candidate; }
      });
      if (!target) { return; }
      target.classList.add(target.tagName === "FIELDSET" ? "segment-group--invalid" : "segment-condition--invalid");
      errors[path].forEach(function (message) { target.appendChild(el("p", { "class": "segment-node-error", text: message })); });
    });
  }

  // --- Counting ------------------------------------------------------------------------------
  var countNode = document.getElementById("segment-count");
  var previewNode = document.getElementById("segment-preview");
  var timer = null;
  var asked = 0;

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function countLabel(n) {
    return n === 1 ? strings.countOne : strings.countMany.replace("%(count)s", n.toLocaleString(document.documentElement.lang || undefined));
  }

  function count() {
    var mine = ++asked;
    countNode.textContent = strings.counting;
    fetch(form.dataset.countUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify({ rule: rule, preview: 10 })
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (answer) {
      if (mine !== asked) { return; }  // a newer count is on its way
      previewNode.textContent = "";
      if (answer.status === 200) {
        countNode.textContent = countLabel(answer.body.count);
        answer.body.contacts.forEach(function (c) {
          var link = el("a", { href: form.dataset.contactUrl + c.id + "/", text: c.name });
          previewNode.appendChild(el("li", { "class": "list__item" }, [link, c.company ? el("span", { "class": "muted", text: " · " + c.company }) : null]));
        });
        showErrors({});
      } else {
        countNode.textContent = strings.failed;
        // A problem document lists {field, message} pairs; the builder shows them by path.
        var byPath = {};
        (answer.body.errors || []).forEach(function (e) { (byPath[e.field] = byPath[e.field] || []).push(e.message); });
        showErrors(byPath);
      }
    }).catch(function () {
      if (mine === asked) { countNode.textContent = strings.offline; }
    });
  }

  // --- Drawing and change --------------------------------------------------------------------
  function draw() {
    mount.textContent = "";
    mount.appendChild(groupBox(rule, "rule", 1, null, 0));
  }

  function changed(redraw) {
    // Values left empty are left out, so the server says "a value is required" on the right node.
    textarea.value = JSON.stringify(rule, function (key, value) { return value === undefined ? undefined : value; });
    if (redraw) { draw(); }
    clearTimeout(timer);
    timer = setTimeout(count, 450);
  }

  mount.hidden = false;
  form.querySelector(".segment-json").hidden = true;
  var list = document.getElementById("segment-rule-error-list");
  if (list) { list.hidden = true; }
  draw();
  showErrors(serverErrors);
  textarea.value = JSON.stringify(rule);
  count();
})();
