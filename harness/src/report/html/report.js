// Renders a racewright report: the report's JSON (#rw-report) and the state after each
// step computed from it (#rw-steps). Every text goes in through textContent.
"use strict";
(function () {
  const reportText = document.getElementById("rw-report").textContent;
  const report = JSON.parse(reportText);
  // A seed is a u64, more digits than a JavaScript number keeps: shown as written.
  const seed = (/"seed":\s*(\d+)/.exec(reportText) || [])[1] || String(report.seed);
  const view = JSON.parse(document.getElementById("rw-steps").textContent);
  const steps = view.steps;
  const tasks = steps.length ? steps[steps.length - 1].state.tasks : report.tasks.map((task) => ({ id: task.id, name: task.name }));
  let current = steps.length - 1;

  function make(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function append(parent, ...children) {
    for (const child of children) parent.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    return parent;
  }
  // The lanes and the state name source files relative to the directory all of them
  // share (the full path is in each tooltip): `abba.rs:38` for `scenarios/src/abba.rs:38`.
  const base = (function () {
    let shared = null;
    const collect = (text) => {
      for (const match of (text || "").matchAll(/[\w.-]+(?:\/[\w.-]+)*\.rs(?=:\d)/g)) {
        const directories = match[0].split("/").slice(0, -1);
        if (shared === null) shared = directories;
        let same = 0;
        while (same < shared.length && same < directories.length && shared[same] === directories[same]) same += 1;
        shared = shared.slice(0, same);
      }
    };
    for (const step of steps) {
      collect(step.what);
      collect(step.at);
      for (const task of step.state.tasks) [task.last, task.at].forEach(collect);
      for (const hold of step.state.holds) [hold.resource, hold.at].forEach(collect);
      for (const wait of step.state.waits) [wait.on, wait.at].forEach(collect);
      for (const channel of step.state.channels) {
        collect(channel.channel);
        for (const message of channel.messages.concat(channel.lost_messages)) collect(message.at);
      }
    }
    return shared && shared.length ? shared.join("/") + "/" : "";
  })();
  const basePattern = new RegExp("(^|[\\s@(])" + base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g");
  function short(text) {
    return base && text ? text.replace(basePattern, "$1") : text;
  }
  function shown(tag, className, text) {
    const node = make(tag, className, short(text));
    if (text && node.textContent !== text) node.title = text;
    return node;
  }

  function taskName(id) {
    const task = tasks.find((task) => task.id === id);
    return task ? `#${id} ${task.name}` : `#${id}`;
  }

  // The verdict, as the text report's first lines.
  function verdict() {
    const header = document.getElementById("verdict");
    const failure = report.findings[0];
    // A replay stopped at a step (RACEWRIGHT_STOP_AT) is no verdict.
    const stopped = report.stopped ? `STOPPED at step ${report.stopped.step}` : null;
    const outcome = stopped || (failure ? `FAILED (${failure.kind})` : report.harness_error ? "ERROR" : report.limit ? "INCOMPLETE" : "passed");
    append(header, append(make("h1"), make("span", failure ? "outcome failed" : "outcome", outcome), " ", make("span", "test", report.test)));
    const facts = [`engine ${report.engine}`, `strategy ${report.strategy}`];
    if (report.engine !== "loom") facts.push(`seed ${seed}`);
    facts.push(report.failing_execution ? `execution ${report.failing_execution} of ${report.iterations}` : `${report.executions} of ${report.iterations} executions`);
    if (report.replay) {
      const shrunk = report.replay.found_preemptions > report.preemptions ? ` (shrunk from ${report.replay.found_preemptions})` : "";
      facts.push(`preemptions ${report.preemptions}${shrunk}`);
    }
    append(header, make("p", "facts", facts.join(" \u00b7 ")));
    if (report.limit) append(header, make("p", "facts", `incomplete: ${report.limit}`));
    for (const other of report.also || []) append(header, make("p", "facts", `also ${other.engine}: ${other.verdict}`));
    if (report.harness_error) append(header, make("pre", "harness-error", `racewright internal error (a bug of racewright, not of the test):\n${report.harness_error}`));
  }

  // Every finding: message, where, and its details (a deadlock's wait-for cycle...).
  function findings() {
    const section = document.getElementById("findings");
    report.findings.forEach((failure, index) => {
      const box = make("div", index === 0 ? "finding lead" : "finding");
      append(box, append(make("div", "finding-head"), make("span", "kind", (index === 0 ? "" : "also ") + failure.kind), " ", make("span", "message", failure.message)));
      const where = [];
      if (failure.location) where.push(`at ${failure.location}`);
      if (failure.task) where.push(`in task #${failure.task.id} "${failure.task.name}"`);
      if (where.length) append(box, make("div", "where", where.join(" ")));
      if (failure.details.length) {
        const list = make("ul", "details");
        for (const detail of failure.details) append(list, make("li", null, detail));
        append(box, list);
      }
      append(section, box);
    });
  }

  function replay() {
    const section = document.getElementById("replay");
    if (!report.replay) return;
    append(section, make("h2", null, "Replay this execution"), make("pre", "command", report.replay.command));
  }

  // The swimlanes: one column per task, one row per step; each lane drawn as the task
  // stands after that row (not spawned, ready, blocked, ended).
  function timeline() {
    const table = document.getElementById("timeline");
    // Lanes share the width; past a few tasks, the table scrolls sideways instead.
    table.style.minWidth = `${tasks.length * 130 + 260}px`;
    if (base) document.getElementById("lanes").prepend(make("p", "paths", `paths under ${base}`));
    const head = append(make("tr"), make("th", "step", "step"));
    for (const task of tasks) append(head, make("th", "lane-head", `#${task.id} ${task.name}`));
    append(head, make("th", "where", "where"));
    append(table, append(make("thead"), head));
    const body = make("tbody");
    if (view.skipped > 0) {
      const row = make("tr", "skipped");
      const cell = make("td", null, `\u2026 ${view.skipped} earlier steps`);
      cell.colSpan = tasks.length + 2;
      append(body, append(row, cell));
    }
    let previous = null;
    steps.forEach((step, index) => {
      const row = make("tr", step.blocked ? "blocked-row" : "");
      row.dataset.index = index;
      const same = previous && previous.task === step.task && previous.step === step.step && !step.preempted;
      const number = make("td", step.preempted ? "step preempted" : "step", same ? "" : (step.preempted ? "\u00bb" : "") + step.step);
      if (step.preempted) number.title = "the scheduler preempted a task that could have gone on";
      append(row, number);
      for (const task of step.state.tasks) {
        const cell = make("td", `lane lane-${task.status}`);
        if (task.id === step.task) {
          const label = shown("span", step.blocked ? "op op-blocked" : step.at === "" ? "op op-engine" : "op", step.what);
          label.title = step.what;
          append(cell, label);
        }
        append(row, cell);
      }
      append(row, shown("td", "where", step.at));
      row.addEventListener("click", () => go(index));
      append(body, row);
      previous = step;
    });
    append(table, body);
    const legend = make("p", "legend", "lanes: ");
    for (const status of ["running", "ready", "pending", "blocked"]) {
      append(legend, make("span", `sample lane lane-${status}`), `${status} `);
    }
    if (steps.some((step) => step.preempted)) append(legend, " \u00b7 \u00bb the scheduler preempted a task that could have gone on");
    append(document.getElementById("lanes"), legend);
  }

  function state() {
    const panel = document.getElementById("state");
    panel.replaceChildren();
    const step = steps[current];
    const last = current === steps.length - 1;
    const heading = make("h2", null, `After scheduling step ${step.step}`);
    append(panel, heading);
    const what = shown("p", "now", `${taskName(step.task)} ${step.what}${step.at ? ` at ${step.at}` : ""}`);
    what.dataset.log = "now";
    append(panel, what);
    if (steps.some((other) => other.state.clock)) {
      const clock = make("p", "clock", `virtual time t=${step.state.clock || "0"}`);
      clock.dataset.log = "clock";
      append(panel, clock);
    }
    if (last && report.findings.length) {
      const failure = report.findings[0];
      const banner = make("p", "failed-here", `here the execution failed: ${failure.kind}: ${failure.message.split("\n")[0]}`);
      banner.dataset.log = "failure";
      append(panel, banner);
    }

    append(panel, make("h3", null, "Tasks"));
    const table = make("table", "tasks");
    for (const task of step.state.tasks) {
      const row = make("tr", `task task-${task.status}`);
      row.dataset.log = "task";
      append(row, make("td", "name", `#${task.id} ${task.name}`), append(make("td"), make("span", `badge badge-${task.status}`, task.status.replace("_", " "))));
      const last = shown("td", "last", task.last ? `${task.last}${task.at ? ` at ${task.at}` : ""}` : "");
      // The async stack, known at the report's last step: a line per frame.
      if (task.stack && task.stack.length) {
        const stack = make("ol", "stack");
        for (const frame of task.stack) append(stack, shown("li", null, frame));
        append(last, stack);
      }
      append(row, last);
      append(table, row);
    }
    append(panel, table);

    append(panel, make("h3", null, "Holds"));
    const holds = make("ul", "holds");
    for (const hold of step.state.holds) {
      const item = shown("li", "hold", `${taskName(hold.task)} holds ${hold.resource} (acquired at ${hold.at})`);
      item.dataset.log = "hold";
      append(holds, item);
    }
    if (!step.state.holds.length) append(holds, make("li", "none", "no lock or permit is held"));
    append(panel, holds);

    append(panel, make("h3", null, "Waits"));
    const waits = make("ul", "waits");
    for (const wait of step.state.waits) {
      let text = `${taskName(wait.task)} waits in ${wait.operation}`;
      if (wait.on) text += ` for ${wait.on}`;
      if (wait.held_by.length) text += `, held by ${wait.held_by.map(taskName).join(", ")}`;
      const item = shown("li", wait.held_by.length ? "wait wait-held" : "wait", `${text} at ${wait.at}`);
      item.dataset.log = "wait";
      append(waits, item);
    }
    if (!step.state.waits.length) append(waits, make("li", "none", "nobody waits"));
    append(panel, waits);

    // What each channel holds: who sent each message, when and where (the values are the
    // program's, not shown), and how it closed. Only in a report with channels.
    if (!steps.some((other) => other.state.channels.length)) return;
    append(panel, make("h3", null, "Channels"));
    const channels = make("ul", "channels");
    const closings = { senders_dropped: "dropped the last sender", receiver_closed: "closed it", receiver_dropped: "dropped the receiver" };
    const sent = (message) => `sent by ${taskName(message.task)} at step ${message.step}, at ${message.at}`;
    for (const channel of step.state.channels) {
      const count = channel.held;
      let text = channel.channel;
      if (channel.capacity !== null) text += `, capacity ${channel.capacity}`;
      text += count === 0 ? ": empty" : count === 1 ? ": 1 message" : `: ${count} messages`;
      if (channel.closed.length) {
        text += "; closed: " + channel.closed.map((closed) => `${taskName(closed.task)} ${closings[closed.how]} at step ${closed.step}`).join(", ");
      }
      // A closed channel with nothing left to receive is done: drawn muted.
      const item = make("li", channel.closed.length && !count ? "channel channel-done" : "channel");
      const head = shown("div", "channel-head", text);
      head.dataset.log = "channel";
      append(item, head);
      const messages = make("ol", "messages");
      for (const message of channel.messages) {
        const line = shown("li", "message", sent(message));
        line.dataset.log = "message";
        append(messages, line);
      }
      // A long queue lists its oldest messages only, as the text does.
      const more = (className, text) => {
        const line = make("li", className, text);
        line.dataset.log = "more";
        append(messages, line);
      };
      if (count > channel.messages.length) more("message more", `\u2026 ${count - channel.messages.length} more`);
      for (const message of channel.lost_messages) {
        const line = shown("li", "message message-lost", `dropped unreceived: ${sent(message)}`);
        line.dataset.log = "lost";
        append(messages, line);
      }
      if (channel.lost > channel.lost_messages.length) {
        more("message message-lost more", `\u2026 ${channel.lost - channel.lost_messages.length} more dropped unreceived`);
      }
      if (messages.childElementCount) append(item, messages);
      append(channels, item);
    }
    if (!step.state.channels.length) append(channels, make("li", "none", "no channel yet"));
    append(panel, channels);
  }

  function go(index) {
    if (!steps.length) return;
    current = Math.max(0, Math.min(steps.length - 1, index));
    const slider = document.getElementById("slider");
    slider.value = current;
    document.getElementById("position").textContent = `${current + 1} / ${steps.length}`;
    for (const row of document.querySelectorAll("#timeline tbody tr[data-index]")) {
      const index = Number(row.dataset.index);
      row.classList.toggle("current", index === current);
      row.classList.toggle("future", index > current);
      if (index === current) row.scrollIntoView({ block: "nearest" });
    }
    state();
  }

  function keys() {
    document.addEventListener("keydown", (event) => {
      const moves = { ArrowLeft: current - 1, ArrowRight: current + 1, Home: 0, End: steps.length - 1 };
      if (!(event.key in moves) || event.altKey || event.ctrlKey || event.metaKey) return;
      event.preventDefault();
      go(moves[event.key]);
    });
    document.getElementById("slider").addEventListener("input", (event) => go(Number(event.target.value)));
    document.getElementById("first").addEventListener("click", () => go(0));
    document.getElementById("previous").addEventListener("click", () => go(current - 1));
    document.getElementById("next").addEventListener("click", () => go(current + 1));
    document.getElementById("last").addEventListener("click", () => go(steps.length - 1));
  }

  // `#steps=Home,Right,End`: press those keys, logging what the state panel shows after
  // each, so that a headless browser's DOM dump tells what a user would have seen.
  function pressKeysFromAddress() {
    const match = /^#steps=(.*)$/.exec(window.location.hash);
    if (!match) return;
    const log = document.getElementById("rw-log");
    const names = { Left: "ArrowLeft", Right: "ArrowRight", Home: "Home", End: "End" };
    const record = (key) => {
      const item = make("li");
      item.dataset.key = key;
      item.dataset.step = current + 1;
      const shown = (node) => (node.cells ? [...node.cells].map((cell) => cell.textContent).join(" | ") : node.textContent);
      const lines = [...document.querySelectorAll("#state [data-log]")].map((node) => `${node.dataset.log}: ${shown(node)}`);
      item.textContent = lines.join("\n");
      append(log, item);
    };
    record("open");
    for (const key of match[1].split(",").filter(Boolean)) {
      document.dispatchEvent(new KeyboardEvent("keydown", { key: names[key] || key, bubbles: true }));
      record(key);
    }
  }

  verdict();
  findings();
  replay();
  if (steps.length) {
    document.getElementById("slider").max = steps.length - 1;
    timeline();
    keys();
    go(current);
  } else {
    document.getElementById("player").replaceChildren(make("p", "none", "No timeline was recorded for this report."));
  }
  pressKeysFromAddress();
})();
