/*
 * A small stand-in for Premiere's `premierepro` UXP module, following Adobe's UXP reference
 * (developer.adobe.com/premiere-pro/uxp/ppro-reference/, cited below as [ref <Class>]) and the
 * UXP changelog (developer.adobe.com/premiere-pro/uxp/changelog/, [changelog <version>]).
 * Files are real: exports write timeline files, importFiles refuses paths that do not exist,
 * and transactions apply all of their actions or none, recording what was placed where.
 * Where the reference says nothing, the fake refuses rather than guesses, so the panel cannot
 * come to depend on it.
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
  async getProjectItem() {
    return this.projectItem; // [ref AudioClipTrackItem] getProjectItem
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

// [ref Constants] names TrackItemType's members without values; [ref AudioTrack] getTrackItems
// takes "Constants.TrackItemType.CLIP, Constants.TrackItemType.TRANSITION etc.". The fake's
// members are opaque, so only the constant itself works.
const TrackItemType = Object.freeze({
  EMPTY: Object.freeze({ trackItemType: "EMPTY" }),
  CLIP: Object.freeze({ trackItemType: "CLIP" }),
  TRANSITION: Object.freeze({ trackItemType: "TRANSITION" }),
  PREVIEW: Object.freeze({ trackItemType: "PREVIEW" }),
  FEEDBACK: Object.freeze({ trackItemType: "FEEDBACK" }),
});

// [ref Constants] VideoDisplayFormatType (25.0): FPS_23_976, FPS_25, FPS_29_97,
// FPS_29_97_NON_DROP, FEET_FRAME_16mm, FEET_FRAME_35mm, FRAMES; no values given, so opaque here.
// FPS_59_94 and FPS_59_94_NON_DROP are not in that list: they stand for the 59.94 displays that
// Premiere's ExtendScript numbers TIMEDISPLAY_5994DropTimecode (106) and
// TIMEDISPLAY_5994NonDropTimecode (107) (Adobe-CEP/Samples, PPro_API_Constants.jsx), so the tests
// can show a host that names them. A 59.94 sequence shown FPS_29_97 is the documented case.
const VideoDisplayFormatType = Object.freeze(
  Object.fromEntries(
    ["FPS_23_976", "FPS_25", "FPS_29_97", "FPS_29_97_NON_DROP", "FEET_FRAME_16mm",
      "FEET_FRAME_35mm", "FRAMES", "FPS_59_94", "FPS_59_94_NON_DROP"].map(
      (name) => [name, Object.freeze({ videoDisplay: name })],
    ),
  ),
);

class AudioTrack {
  constructor(index, version = "26.2.0", name = "") {
    this.index = index;
    this.items = [];
    // [ref AudioTrack] name: the track's name; Premiere names a new track "Audio N".
    this.name = name || `Audio ${index + 1}`;
    if (versionAtLeast(version, "26.3.0")) {
      // [changelog 26.3.0] AudioTrack.createSetNameAction(name): an Action that renames the
      // track when its transaction runs (made inside lockedAccess, like every create*Action).
      this.createSetNameAction = (newName) => {
        if (!world(this).locked) throw new Error("createSetNameAction outside project.lockedAccess");
        if (typeof newName !== "string" || !newName) throw new TypeError("a track name is a string");
        return new Action("setName", { track: this, name: newName });
      };
    }
  }
  async getTrackItems(type, includeEmpty) {
    // [ref AudioTrack] getTrackItems(trackItemType, includeEmptyTrackItems), Promise since 25.6.
    if (type !== TrackItemType.CLIP) {
      throw new TypeError(`getTrackItems takes Constants.TrackItemType.CLIP, not ${type}`);
    }
    if (includeEmpty) throw new Error("the fake lists clips only");
    return [...this.items];
  }
}

const worlds = new WeakMap();
const world = (track) => worlds.get(track);

class Marker {
  constructor({ name, startTicks, durationTicks, comments = "", type = "Comment" }, owner = null) {
    this._name = name;
    this._start = BigInt(startTicks);
    this._duration = BigInt(durationTicks);
    this._comments = comments;
    this._type = type;
    this._owner = owner;
  }
  getName() {
    return this._name;
  }
  getComments() {
    return this._comments; // [ref Marker] getComments(): string
  }
  // [ref Marker] createSetCommentsAction(comments): an Action, applied by its transaction.
  createSetCommentsAction(comments) {
    if (this._owner && !this._owner.locked) throw new Error("createSetCommentsAction outside project.lockedAccess");
    if (typeof comments !== "string") throw new TypeError("marker comments are a string");
    return new Action("setComments", { marker: this, comments });
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

/**
 * A minimal FCP 7 XML (xmeml) sequence with its markers, in the shape Premiere Pro writes
 * (tests/data/interop/premiere/premiere_example.xml): xmeml version 4, the sequence's rate and
 * timecode, and its markers after the timecode, a marker without a duration with <out>-1</out>.
 * A test that needs Premiere's own bytes passes that file as `exports.xml` instead.
 */
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
      const length = BigInt(frames(m.durationTicks));
      const b = length > 0n ? a + length : -1n; // Premiere writes -1 for "no duration"
      return `<marker><comment></comment><name>${m.name}</name><in>${a}</in><out>${b}</out></marker>`;
    })
    .join("");
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n<xmeml version="4">' +
    '<sequence id="sequence-1">' +
    `<duration>${frames(spec.endTicks)}</duration>${rate}<name>${spec.name}</name>` +
    "<media><video><format/><track/></video><audio/></media>" +
    `<timecode>${rate}<frame>${frames(spec.zeroTicks)}</frame>` +
    `<displayformat>NDF</displayformat></timecode>${markers}</sequence></xmeml>\n`
  );
}

class Action {
  constructor(kind, fields) {
    this.kind = kind;
    Object.assign(this, fields);
  }
}

const versionAtLeast = (version, want) => {
  const a = String(version).split(".").map(Number);
  const b = String(want).split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
  }
  return true;
};

/**
 * Build a fake host. `spec`: {name, timebase (ticks per frame), zeroTicks, endTicks, inTicks,
 * outTicks, markers: [{name, startTicks, durationTicks}], audioClips: [[[start, end], ...], ...],
 * trackNames (the audio tracks' names, "Audio N" where absent),
 * projectPath, exports: {otio: true | "prepared/file.otio" | absent, xml: ...}, version
 * (Premiere's, "26.2.0" by default), playerTicks (the playhead)}.
 */
function createFakePremiere(spec) {
  const version = spec.version || "26.2.0";
  const world = {
    placements: [],
    transactions: [],
    imports: [],
    exports: [],
    renames: [],
    auditions: [],
    monitor: null,
    locked: false,
    version,
  };
  const root = new FolderItem("root");
  const newTrack = (i, name) => {
    const track = new AudioTrack(i, version, name);
    worlds.set(track, world);
    return track;
  };
  const tracks = (spec.audioClips || [[], [], []]).map((clips, i) => {
    const track = newTrack(i, (spec.trackNames || [])[i]);
    track.items = clips.map(([a, b]) => new TrackItem(null, BigInt(a), BigInt(b)));
    return track;
  });
  const allItems = () => root.children;
  const markerList = (spec.markers || []).map((m) => new Marker(m, world));

  const sequence = {
    name: spec.name,
    guid: { toString: () => "sequence-guid" },
    async getTimebase() {
      return String(spec.timebase);
    },
    async getZeroPoint() {
      return new TickTime(spec.zeroTicks || 0n);
    },
    // [ref Sequence] getSettings (25.0): a SequenceSettings; [ref SequenceSettings]
    // getVideoDisplayFormat (25.0): a TimeDisplay, whose `type` is a VideoDisplayFormatType.
    async getSettings() {
      const type = VideoDisplayFormatType[spec.displayFormat || "FPS_23_976"];
      return { getVideoDisplayFormat: async () => ({ type }) };
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
    async getPlayerPosition() {
      return new TickTime(spec.playerTicks || 0n); // [ref Sequence] getPlayerPosition
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

  // [ref ProjectConverter] "Since: 26.2": older hosts have no ProjectConverter at all.
  // exportAsOpenTimelineIO / exportAsFinalCutProXML(sequence, outputFilePath, suppressUI).
  let converter;
  if (versionAtLeast(version, "26.2.0")) {
    converter = {};
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
  }

  function mustBeLocked(what) {
    // [changelog 26.3.0] Action instances made by create*Action functions must be made inside
    // project.lockedAccess(); the fake holds every version to it.
    if (!world.locked) throw new Error(`${what} outside project.lockedAccess`);
  }

  const editor = {
    // [ref SequenceEditor] createOverwriteItemAction(projectItem, time, videoTrackIndex,
    // audioTrackIndex): nothing says it makes a track, so an index past the last is refused.
    createOverwriteItemAction(item, time, videoIndex, audioIndex) {
      mustBeLocked("createOverwriteItemAction");
      return new Action("overwrite", { item, time, videoIndex, audioIndex });
    },
    // [ref SequenceEditor] createInsertProjectItemAction(projectItem, time, videoTrackIndex,
    // audioTrackIndex, limitShift): "If you pass a track index greater than the number of
    // existing tracks, a new track will be created" (read here as: past the last track).
    createInsertProjectItemAction(item, time, videoIndex, audioIndex, limitShift) {
      mustBeLocked("createInsertProjectItemAction");
      return new Action("insert", { item, time, videoIndex, audioIndex, limitShift });
    },
  };

  function valid(action, count) {
    if (!(action instanceof Action)) return false;
    if (action.kind === "setName") return tracks.includes(action.track);
    if (action.kind === "setComments") return markerList.includes(action.marker);
    if (action.kind === "addMarker") {
      return action.start instanceof TickTime && action.duration instanceof TickTime && action.start._ticks >= 0n;
    }
    return (
      allItems().includes(action.item) &&
      action.time instanceof TickTime &&
      action.time._ticks >= 0n &&
      Number.isInteger(action.audioIndex) &&
      action.audioIndex >= 0 &&
      Number.isInteger(action.videoIndex) &&
      (action.kind === "insert" || action.audioIndex < count)
    );
  }

  function apply(action) {
    if (action.kind === "setName") {
      action.track.name = action.name;
      world.renames.push({ audioTrack: action.track.index, name: action.name });
      return;
    }
    if (action.kind === "setComments") {
      action.marker._comments = action.comments;
      return;
    }
    if (action.kind === "addMarker") {
      const { name, type, start, duration, comments } = action;
      const marker = new Marker({ name, startTicks: start._ticks, durationTicks: duration._ticks, comments, type }, world);
      markerList.push(marker);
      return;
    }
    let index = action.audioIndex;
    if (action.kind === "insert" && index >= tracks.length) {
      tracks.push(newTrack(tracks.length));
      index = tracks.length - 1;
    }
    const length = wavTicks(action.item._mediaPath);
    const start = action.time._ticks;
    const end = start + length;
    const track = tracks[index];
    if (action.kind === "insert") {
      // An insert pushes what is at or after `start` on its track later by the clip's length.
      for (const it of track.items) {
        if (it._start >= start) {
          it._start += length;
          it._end += length;
        }
      }
    } else {
      // An overwrite replaces whatever lay under it on its track.
      track.items = track.items.filter((it) => it._end <= start || it._start >= end);
    }
    const trackItem = new TrackItem(action.item, start, end);
    track.items.push(trackItem);
    track.items.sort((a, b) => (a._start < b._start ? -1 : a._start > b._start ? 1 : 0));
    const placed = {
      name: action.item.name,
      path: action.item._mediaPath,
      ticks: start.toString(),
      audioTrack: index,
      kind: action.kind,
    };
    Object.defineProperty(placed, "trackItem", { value: trackItem, enumerable: false });
    world.placements.push(placed);
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
      // All or nothing, each action checked against the tracks as the ones before it left them.
      let count = tracks.length;
      for (const action of actions) {
        if (!valid(action, count)) return false;
        if (action.kind === "insert" && action.audioIndex >= count) count += 1;
      }
      if (!actions.length) return false;
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
    // [ref SourceMonitor] openFilePath(filePath): Promise<boolean>, play(speed): Promise<boolean>,
    // both since 25.6; the fake opens only files that exist and records what played.
    SourceMonitor: versionAtLeast(version, "25.6.0")
      ? {
          async openFilePath(file) {
            if (typeof file !== "string" || !fs.existsSync(file)) return false;
            world.monitor = { open: file, playing: false };
            return true;
          },
          async play(speed = 1.0) {
            if (!world.monitor) return false;
            world.monitor.playing = true;
            world.auditions.push({ path: world.monitor.open, speed });
            return true;
          },
        }
      : undefined,
    Markers: {
      async getMarkers(owner) {
        if (owner !== sequence) throw new Error("markers of an unknown owner");
        return {
          getMarkers: () => [...markerList],
          // [ref Markers] createAddMarkerAction(name, markerType, startTime, duration, comments):
          // an Action; the marker lives with the sequence (saved in the project), so a panel
          // reload reads it back.
          createAddMarkerAction(name, markerType, startTime, duration, comments) {
            mustBeLocked("createAddMarkerAction");
            return new Action("addMarker", { name, type: markerType, start: startTime, duration, comments });
          },
        };
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
    Constants: { TrackItemType, VideoDisplayFormatType, MediaType: { ANY: 0, AUDIO: 3 } },
  };
  return { ppro, world, project, sequence, root, tracks, spec };
}

/** files.exists over node's fs, as the panel's UXP adapter offers it. */
const nodeFiles = { exists: async (p) => fs.existsSync(p) };

module.exports = {
  createFakePremiere,
  TickTime,
  TICKS_PER_SECOND,
  TrackItemType,
  nodeFiles,
  otioJson,
  fcpXml,
  wavTicks,
};
