// Live conditioning for video playback (docs/web.md, "Video and music"): beat_phase, beat_norm and
// audio_intensity at the video's current time, from a `cnnv3 analyze` CSV when one was loaded, else
// estimated in the page from the video's audio with WebAudio.
//
// The WebAudio estimate is deliberately simple: intensity is a peak envelope (instant attack, about
// 0.5 s release) normalised by the loudest peak so far; beats are onsets of the short-term energy
// (energy above 1.5x its 1 s average, at least 0.25 s apart); the tempo is the median interval of
// the last 8 onsets folded into 60..180 BPM, and the beat grid is re-anchored at each onset near
// a predicted beat. beat_norm counts beats modulo 8 from the first onset.

import {conditioningCsvHeader as csvHeader} from './generated/plan.js';

// Text of a conditioning CSV -> [{time, values: [5 numbers]}], validated like read_conditioning_csv:
// errors read "FILE:LINE: problem".
export function parseConditioningCsv(text, label) {
  const lines = text.split(/\r?\n/);
  if (lines[0] !== csvHeader) throw new Error(`${label}:1: header is not "${csvHeader}" (expected a cnnv3 analyze CSV)`);
  const rows = [];
  for (let i = 1; i < lines.length; ++i) {
    if (lines[i].trim() === '') continue;
    const fields = lines[i].split(',');
    const where = `${label}:${i + 1}`;
    if (fields.length !== 7) throw new Error(`${where}: ${fields.length} fields (expected 7)`);
    const nums = fields.map(Number);
    if (nums[0] !== rows.length) throw new Error(`${where}: frame ${fields[0]} (expected ${rows.length})`);
    if (!Number.isFinite(nums[1]) || (rows.length && nums[1] <= rows[rows.length - 1].time))
      throw new Error(`${where}: time ${fields[1]} (expected a finite time after the previous row's)`);
    for (let k = 2; k < 7; ++k)
      if (!(nums[k] >= 0 && nums[k] <= 1)) throw new Error(`${where}: "${fields[k]}" (expected a number in [0, 1])`);
    rows.push({time: nums[1], values: nums.slice(2)});
  }
  if (!rows.length) throw new Error(`${label}: no rows (expected one row per frame)`);
  return rows;
}

export class LiveConditioning {
  constructor(video, csvRows) {
    this.video = video;
    this.rows = csvRows;
    this.beats = 0;          // beats counted since the first onset
    this.phase = 0;
    this.intensity = 0;
  }

  // Call from a user gesture (play): WebAudio may only start then. Reads the analyser every 20 ms,
  // apart from the rendering (which may take longer than a frame).
  start() {
    if (this.rows || this.context) return;
    this.context = new AudioContext();
    this.context.resume();
    const source = this.context.createMediaElementSource(this.video);
    this.analyser = this.context.createAnalyser();
    this.analyser.fftSize = 2048;
    source.connect(this.analyser);
    this.analyser.connect(this.context.destination);
    this.samples = new Float32Array(this.analyser.fftSize);
    this.peakMax = 1e-4;
    this.envelope = 0;
    this.energyAverage = 0;
    this.onsets = [];
    this.period = 0.5;
    this.anchor = null;      // time of the beat the grid counts from
    this.lastTime = null;
    this.timer = setInterval(() => this.update(), 20);
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.context) this.context.close();
    this.context = null;
    this.analyser = null;
  }

  // Reads the audio analyser (WebAudio mode). Times are the video's, so the beat grid lines up
  // with the media timeline (off by the audio output latency, typically tens of ms).
  update() {
    if (this.rows || !this.analyser || this.video.paused) return;
    const t = this.video.currentTime;
    const dt = this.lastTime === null ? 1 / 30 : Math.max(t - this.lastTime, 1e-3);
    this.lastTime = t;
    this.analyser.getFloatTimeDomainData(this.samples);
    let peak = 0, energy = 0;
    for (const s of this.samples) {
      peak = Math.max(peak, Math.abs(s));
      energy += s * s;
    }
    energy /= this.samples.length;
    this.peakMax = Math.max(this.peakMax, peak);
    this.envelope = Math.max(peak, this.envelope * Math.exp(-dt / 0.5));
    this.intensity = Math.min(1, this.envelope / this.peakMax);
    const onset = energy > 1.5 * this.energyAverage && energy > 1e-6 &&
                  (!this.onsets.length || t - this.onsets[this.onsets.length - 1] >= 0.25);
    this.energyAverage += (energy - this.energyAverage) * Math.min(1, dt / 1.0);
    if (onset) {
      this.onsets.push(t);
      if (this.onsets.length > 9) this.onsets.shift();
      if (this.onsets.length >= 3) {
        const gaps = this.onsets.slice(1).map((x, i) => x - this.onsets[i]).sort((a, b) => a - b);
        let p = gaps[gaps.length >> 1];
        while (p < 60 / 180) p *= 2;
        while (p > 1) p /= 2;
        this.period = p;
      }
      if (this.anchor === null) this.anchor = t;
      else {
        // Re-anchor when the onset falls within a quarter beat of the grid.
        const beatsSince = (t - this.anchor) / this.period;
        const nearest = Math.round(beatsSince);
        if (Math.abs(beatsSince - nearest) < 0.25) {
          this.beats += nearest;
          this.anchor = t;
        }
      }
    }
    if (this.anchor !== null) {
      const since = (t - this.anchor) / this.period;
      this.phase = since - Math.floor(since);
      this.beatIndex = this.beats + Math.floor(since);
    }
  }

  // The CSV row shown at video time t: the last one whose time is not after t.
  rowAt(t) {
    let lo = 0, hi = this.rows.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.rows[mid].time <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  // [beat_phase, beat_norm, audio_intensity, style_p0, style_p1] at video time t.
  // `rest`: the values to hold where nothing was measured yet (no beat found, no audio running),
  // as in the other hosts (docs/formats.md).
  valuesAt(t, rest = [0, 0, 0.5, 0.5, 0.5]) {
    if (this.rows) return this.rows[this.rowAt(t)].values;
    const intensity = this.analyser ? this.intensity : rest[2];
    if (this.anchor === null || this.anchor === undefined) return [rest[0], rest[1], intensity, rest[3], rest[4]];
    const index = this.beatIndex || 0;
    return [this.phase, ((index % 8) + this.phase) / 8, intensity, rest[3], rest[4]];
  }

  // The status text; `v` the values in use (after reactivity), else the source's own.
  describe(v = this.valuesAt(this.video.currentTime)) {
    const t = this.video.currentTime;
    const source = this.rows ? `CSV row ${this.rowAt(t)}`
                             : this.analyser ? `WebAudio ${(60 / this.period).toFixed(0)} BPM` : 'audio idle';
    return `live ${source} t=${t.toFixed(3)} beat_phase=${v[0].toFixed(3)} ` +
           `beat_norm=${v[1].toFixed(3)} audio_intensity=${v[2].toFixed(3)}`;
  }
}
