// The board's audible cue for a new incident: a short two-tone beep from WebAudio. Browsers
// allow sound only after a person touched the page, so the audio context is made on the first
// gesture; before that (or without audio) the cue is silently skipped — the banner remains.

let ctx: AudioContext | null = null;

/** Makes the audio context during a user gesture; call once at start-up. */
export function armAudioOnFirstGesture(): void {
  const arm = () => {
    try {
      ctx ??= new AudioContext();
      void ctx.resume();
    } catch {
      ctx = null;
    }
    window.removeEventListener("pointerdown", arm, true);
    window.removeEventListener("keydown", arm, true);
  };
  window.addEventListener("pointerdown", arm, true);
  window.addEventListener("keydown", arm, true);
}

/** Plays two short tones; does nothing when audio is not available. */
export function beep(): void {
  try {
    if (!ctx || ctx.state !== "running") return;
    const start = ctx.currentTime;
    [880, 660].forEach((freq, i) => {
      const osc = ctx!.createOscillator();
      const gain = ctx!.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      const t = start + i * 0.22;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.2);
      osc.connect(gain).connect(ctx!.destination);
      osc.start(t);
      osc.stop(t + 0.21);
    });
  } catch {
    // No sound: the visible banner is the alert that counts.
  }
}
