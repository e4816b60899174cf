// Hearth secure messaging: live delivery over a WebSocket, catch-up after reconnecting,
// idempotent sending (each message carries its own id, so a retry never duplicates),
// and sending / sent / read states. Without JavaScript the form still posts.

const root = document.getElementById("thread-root");

if (root) {
  const threadId = root.dataset.thread;
  const me = Number(root.dataset.me);
  const list = document.getElementById("thread");
  const form = document.getElementById("composer");
  const live = document.getElementById("live");
  const outboxKey = `hearth-outbox-${threadId}`;
  const state = { ws: null, retry: 0, lastSeq: Number(root.dataset.last) || 0, readByOthers: 0 };
  // Exposed for the browser tests.
  window.hearthThread = state;

  const uuid = () => (crypto.randomUUID ? crypto.randomUUID()
    : ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16)));
  // Unsent messages survive a reload of this tab (not the closing of it: no clinical
  // text is left behind on a shared device).
  const outbox = () => JSON.parse(sessionStorage.getItem(outboxKey) || "[]");
  const saveOutbox = (items) => sessionStorage.setItem(outboxKey, JSON.stringify(items));

  function send(payload) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) { state.ws.send(JSON.stringify(payload)); return true; }
    return false;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function render(message, pending = false) {
    const item = element("li", message.sender === me ? "mine" : "");
    if (message.kind === "auto_reply") item.classList.add("auto");
    if (message.seq) { item.id = `m${message.seq}`; item.dataset.seq = message.seq; }
    if (message.client_id) item.dataset.clientId = message.client_id;
    const at = message.at ? new Date(message.at) : new Date();
    item.append(element("p", "meta", `${message.sender_name || "You"} · ${at.toLocaleString([], { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" })}`));
    item.append(element("p", "body", message.body));
    for (const file of message.attachments || []) {
      const p = element("p");
      const link = element("a", "", file.name);
      link.href = `/messages/attachments/${file.id}/`;
      p.append(link, ` (${Math.ceil(file.size / 1024)} KB)`);
      item.append(p);
    }
    if (message.sender === me) item.append(element("p", "meta state", pending ? "Sending…" : "Sent"));
    return item;
  }

  function showMessage(message) {
    if (document.getElementById(`m${message.seq}`)) return;
    const pending = message.client_id && list.querySelector(`li[data-client-id="${message.client_id}"]:not([data-seq])`);
    const item = render(message);
    if (pending) pending.replaceWith(item); else list.append(item);
    state.lastSeq = Math.max(state.lastSeq, message.seq);
    if (message.sender !== me) {
      live.textContent = `New message from ${message.sender_name}.`;
      markRead();
    }
    updateReceipts();
  }

  function markRead() {
    if (document.visibilityState === "visible") send({ type: "read", seq: state.lastSeq });
  }

  function updateReceipts() {
    for (const item of list.querySelectorAll("li.mine[data-seq]")) {
      const label = item.querySelector(".state");
      if (label) label.textContent = Number(item.dataset.seq) <= state.readByOthers ? "Read" : "Sent";
    }
  }

  // A message that reads as risky: the numbers for where the client is, at once.
  function showCrisis(entries) {
    const box = document.getElementById("crisis-now");
    const items = entries.map((e) => {
      const li = element("li");
      const link = element("a", "", e.number);
      link.href = `tel:${e.dial}`;
      li.append(`${e.name}: `, link, ` (${e.hours})`);
      return li;
    });
    box.querySelector("ul").replaceChildren(...items);
    box.hidden = false;
    box.focus();
  }

  function flushOutbox() {
    for (const entry of outbox()) send({ type: "send", client_id: entry.client_id, body: entry.body });
  }

  function handle(frame) {
    switch (frame.type) {
      case "welcome":
        state.readByOthers = Math.max(0, ...Object.entries(frame.read || {}).filter(([u]) => Number(u) !== me).map(([, s]) => s));
        updateReceipts();
        break;
      case "message":
        showMessage(frame);
        break;
      case "ack":
        saveOutbox(outbox().filter((e) => e.client_id !== frame.client_id));
        if (frame.crisis && frame.crisis.length) showCrisis(frame.crisis);
        break;
      case "read":
        if (frame.user !== me) { state.readByOthers = Math.max(state.readByOthers, frame.seq); updateReceipts(); }
        break;
      case "error":
        if (frame.client_id) {
          saveOutbox(outbox().filter((e) => e.client_id !== frame.client_id));
          const pending = list.querySelector(`li[data-client-id="${frame.client_id}"] .state`);
          if (pending) pending.textContent = `Not sent: ${frame.message}`;
        }
        live.textContent = frame.message;
        break;
      default:
        break;
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}/ws/messages/${threadId}/`);
    state.ws = ws;
    ws.onopen = () => {
      state.retry = 0;
      live.textContent = "";
      // Catch up from the last message this page has, then resend anything unacknowledged.
      send({ type: "sync", after: state.lastSeq });
      flushOutbox();
      markRead();
    };
    ws.onmessage = (event) => handle(JSON.parse(event.data));
    ws.onclose = (event) => {
      if (event.code === 4403) { live.textContent = "You cannot open this conversation."; return; }
      live.textContent = "Offline: messages will be sent when the connection is back.";
      setTimeout(connect, Math.min(8000, 500 * 2 ** state.retry++));
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = form.elements.body.value;
    const files = form.elements.files.files;
    const clientId = uuid();
    if (!body.trim() && !files.length) { live.textContent = "Write a message or attach a file."; return; }
    const item = render({ sender: me, body, client_id: clientId, attachments: [] }, true);
    list.append(item);
    if (files.length) {
      const data = new FormData(form);
      data.set("client_id", clientId);
      const response = await fetch(form.action, { method: "POST", body: data, headers: { Accept: "application/json" } });
      const result = await response.json();
      if (!response.ok) { item.querySelector(".state").textContent = `Not sent: ${result.error}`; return; }
      if (result.crisis && result.crisis.length) showCrisis(result.crisis);
    } else {
      saveOutbox([...outbox(), { client_id: clientId, body }]);
      send({ type: "send", client_id: clientId, body });
    }
    form.reset();
  });
  document.addEventListener("visibilitychange", markRead);

  // Messages typed before a reload and not yet acknowledged are shown as sending.
  for (const entry of outbox()) list.append(render({ sender: me, body: entry.body, client_id: entry.client_id, attachments: [] }, true));
  const last = list.querySelector("li[data-seq]:last-of-type");
  if (last) last.scrollIntoView({ block: "end" });
  connect();
}
