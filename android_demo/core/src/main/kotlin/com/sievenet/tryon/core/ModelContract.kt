package com.sievenet.tryon.core

/**
 * One tensor of the exported signature, as the contract describes it.
 *
 * @property shape e.g. [1, 64, 48, 3]; NHWC for images.
 * @property dtype "float32", "int32", ...
 * @property encoding "image", "mask", "label_ids", "keypoints" (or one this app does not know).
 * @property range [min, max] of the values, when the contract gives it.
 * @property labelSet for label_ids: the key (or name) of its entry in `labels`.
 * @property format e.g. "coco18" for keypoints.
 */
data class TensorSpec(
    val name: String,
    val shape: List<Int>,
    val dtype: String,
    val encoding: String,
    val range: List<Double>?,
    val labelSet: String?,
    val format: String?
) {
    /** Number of elements (the product of [shape]). */
    val elementCount: Int
        get() {
            var count = 1
            for (dim in shape) count *= dim
            return count
        }
}

/**
 * How images are normalised: `float = uint8_pixel * scale + offset` (RGB order),
 * and back: `pixel = clamp(round((float - offset) / scale), 0, 255)`.
 */
data class Normalization(val scale: Double, val offset: Double) {
    fun toFloat(pixel: Int): Float = (pixel * scale + offset).toFloat()

    fun toPixel(value: Float): Int {
        val pixel = Math.floor((value - offset) / scale + 0.5)
        return if (pixel < 0.0) 0 else if (pixel > 255.0) 255 else pixel.toInt()
    }
}

/**
 * A label set from the contract's `labels` block.
 *
 * @property key the key in `labels` ("parse", "model").
 * @property name its name when given ("lip"); inputs may refer to it by name.
 * @property colors ARGB colours (alpha 0xFF) indexed by class id, when given.
 */
data class LabelSet(
    val key: String,
    val name: String?,
    val names: List<String>,
    val colors: List<Int>?
)

/**
 * The parsed `model_contract.json`: everything the app needs to know about the
 * exported model. See docs/model_contract.md for the format.
 *
 * Parsing checks the structure and rejects any format_version other than
 * [ContractNames.FORMAT_VERSION]; unknown keys are ignored (forward
 * compatibility). Whether this app can drive the model is a separate question,
 * answered by [ContractCheck.problemsForApp].
 */
data class ModelContract(
    val formatVersion: Int,
    val preset: String?,
    val imageHeight: Int,
    val imageWidth: Int,
    val signature: String,
    val files: Map<String, String>,
    val normalization: Map<String, Normalization>,
    val inputs: List<TensorSpec>,
    val outputs: List<TensorSpec>,
    val labels: Map<String, LabelSet>,
    val keypointNames: List<String>,
    /** The `photo` graph (`graphs.photo`): person + cloth photos in; null when not exported. */
    val photo: PhotoGraph? = null
) {
    /**
     * The photo graph seen as a contract of its own (its files, inputs and outputs;
     * normalization and labels shared), so the try-on code paths (variant choice,
     * [ContractCheck.problemsAgainstModel], [TryOnIO.decodeOutputs]) drive it too.
     * Null when the export has no photo graph.
     */
    fun photoContract(): ModelContract? {
        val graph = photo ?: return null
        return copy(signature = graph.signature, files = graph.files, inputs = graph.inputs,
                    outputs = graph.outputs, photo = null)
    }

    fun inputOrNull(name: String): TensorSpec? = inputs.firstOrNull { it.name == name }

    fun outputOrNull(name: String): TensorSpec? = outputs.firstOrNull { it.name == name }

    fun input(name: String): TensorSpec = inputOrNull(name)
        ?: throw IllegalArgumentException(
            "${ContractNames.CONTRACT_FILE} has no input named '$name'; its inputs are ${inputs.map { it.name }}"
        )

    fun output(name: String): TensorSpec = outputOrNull(name)
        ?: throw IllegalArgumentException(
            "${ContractNames.CONTRACT_FILE} has no output named '$name'; its outputs are ${outputs.map { it.name }}"
        )

    /** The normalization of an image tensor (looked up by its encoding). */
    fun normalizationFor(spec: TensorSpec): Normalization = normalization[spec.encoding]
        ?: throw IllegalArgumentException(
            "'${spec.name}': ${ContractNames.CONTRACT_FILE} has no normalization for encoding " +
                "'${spec.encoding}' (it has ${normalization.keys})"
        )

    /** The label set a tensor refers to: by key in `labels` first, then by its `name`. */
    fun labelSetOrNull(id: String): LabelSet? =
        labels[id] ?: labels.values.firstOrNull { it.name == id }

    fun labelSetFor(spec: TensorSpec): LabelSet {
        val id = spec.labelSet
            ?: throw IllegalArgumentException("'${spec.name}': label_ids tensor without a label_set")
        return labelSetOrNull(id)
            ?: throw IllegalArgumentException(
                "'${spec.name}': label_set '$id' is not in the contract's labels (${labels.keys})"
            )
    }

    /**
     * The .tflite variants the export lists, as (variant, file) pairs: fp32 first
     * (the parity-checked float model), then fp16, dynamic, int8, then any other.
     */
    fun tfliteVariants(): List<Pair<String, String>> {
        val tflite = files.filter { it.value.endsWith(".tflite") }
        val ordered = ArrayList<Pair<String, String>>()
        for (variant in PREFERRED_VARIANTS) {
            val file = tflite[variant]
            if (file != null) ordered.add(Pair(variant, file))
        }
        for ((variant, file) in tflite) {
            if (variant !in PREFERRED_VARIANTS) ordered.add(Pair(variant, file))
        }
        return ordered
    }

    companion object {
        private val PREFERRED_VARIANTS = listOf("fp32", "fp16", "dynamic", "int8")

        /**
         * Parses the contract text.
         *
         * @throws IllegalArgumentException (a [JsonException]) for malformed JSON, a
         *   missing or mistyped field (the message names it), or another format_version.
         */
        fun parse(text: String): ModelContract {
            val root = Json.parseObject(text, ContractNames.CONTRACT_FILE)
            // The version comes first: a future format may change everything else,
            // and "wrong version" is the message that helps then.
            val version = root.intOrNull("format_version")
                ?: throw JsonException(
                    "${ContractNames.CONTRACT_FILE}: missing \"format_version\"; this app reads " +
                        "format_version ${ContractNames.FORMAT_VERSION} (docs/model_contract.md)"
                )
            if (version != ContractNames.FORMAT_VERSION) {
                throw JsonException(
                    "${ContractNames.CONTRACT_FILE} has format_version $version, but this app reads only " +
                        "format_version ${ContractNames.FORMAT_VERSION}. Re-export the model with an exporter " +
                        "that writes version ${ContractNames.FORMAT_VERSION}, or update the app."
                )
            }
            val size = root.array("image_size")
            if (size.size != 2) throw JsonException("${size.path}: expected [height, width], got ${size.size} values")
            val height = size.int(0)
            val width = size.int(1)
            if (height <= 0 || width <= 0) throw JsonException("${size.path}: must be positive, got [$height, $width]")

            val files = LinkedHashMap<String, String>()
            val filesObj = root.objOrNull("files")
            if (filesObj != null) {
                for (key in filesObj.keys) {
                    val file = filesObj.stringOrNull(key)
                    if (file != null) files[key] = file
                }
            }

            val normalization = LinkedHashMap<String, Normalization>()
            val normObj = root.objOrNull("normalization")
            if (normObj != null) {
                for (key in normObj.keys) {
                    val entry = normObj.obj(key)
                    val scale = entry.double("scale")
                    if (scale == 0.0 || scale.isNaN() || scale.isInfinite()) {
                        throw JsonException("${entry.path}.scale: must be a finite non-zero number, got $scale")
                    }
                    normalization[key] = Normalization(scale, entry.double("offset"))
                }
            }

            val inputs = parseTensors(root.array("inputs"))
            val outputs = parseTensors(root.array("outputs"))

            val labels = LinkedHashMap<String, LabelSet>()
            val labelsObj = root.objOrNull("labels")
            if (labelsObj != null) {
                for (key in labelsObj.keys) labels[key] = parseLabelSet(key, labelsObj.obj(key))
            }

            return ModelContract(
                formatVersion = version,
                preset = root.stringOrNull("preset"),
                imageHeight = height,
                imageWidth = width,
                signature = root.string("signature"),
                files = files,
                normalization = normalization,
                inputs = inputs,
                outputs = outputs,
                labels = labels,
                keypointNames = root.arrayOrNull("keypoint_names")?.strings() ?: emptyList(),
                photo = root.objOrNull("graphs")?.objOrNull("photo")?.let { parsePhoto(it) }
            )
        }

        private fun parsePhoto(entry: JsonObjectView): PhotoGraph {
            val files = LinkedHashMap<String, String>()
            val filesObj = entry.objOrNull("files")
            if (filesObj != null) {
                for (key in filesObj.keys) filesObj.stringOrNull(key)?.let { files[key] = it }
            }
            return PhotoGraph(
                signature = entry.stringOrNull("signature") ?: "serving_default",
                files = files,
                inputs = parseTensors(entry.array("inputs")),
                outputs = parseTensors(entry.array("outputs")),
                clothMask = entry.stringOrNull("cloth_mask"),
                keypointThreshold = entry.doubleOrNull("keypoint_threshold"),
                minKeypoints = entry.intOrNull("min_keypoints") ?: 1
            )
        }

        private fun parseTensors(array: JsonArrayView): List<TensorSpec> {
            if (array.size == 0) throw JsonException("${array.path}: is empty")
            val specs = ArrayList<TensorSpec>()
            for (i in 0 until array.size) {
                val entry = array.obj(i)
                val shapeArray = entry.array("shape")
                val shape = shapeArray.ints()
                if (shape.isEmpty() || shape.any { it <= 0 }) {
                    throw JsonException("${shapeArray.path}: dimensions must be positive, got $shape")
                }
                val range = entry.arrayOrNull("range")?.let {
                    if (it.size != 2) throw JsonException("${it.path}: expected [min, max], got ${it.size} values")
                    it.doubles()
                }
                val spec = TensorSpec(
                    name = entry.string("name"),
                    shape = shape,
                    dtype = entry.string("dtype"),
                    encoding = entry.string("encoding"),
                    range = range,
                    labelSet = entry.stringOrNull("label_set"),
                    format = entry.stringOrNull("format")
                )
                if (specs.any { it.name == spec.name }) {
                    throw JsonException("${array.path}: the name '${spec.name}' appears twice")
                }
                specs.add(spec)
            }
            return specs
        }

        private fun parseLabelSet(key: String, entry: JsonObjectView): LabelSet {
            val names = entry.array("names").strings()
            val colors = entry.arrayOrNull("colors")?.let { array ->
                (0 until array.size).map { i ->
                    val rgb = array.array(i)
                    if (rgb.size != 3) throw JsonException("${rgb.path}: expected [r, g, b], got ${rgb.size} values")
                    var argb = 0xFF
                    for (c in 0 until 3) {
                        val v = rgb.int(c)
                        if (v < 0 || v > 255) throw JsonException("${rgb.path}: colour values must be 0..255, got $v")
                        argb = (argb shl 8) or v
                    }
                    argb
                }
            }
            return LabelSet(key = key, name = entry.stringOrNull("name"), names = names, colors = colors)
        }
    }
}
