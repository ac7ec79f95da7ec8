// model_contract.json: reading it, and checking that this page can drive the
// model it describes (docs/model_contract.md, format version 1).
//
// Every check returns or throws messages in words that name the tensor and the
// problem, because the page shows them to people, not only to the console.

export const SUPPORTED_FORMAT_VERSION = 1;

// The inputs this page knows how to fill, by name, with the encoding it packs
// them as. A contract with another input cannot be driven (we would have to
// invent its values), so it is refused.
export const PAGE_INPUTS = {
  person: 'image',
  parse: 'label_ids',
  keypoints: 'keypoints',
  cloth: 'image',
  cloth_mask: 'mask',
};

// Only the try-on is required; every other output is shown when the contract
// lists it (a baseline export without segmenter has no expected_segmentation).
export const REQUIRED_OUTPUTS = ['tryon'];

// Preference when the URL does not ask for a format: int8 is the phone / web
// target (smallest, fastest on CPU), fp32 the reference.
export const FORMAT_PREFERENCE = ['int8', 'fp32', 'dynamic', 'fp16'];

export class ContractError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ContractError';
  }
}

/**
 * Checks a parsed contract object: format version and the keys every client
 * needs. Unknown keys are ignored (forward compatibility, as the spec asks).
 *
 * @param {object} contract the parsed JSON.
 * @param {string} source where it came from, for the messages.
 * @returns {object} the same object.
 */
export function validateContract(contract, source) {
  if (contract === null || typeof contract !== 'object' || Array.isArray(contract)) {
    throw new ContractError(`${source}: expected a JSON object`);
  }
  const version = contract.format_version;
  if (version !== SUPPORTED_FORMAT_VERSION) {
    throw new ContractError(
      `${source}: contract format_version ${JSON.stringify(version)} is not supported ` +
        `(this page understands version ${SUPPORTED_FORMAT_VERSION}); ` +
        'use a page built for that export or re-export the model');
  }
  const missing = ['image_size', 'inputs', 'outputs', 'normalization', 'files']
    .filter((key) => !(key in contract));
  if (missing.length) {
    throw new ContractError(`${source}: the contract lacks ${missing.join(', ')}`);
  }
  for (const key of ['inputs', 'outputs']) {
    if (!Array.isArray(contract[key])) {
      throw new ContractError(`${source}: "${key}" must be a list of tensor specs`);
    }
    for (const spec of contract[key]) {
      if (!spec || typeof spec.name !== 'string' || !Array.isArray(spec.shape) ||
          typeof spec.dtype !== 'string') {
        throw new ContractError(
          `${source}: every entry of "${key}" needs a name, a shape and a dtype ` +
            `(got ${JSON.stringify(spec)})`);
      }
    }
  }
  return contract;
}

/** The label set a tensor spec refers to: a key of `labels`, or a set's `name`. */
export function labelSet(contract, id) {
  const labels = contract.labels || {};
  if (id in labels) return labels[id];
  return Object.values(labels).find((set) => set && set.name === id) || null;
}

/** Number of elements of a shape. */
export function elementCount(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Problems that stop this page from driving the contract's model (empty when
 * it can): an input it cannot fill or packs differently, a missing
 * normalization or label colours, no try-on output.
 */
export function problemsForPage(contract) {
  const problems = [];
  const [height, width] = contract.image_size;
  const hasNormalization = (encoding) =>
    contract.normalization && contract.normalization[encoding] &&
    typeof contract.normalization[encoding].scale === 'number' &&
    typeof contract.normalization[encoding].offset === 'number';
  for (const spec of contract.inputs) {
    const encoding = PAGE_INPUTS[spec.name];
    if (!encoding) {
      problems.push(`input '${spec.name}' (encoding ${spec.encoding}) is not one this page can ` +
        `fill; it fills ${Object.keys(PAGE_INPUTS).join(', ')}`);
      continue;
    }
    if (spec.encoding !== encoding) {
      problems.push(`input '${spec.name}' has encoding '${spec.encoding}'; the page packs it as ` +
        `'${encoding}'`);
      continue;
    }
    problems.push(...layoutProblems('input', spec, height, width));
    if (encoding === 'image' && !hasNormalization('image')) {
      problems.push(`input '${spec.name}': the contract has no normalization for 'image'`);
    }
    if (encoding === 'label_ids' && spec.label_set && !labelSet(contract, spec.label_set)) {
      problems.push(`input '${spec.name}': label_set '${spec.label_set}' is not in the ` +
        `contract's labels (${Object.keys(contract.labels || {}).join(', ')})`);
    }
  }
  for (const name of Object.keys(PAGE_INPUTS)) {
    if (!contract.inputs.some((spec) => spec.name === name)) {
      // Not fatal by itself (the page would simply not send it), but every
      // SieveNet export has all five; say so rather than guess.
      problems.push(`the contract has no input '${name}'; this page expects a SieveNet try-on ` +
        `model with inputs ${Object.keys(PAGE_INPUTS).join(', ')}`);
    }
  }
  for (const name of REQUIRED_OUTPUTS) {
    if (!contract.outputs.some((spec) => spec.name === name)) {
      problems.push(`the contract has no output '${name}'; its outputs are ` +
        `${contract.outputs.map((spec) => spec.name).join(', ')}`);
    }
  }
  for (const spec of contract.outputs) {
    if (!['image', 'mask', 'label_ids'].includes(spec.encoding)) continue; // not shown
    problems.push(...layoutProblems('output', spec, height, width));
    if (spec.encoding === 'image' && !hasNormalization('image')) {
      problems.push(`output '${spec.name}': the contract has no normalization for 'image'`);
    }
    if (spec.encoding === 'label_ids') {
      const set = labelSet(contract, spec.label_set);
      if (!set || !Array.isArray(set.colors)) {
        problems.push(`output '${spec.name}': label set '${spec.label_set}' has no colours in ` +
          'the contract');
      }
    }
  }
  return problems;
}

function layoutProblems(kind, spec, height, width) {
  const shape = spec.shape;
  const expected = {
    image: [[1, height, width, 3], 'float32'],
    mask: [[1, height, width, 1], 'float32'],
    label_ids: [[1, height, width], 'int32'],
  }[spec.encoding];
  if (spec.encoding === 'keypoints') {
    if (shape.length !== 3 || shape[0] !== 1 || shape[2] !== 3 || spec.dtype !== 'float32') {
      return [`${kind} '${spec.name}': expected a float32 (1, K, 3) keypoint tensor, the ` +
        `contract says ${spec.dtype} (${shape.join(', ')})`];
    }
    return [];
  }
  if (!expected) return [];
  const [wantShape, wantDtype] = expected;
  if (shape.length !== wantShape.length || shape.some((v, i) => v !== wantShape[i]) ||
      spec.dtype !== wantDtype) {
    return [`${kind} '${spec.name}': expected ${wantDtype} (${wantShape.join(', ')}) for ` +
      `encoding '${spec.encoding}' at image_size ${height}x${width}, the contract says ` +
      `${spec.dtype} (${shape.join(', ')})`];
  }
  return [];
}

/**
 * The model file to load: the requested format, else the first of
 * FORMAT_PREFERENCE that the contract lists. Only formats in `files` are
 * candidates: the exporter leaves a variant that failed its parity check out.
 *
 * @returns {{format: string, file: string}}
 */
export function pickModelFile(contract, requested) {
  const files = contract.files || {};
  const tflite = Object.keys(files).filter((key) => String(files[key]).endsWith('.tflite'));
  if (requested) {
    if (!tflite.includes(requested)) {
      throw new ContractError(`the export has no '${requested}' model; it lists ` +
        `${tflite.length ? tflite.join(', ') : 'no .tflite file'}`);
    }
    return {format: requested, file: files[requested]};
  }
  for (const format of FORMAT_PREFERENCE) {
    if (tflite.includes(format)) return {format, file: files[format]};
  }
  if (tflite.length) return {format: tflite[0], file: files[tflite[0]]};
  throw new ContractError('the contract lists no .tflite model in "files" ' +
    `(${JSON.stringify(files)})`);
}

/**
 * Problems between the contract and the loaded model's signature (names,
 * shapes, dtypes as LiteRT.js reports them). `details` are LiteRT.js
 * TensorDetails lists.
 */
export function problemsWithModel(contract, inputDetails, outputDetails) {
  const problems = [];
  const compare = (kind, specs, details) => {
    const byName = new Map(details.map((d) => [d.name, d]));
    for (const spec of specs) {
      const found = byName.get(spec.name);
      if (!found) {
        if (kind === 'input' || REQUIRED_OUTPUTS.includes(spec.name)) {
          problems.push(`the model has no ${kind} '${spec.name}' (its ${kind}s: ` +
            `${[...byName.keys()].join(', ')})`);
        }
        continue;
      }
      const shape = Array.from(found.shape);
      if (shape.length !== spec.shape.length || shape.some((v, i) => v !== spec.shape[i])) {
        problems.push(`${kind} '${spec.name}': the model's shape is (${shape.join(', ')}), ` +
          `the contract says (${spec.shape.join(', ')})`);
      }
      if (found.dtype !== spec.dtype) {
        problems.push(`${kind} '${spec.name}': the model's dtype is ${found.dtype}, the contract ` +
          `says ${spec.dtype}`);
      }
    }
  };
  compare('input', contract.inputs, inputDetails);
  compare('output', contract.outputs, outputDetails);
  return problems;
}

/**
 * Whether the export has a person-analyzer ("photo") graph. The current
 * contract (version 1) defines none; a later export may list one under
 * `graphs.photo` or as a "photo" file. The page only reports it.
 */
export function photoGraph(contract) {
  if (contract.graphs && contract.graphs.photo) return contract.graphs.photo;
  const files = contract.files || {};
  const key = Object.keys(files).find((name) => name === 'photo' || name.startsWith('photo_'));
  return key ? {file: files[key]} : null;
}
