// The join-time floor's "server": what the signalling consumer does for one room
// (src/hearth/calls/consumers.py: welcome, waiting, peer, admitted, relay), done by the
// two pages themselves over a BroadcastChannel. No network and no server in between.
(() => {
  const root = document.getElementById("call");
  const role = root.dataset.role;
  const room = root.dataset.appointment;
  // As the benchmark's Hearth sends it: no STUN or TURN server configured, loopback only.
  const ICE = { iceServers: [], iceTransportPolicy: "all" };

  class FloorSocket {
    static CONNECTING = 0;
    static OPEN = 1;
    static CLOSING = 2;
    static CLOSED = 3;

    constructor() {
      this.readyState = FloorSocket.CONNECTING;
      this.joined = false;
      this.channel = new BroadcastChannel(`hearth-floor-${room}`);
      this.channel.onmessage = ({ data }) => this.fromPeer(data);
      setTimeout(() => {
        this.readyState = FloorSocket.OPEN;
        if (this.onopen) this.onopen({});
        this.deliver({ type: "welcome", role, ice: ICE, polite: role === "client" });
      }, 0);
    }

    deliver(message) {
      if (this.onmessage) this.onmessage({ data: JSON.stringify({ v: 1, ...message }) });
    }

    post(event) {
      this.channel.postMessage({ ...event, role });
    }

    send(text) {
      const message = JSON.parse(text);
      switch (message.type) {
        case "join":
          this.joined = true;
          this.post({ type: "joined", name: role });
          if (role === "client") this.deliver({ type: "waiting" });
          break;
        case "admit":
          this.post({ type: "admitted" });
          this.deliver({ type: "admitted", rejoin: false });
          break;
        case "ping":
          this.deliver({ type: "pong" });
          break;
        case "leave":
          this.close();
          break;
        default: // offer, answer, candidate, restart, state: to the other page
          this.post({ type: "relay", message: { ...message, from: role } });
      }
    }

    fromPeer(event) {
      if (event.type === "joined") {
        this.deliver({ type: "peer", role: event.role, name: event.name, prejoin: {}, since: null });
        if (this.joined) this.post({ type: "present", name: role });
      } else if (event.type === "present") {
        this.deliver({ type: "peer", role: event.role, name: event.name, prejoin: {}, since: null, resume: true });
      } else if (event.type === "admitted") {
        if (this.joined) this.deliver({ type: "admitted", rejoin: false });
      } else if (event.type === "relay") {
        if (this.joined) this.deliver(event.message);
      }
    }

    close() {
      this.readyState = FloorSocket.CLOSED;
      this.channel.close();
    }
  }

  window.WebSocket = FloorSocket;
})();
