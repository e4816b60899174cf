// Injected into every page of the join benchmark, Hearth's and the floor's alike, before
// the page's own scripts. Timestamps are performance.timeOrigin + performance.now(): one
// clock for every page of the browser, to well under a millisecond.
(() => {
  const bench = { frame: null, presented: null };
  window.__bench = bench;
  const now = () => performance.timeOrigin + performance.now();

  // First remote video frame decoded: getStats() every 20 ms, as the call tests read it.
  async function poll() {
    const call = window.hearthCall;
    const pc = call && call.pc;
    if (pc) {
      let frames = 0;
      (await pc.getStats()).forEach((r) => {
        if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0;
      });
      if (frames > 0) {
        bench.frame = now();
        return;
      }
    }
    setTimeout(poll, 20);
  }

  // First remote video frame handed to the compositor (a cross-check; may not fire headless).
  document.addEventListener("DOMContentLoaded", () => {
    const video = document.getElementById("remote");
    if (video && video.requestVideoFrameCallback) {
      video.requestVideoFrameCallback(() => { bench.presented = now(); });
    }
    poll();
  });
})();
