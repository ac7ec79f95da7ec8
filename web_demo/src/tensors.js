// Conversions between what the page has (decoded pixels, .npy label maps,
// OpenPose JSON) and the model's tensors, driven by the contract's specs.
//
// They follow the Python client (sievenet_tf.inference.TryOn.prepare) step by
// step, including float32 rounding, so that the page's inputs are bit-equal to
// Python's for the same files: the browser test checks this before it compares
// outputs, so a difference in the outputs is the runtime's, not the packing's.

import {elementCount} from './contract.js';

/** OpenPose BODY_25 order (VITON-HD poses); mapped to the model's points by name. */
export const BODY25_NAMES = [
  'nose', 'neck', 'r_shoulder', 'r_elbow', 'r_wrist', 'l_shoulder', 'l_elbow',
  'l_wrist', 'mid_hip', 'r_hip', 'r_knee', 'r_ankle', 'l_hip', 'l_knee', 'l_ankle',
  'r_eye', 'l_eye', 'r_ear', 'l_ear', 'l_big_toe', 'l_small_toe', 'l_heel',
  'r_big_toe', 'r_small_toe', 'r_heel',
];

const f32 = Math.fround;

/**
 * Reads a NumPy .npy file (format 1.0-3.0, C order, little-endian or
 * single-byte dtypes): what the samples store label maps in, because a PNG's
 * palette is expanded to colours by the browser's decoder.
 *
 * @param {ArrayBuffer} buffer the file.
 * @param {string} source the file name, for messages.
 * @returns {{shape: number[], dtype: string, data: ArrayLike<number>}}
 */
export function parseNpy(buffer, source = 'array.npy') {
  const bytes = new Uint8Array(buffer);
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) {
    throw new Error(`${source}: not a .npy file`);
  }
  const major = bytes[6];
  const view = new DataView(buffer);
  let headerLength;
  let offset;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    offset = 10;
  } else if (major === 2 || major === 3) {
    headerLength = view.getUint32(8, true);
    offset = 12;
  } else {
    throw new Error(`${source}: .npy format version ${major} is not supported`);
  }
  const header = new TextDecoder('latin1').decode(bytes.subarray(offset, offset + headerLength));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header);
  const order = /'fortran_order'\s*:\s*(True|False)/.exec(header);
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header);
  if (!descr || !order || !shapeText) {
    throw new Error(`${source}: unreadable .npy header ${JSON.stringify(header)}`);
  }
  if (order[1] === 'True') throw new Error(`${source}: Fortran-order arrays are not supported`);
  const shape = shapeText[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const count = elementCount(shape);
  const start = offset + headerLength;
  const types = {
    '|u1': Uint8Array, '<u1': Uint8Array, '|i1': Int8Array, '<i1': Int8Array,
    '<u2': Uint16Array, '<i2': Int16Array, '<i4': Int32Array, '<u4': Uint32Array,
    '<f4': Float32Array, '<f8': Float64Array,
  };
  const Type = types[descr[1]];
  if (!Type) throw new Error(`${source}: dtype ${descr[1]} is not supported`);
  if (buffer.byteLength - start < count * Type.BYTES_PER_ELEMENT) {
    throw new Error(`${source}: truncated (${count} values of ${descr[1]} expected)`);
  }
  // Copy so the data is aligned whatever the header length is.
  const data = new Type(buffer.slice(start, start + count * Type.BYTES_PER_ELEMENT));
  return {shape, dtype: descr[1], data};
}

/**
 * The first person of an OpenPose JSON file as the model's keypoints, in the
 * order of `modelNames` (the contract's keypoint_names). 18 points are read
 * as COCO-18 in that order (what sievenet_tf.data.io.read_keypoints assumes),
 * 25 as BODY_25, matched by name.
 *
 * @returns {Float32Array} K x (x, y, confidence), pixels of the photo.
 */
export function parseOpenPose(text, modelNames, source = 'keypoints.json') {
  let root;
  try {
    root = JSON.parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${e.message})`);
  }
  const people = root && root.people;
  if (!Array.isArray(people) || people.length === 0) {
    throw new Error(`${source}: no person in "people" (the pose detector found nobody)`);
  }
  const values = people[0].pose_keypoints_2d || people[0].pose_keypoints;
  if (!Array.isArray(values) || values.length % 3 !== 0) {
    throw new Error(`${source}: "pose_keypoints_2d" must be a list of (x, y, confidence) triples`);
  }
  const count = values.length / 3;
  const k = modelNames.length;
  let sourceIndex;
  if (count === k) {
    sourceIndex = modelNames.map((_, i) => i);
  } else if (count === BODY25_NAMES.length) {
    sourceIndex = modelNames.map((name) => {
      const i = BODY25_NAMES.indexOf(name);
      if (i < 0) throw new Error(`${source}: BODY_25 has no keypoint '${name}'`);
      return i;
    });
  } else {
    throw new Error(`${source}: ${count} keypoints; the model takes ${k} (or BODY_25)`);
  }
  const out = new Float32Array(k * 3);
  sourceIndex.forEach((s, i) => {
    for (let c = 0; c < 3; c++) {
      const v = Number(values[3 * s + c]);
      if (!Number.isFinite(v)) throw new Error(`${source}: keypoint ${s} has a non-finite value`);
      out[3 * i + c] = v;
    }
  });
  return out;
}

/**
 * Keypoints (pixels of the person photo) -> the (1, K, 3) tensor. The photo
 * must already have the model's size (the page does not resize), so this is
 * sievenet_tf.data.io.scale_keypoints with scale 1 and no padding, computed
 * in float32 like NumPy does: (x + 0.5) * 1 - 0.5 is not always x in float32.
 * Missing points (confidence <= 0) become (0, 0, 0).
 */
export function packKeypoints(spec, points) {
  const k = spec.shape[1];
  if (points.length !== k * 3) {
    throw new Error(`input '${spec.name}': ${points.length / 3} keypoints for a (1, ${k}, 3) tensor`);
  }
  const out = new Float32Array(k * 3);
  for (let i = 0; i < k; i++) {
    if (points[3 * i + 2] > 0) {
      out[3 * i] = f32(f32(f32(points[3 * i] + 0.5) * 1) - 0.5);
      out[3 * i + 1] = f32(f32(f32(points[3 * i + 1] + 0.5) * 1) - 0.5);
      out[3 * i + 2] = points[3 * i + 2];
    }
  }
  return out;
}

/**
 * RGBA pixels (ImageData.data) -> a (1, H, W, 3) float tensor,
 * `pixel * scale + offset` in float32 (the contract's image normalization).
 */
export function packImage(spec, normalization, rgba, width, height) {
  requireSize(spec, width, height);
  const scale = f32(normalization.scale);
  const offset = f32(normalization.offset);
  const out = new Float32Array(width * height * 3);
  for (let i = 0, j = 0; i < out.length; i += 3, j += 4) {
    out[i] = f32(rgba[j] * scale) + offset;
    out[i + 1] = f32(rgba[j + 1] * scale) + offset;
    out[i + 2] = f32(rgba[j + 2] * scale) + offset;
  }
  return out;
}

/**
 * RGBA pixels of a mask image -> a (1, H, W, 1) tensor in {0, 1}: PIL's
 * "L" luma (integer ITU-R 601, what io.read_mask converts with), >= 128 is 1.
 */
export function packMask(spec, rgba, width, height) {
  requireSize(spec, width, height);
  const out = new Float32Array(width * height);
  for (let i = 0; i < out.length; i++) {
    const r = rgba[4 * i];
    const g = rgba[4 * i + 1];
    const b = rgba[4 * i + 2];
    const luma = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    out[i] = luma >= 128 ? 1 : 0;
  }
  return out;
}

/** A (H, W) id map -> a (1, H, W) int32 tensor; ids outside the spec's range are refused. */
export function packLabels(spec, npy, source) {
  const [, height, width] = spec.shape;
  if (npy.shape.length !== 2 || npy.shape[0] !== height || npy.shape[1] !== width) {
    throw new Error(`${source}: label map of shape (${npy.shape.join(', ')}); input ` +
      `'${spec.name}' needs (${height}, ${width})`);
  }
  const out = Int32Array.from(npy.data);
  if (spec.range) {
    const [low, high] = spec.range;
    for (let i = 0; i < out.length; i++) {
      if (out[i] < low || out[i] > high) {
        throw new Error(`${source}: label ${out[i]} at (x=${i % width}, y=${Math.floor(i / width)}) ` +
          `is outside [${low}, ${high}] of label set '${spec.label_set}'`);
      }
    }
  }
  return out;
}

function requireSize(spec, width, height) {
  if (spec.shape[1] !== height || spec.shape[2] !== width) {
    throw new Error(`input '${spec.name}': the image is ${width}x${height}, the model takes ` +
      `${spec.shape[2]}x${spec.shape[1]} (rebuild the page's samples for this export: ` +
      'web_demo/tools/build.py --export EXPORT_DIR)');
  }
}

const clampByte = (v) => (v < 0 ? 0 : v > 255 ? 255 : v);

/** A (1, H, W, 3) image tensor -> RGBA bytes: clamp(round((v - offset) / scale), 0, 255). */
export function imageToRgba(spec, normalization, values) {
  const [, height, width] = spec.shape;
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0, j = 0; j < out.length; i += 3, j += 4) {
    for (let c = 0; c < 3; c++) {
      out[j + c] = clampByte(Math.floor((values[i + c] - normalization.offset) /
        normalization.scale + 0.5));
    }
    out[j + 3] = 255;
  }
  return out;
}

/** A (1, H, W, 1) mask tensor -> grey RGBA bytes; the spec's range (default [0, 1]) maps to 0..255. */
export function maskToRgba(spec, values) {
  const [low, high] = spec.range || [0, 1];
  const out = new Uint8ClampedArray(values.length * 4);
  for (let i = 0; i < values.length; i++) {
    const g = clampByte(Math.floor((values[i] - low) / (high - low) * 255 + 0.5));
    out[4 * i] = g;
    out[4 * i + 1] = g;
    out[4 * i + 2] = g;
    out[4 * i + 3] = 255;
  }
  return out;
}

/** A (1, H, W) label tensor -> RGBA bytes coloured with the label set's colours. */
export function labelsToRgba(spec, set, ids) {
  const width = spec.shape[2];
  const out = new Uint8ClampedArray(ids.length * 4);
  for (let i = 0; i < ids.length; i++) {
    const color = set.colors[ids[i]];
    if (!color) {
      throw new Error(`output '${spec.name}': class id ${ids[i]} at (x=${i % width}, ` +
        `y=${Math.floor(i / width)}) has no colour (the label set has ${set.colors.length})`);
    }
    out[4 * i] = color[0];
    out[4 * i + 1] = color[1];
    out[4 * i + 2] = color[2];
    out[4 * i + 3] = 255;
  }
  return out;
}
