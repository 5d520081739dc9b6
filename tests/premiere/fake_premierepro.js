/*
 * A small stand-in for Premiere's `premierepro` UXP module, following the documented API
 * (Project, Sequence, Markers, ProjectConverter, SequenceEditor, TickTime, ClipProjectItem).
 * Files are real: exports write timeline files, importFiles refuses paths that do not exist,
 * and transactions apply all of their actions or none, recording what was placed where.
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const TICKS_PER_SECOND = 254016000000n;

class TickTime {
  constructor(ticks = 0n) {
    this._ticks = BigInt(ticks);
  }
  static createWithTicks(ticks) {
    if (typeof ticks !== "string") throw new TypeError("createWithTicks takes a string");
    return new TickTime(BigInt(ticks));
  }
  static createWithSeconds(seconds) {
    if (typeof seconds !== "number" || !Number.isFinite(seconds)) {
      throw new TypeError("createWithSeconds takes a finite number");
    }
    // The host keeps ticks as a 64-bit integer: the nearest tick to the double it was given.
    return new TickTime(BigInt(Math.round(seconds * Number(TICKS_PER_SECOND))));
  }
  static createWithFrameAndFrameRate(frame, frameRate) {
    return new TickTime(BigInt(frame) * BigInt(frameRate.ticksPerFrame));
  }
  get ticks() {
    return this._ticks.toString();
  }
  get ticksNumber() {
    return Number(this._ticks);
  }
  get seconds() {
    return Number(this._ticks) / Number(TICKS_PER_SECOND);
  }
  equals(other) {
    return other instanceof TickTime && other._ticks === this._ticks;
  }
  add(other) {
    return new TickTime(this._ticks + other._ticks);
  }
}
TickTime.TIME_ZERO = new TickTime(0n);
TickTime.TIME_INVALID = new TickTime(-1n);

let nextId = 1;

class ProjectItem {
  constructor(name, mediaPath, type = 1) {
    this._id = `item-${nextId++}`;
    this.name = name;
    this.type = type;
    this._mediaPath = mediaPath;
  }
  getId() {
    return this._id;
  }
}

class FolderItem extends ProjectItem {
  constructor(name) {
    super(name, null, 2);
    this.children = [];
  }
  async getItems() {
    return [...this.children];
  }
}

class TrackItem {
  constructor(item, start, end) {
    this.projectItem = item;
    this._start = start;
    this._end = end;
  }
  async getStartTime() {
    return new TickTime(this._start);
  }
  async getEndTime() {
    return new TickTime(this._end);
  }
  async getName() {
    return this.projectItem ? this.projectItem.name : "clip";
  }
}

class AudioTrack {
  constructor(index) {
    this.index = index;
    this.items = [];
    this.name = `A${index + 1}`;
  }
  getTrackItems(type, includeEmpty) {
    if (type !== 1 || includeEmpty) throw new Error("the fake lists clips only");
    return [...this.items];
  }
}

class Marker {
  constructor({ name, startTicks, durationTicks }) {
    this._name = name;
    this._start = BigInt(startTicks);
    this._duration = BigInt(durationTicks);
  }
  getName() {
    return this._name;
  }
  getComments() {
    return "";
  }
  getType() {
    return "Comment";
  }
  getStart() {
    return new TickTime(this._start);
  }
  getDuration() {
    return new TickTime(this._duration);
  }
}

/** A WAV file's length in ticks, from its RIFF header, as Premiere measures media. */
function wavTicks(file) {
  const data = fs.readFileSync(file);
  if (data.toString("ascii", 0, 4) !== "RIFF" || data.toString("ascii", 8, 12) !== "WAVE") {
    throw new Error(`${file} is not a WAV file`);
  }
  let rate = 0;
  let align = 0;
  for (let at = 12; at + 8 <= data.length; ) {
    const id = data.toString("ascii", at, at + 4);
    const size = data.readUInt32LE(at + 4);
    if (id === "fmt ") {
      rate = data.readUInt32LE(at + 12);
      align = data.readUInt16LE(at + 20);
    } else if (id === "data" && rate && align) {
      const frames = BigInt(Math.floor(size / align));
      return (frames * TICKS_PER_SECOND) / BigInt(rate);
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${file} has no fmt/data chunks`);
}

/** A minimal but valid OTIO timeline for the fake sequence (when no prepared file is given). */
function otioJson(spec) {
  const tpf = BigInt(spec.timebase);
  const rate = Number(TICKS_PER_SECOND) / Number(tpf);
  const rt = (ticks) => ({
    OTIO_SCHEMA: "RationalTime.1",
    rate,
    value: Number(BigInt(ticks) / tpf),
  });
  const range = (start, dur) => ({
    OTIO_SCHEMA: "TimeRange.1",
    start_time: rt(start),
    duration: rt(dur),
  });
  return JSON.stringify({
    OTIO_SCHEMA: "Timeline.1",
    name: spec.name,
    global_start_time: rt(spec.zeroTicks),
    metadata: {},
    tracks: {
      OTIO_SCHEMA: "Stack.1",
      name: "tracks",
      metadata: {},
      effects: [],
      enabled: true,
      source_range: null,
      markers: spec.markers.map((m) => ({
        OTIO_SCHEMA: "Marker.2",
        name: m.name,
        metadata: {},
        color: "GREEN",
        comment: "",
        marked_range: range(m.startTicks, m.durationTicks),
      })),
      children: [
        {
          OTIO_SCHEMA: "Track.1",
          name: "V1",
          kind: "Video",
          metadata: {},
          effects: [],
          markers: [],
          enabled: true,
          source_range: null,
          children: [
            {
              OTIO_SCHEMA: "Gap.1",
              name: "",
              metadata: {},
              effects: [],
              markers: [],
              enabled: true,
              source_range: range(0n, spec.endTicks),
            },
          ],
        },
      ],
    },
  });
}

/** A minimal FCP 7 XML (xmeml) sequence with its markers. */
function fcpXml(spec) {
  const tpf = BigInt(spec.timebase);
  const fps = Number(TICKS_PER_SECOND) / Number(tpf);
  const timebase = Math.round(fps);
  const ntsc = timebase !== fps ? "TRUE" : "FALSE";
  const rate = `<rate><timebase>${timebase}</timebase><ntsc>${ntsc}</ntsc></rate>`;
  const frames = (t) => (BigInt(t) / tpf).toString();
  const markers = spec.markers
    .map((m) => {
      const a = BigInt(frames(m.startTicks));
      const b = a + BigInt(frames(m.durationTicks));
      return `<marker><name>${m.name}</name><comment/><in>${a}</in><out>${b}</out></marker>`;
    })
    .join("");
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n<xmeml version="4">' +
    `<sequence id="sequence-1"><name>${spec.name}</name>` +
    `<duration>${frames(spec.endTicks)}</duration>${rate}` +
    `<timecode>${rate}<frame>${frames(spec.zeroTicks)}</frame>` +
    "<displayformat>NDF</displayformat></timecode>" +
    `<media><video><format/><track/></video><audio/></media>${markers}</sequence></xmeml>\n`
  );
}

/**
 * Build a fake host. `spec`: {name, timebase (ticks per frame), zeroTicks, endTicks, inTicks,
 * outTicks, markers: [{name, startTicks, durationTicks}], audioClips: [[[start, end], ...], ...],
 * projectPath, exports: {otio: true | "prepared/file.otio" | absent, xml: ...}}.
 */
function createFakePremiere(spec) {
  const world = {
    placements: [],
    transactions: [],
    imports: [],
    exports: [],
    locked: false,
  };
  const root = new FolderItem("root");
  const tracks = (spec.audioClips || [[], [], []]).map((clips, i) => {
    const track = new AudioTrack(i);
    track.items = clips.map(([a, b]) => new TrackItem(null, BigInt(a), BigInt(b)));
    return track;
  });
  const allItems = () => root.children;

  const sequence = {
    name: spec.name,
    guid: { toString: () => "sequence-guid" },
    async getTimebase() {
      return String(spec.timebase);
    },
    async getZeroPoint() {
      return new TickTime(spec.zeroTicks || 0n);
    },
    async getEndTime() {
      return new TickTime(spec.endTicks);
    },
    async getInPoint() {
      return new TickTime(spec.inTicks === undefined ? 0n : spec.inTicks);
    },
    async getOutPoint() {
      return new TickTime(spec.outTicks === undefined ? spec.endTicks : spec.outTicks);
    },
    async getAudioTrackCount() {
      return tracks.length;
    },
    async getAudioTrack(index) {
      if (index < 0 || index >= tracks.length) throw new Error(`no audio track ${index}`);
      return tracks[index];
    },
    async getVideoTrackCount() {
      return 1;
    },
  };

  function writeExport(kind, file) {
    const source = spec.exports && spec.exports[kind];
    if (typeof source === "string") fs.copyFileSync(source, file);
    else fs.writeFileSync(file, kind === "otio" ? otioJson(spec) : fcpXml(spec));
    world.exports.push({ kind, path: file });
    return true;
  }

  const converter = {};
  if (spec.exports && spec.exports.otio) {
    converter.exportAsOpenTimelineIO = async (seq, file, suppressUI) => {
      if (seq !== sequence || typeof file !== "string" || suppressUI !== true) return false;
      return writeExport("otio", file);
    };
  }
  if (spec.exports && spec.exports.xml) {
    converter.exportAsFinalCutProXML = async (seq, file, suppressUI) => {
      if (seq !== sequence || typeof file !== "string" || suppressUI !== true) return false;
      return writeExport("xml", file);
    };
  }

  class OverwriteAction {
    constructor(item, time, videoIndex, audioIndex) {
      Object.assign(this, { item, time, videoIndex, audioIndex });
    }
  }

  const editor = {
    createOverwriteItemAction(item, time, videoIndex, audioIndex) {
      return new OverwriteAction(item, time, videoIndex, audioIndex);
    },
  };

  function valid(action) {
    return (
      action instanceof OverwriteAction &&
      allItems().includes(action.item) &&
      action.time instanceof TickTime &&
      action.time._ticks >= 0n &&
      Number.isInteger(action.audioIndex) &&
      action.audioIndex >= 0 &&
      Number.isInteger(action.videoIndex)
    );
  }

  function apply(action) {
    while (tracks.length <= action.audioIndex) tracks.push(new AudioTrack(tracks.length));
    const length = wavTicks(action.item._mediaPath);
    const start = action.time._ticks;
    tracks[action.audioIndex].items.push(new TrackItem(action.item, start, start + length));
    world.placements.push({
      name: action.item.name,
      path: action.item._mediaPath,
      ticks: start.toString(),
      audioTrack: action.audioIndex,
    });
  }

  const project = {
    name: "fake project",
    path: spec.projectPath || "",
    async getActiveSequence() {
      return sequence;
    },
    async getRootItem() {
      return root;
    },
    async importFiles(paths, suppressUI, targetBin, asNumberedStills) {
      world.imports.push([...paths]);
      if (!Array.isArray(paths) || asNumberedStills) return false;
      if (!paths.every((p) => fs.existsSync(p))) return false; // Premiere cannot import it.
      const bin = targetBin || root;
      for (const p of paths) bin.children.push(new ProjectItem(path.basename(p), p));
      return true;
    },
    lockedAccess(callback) {
      world.locked = true;
      try {
        callback();
      } finally {
        world.locked = false;
      }
    },
    executeTransaction(callback, undoString) {
      if (!world.locked) throw new Error("executeTransaction outside lockedAccess");
      const actions = [];
      const compound = {
        addAction(action) {
          actions.push(action);
          return true;
        },
        get empty() {
          return actions.length === 0;
        },
      };
      const returned = callback(compound);
      if (returned && typeof returned.then === "function") {
        throw new Error("a transaction callback must be synchronous");
      }
      world.transactions.push({ undoString, actions: actions.length });
      if (!actions.length || !actions.every(valid)) return false; // all or nothing
      actions.forEach(apply);
      return true;
    },
  };

  const ppro = {
    TickTime,
    Project: {
      async getActiveProject() {
        return project;
      },
    },
    ProjectConverter: converter,
    Markers: {
      async getMarkers(owner) {
        if (owner !== sequence) throw new Error("markers of an unknown owner");
        const list = (spec.markers || []).map((m) => new Marker(m));
        return { getMarkers: () => list };
      },
    },
    SequenceEditor: {
      getEditor(seq) {
        if (seq !== sequence) throw new Error("editor for an unknown sequence");
        return editor;
      },
    },
    ClipProjectItem: {
      cast(item) {
        if (!(item instanceof ProjectItem) || item instanceof FolderItem) {
          throw new Error("not a clip project item");
        }
        return { getMediaFilePath: async () => item._mediaPath, name: item.name };
      },
    },
    Constants: { TrackItemType: { EMPTY: 0, CLIP: 1 }, MediaType: { ANY: 0, AUDIO: 3 } },
  };
  return { ppro, world, project, sequence, root, tracks };
}

/** files.exists over node's fs, as the panel's UXP adapter offers it. */
const nodeFiles = { exists: async (p) => fs.existsSync(p) };

module.exports = {
  createFakePremiere,
  TickTime,
  TICKS_PER_SECOND,
  nodeFiles,
  otioJson,
  fcpXml,
  wavTicks,
};
