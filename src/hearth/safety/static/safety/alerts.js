// Real-time risk alerts on every clinician's page: a WebSocket to /ws/alerts/ and an
// assertive live region. Reconnects with back-off; the server sends only to this person.

const region = document.getElementById("alerts");

if (region) {
  const seen = new Set();
  let retry = 0;
  const state = { ws: null, received: [] };
  // Exposed for the browser tests.
  window.hearthAlerts = state;

  function show(message) {
    const key = `${message.type}:${message.incident}`;
    if (seen.has(key)) return;
    seen.add(key);
    state.received.push(message);
    const item = document.createElement("p");
    item.className = message.type === "alert" ? "alert-item urgent" : "alert-item";
    item.dataset.incident = String(message.incident);
    if (message.type === "alert") {
      const link = document.createElement("a");
      link.href = message.url;
      link.textContent = "Open and acknowledge";
      item.append(`${message.text} `, link);
    } else {
      item.textContent = `Acknowledged by ${message.by}.`;
    }
    region.prepend(item);
  }

  function connect() {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${window.location.host}/ws/alerts/`);
    state.ws = ws;
    ws.addEventListener("open", () => { retry = 0; });
    ws.addEventListener("message", (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      if (message.type === "alert" || message.type === "acknowledged") show(message);
    });
    ws.addEventListener("close", (event) => {
      if (event.code === 4403) return; // not a clinician: no alerts for this page
      retry = Math.min(retry + 1, 6);
      window.setTimeout(connect, 500 * 2 ** retry);
    });
  }

  connect();
}
