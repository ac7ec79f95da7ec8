package com.sievenet.tryon.core

/**
 * The export's `photo` graph (contract `graphs.photo`): the person's photo and
 * the cloth's photo in, the try-on plus the predicted parse, keypoints and cloth
 * mask out. The app's "Your photo" path (gallery / camera -> try-on).
 *
 * @property files variant -> file, like [ModelContract.files].
 * @property clothMask "learned" or "computed": how the graph finds the cloth mask.
 * @property keypointThreshold the confidence below which a predicted keypoint is missing.
 * @property minKeypoints fewer predicted keypoints than this: no person in the photo.
 */
data class PhotoGraph(
    val signature: String,
    val files: Map<String, String>,
    val inputs: List<TensorSpec>,
    val outputs: List<TensorSpec>,
    val clothMask: String?,
    val keypointThreshold: Double?,
    val minKeypoints: Int
)

/**
 * The photo-graph file to run for the chosen precision.
 *
 * @property note why it is not the variant the user chose (null when it is).
 */
data class PhotoFileChoice(val variant: String, val file: String, val note: String?)

/** The two photos as the model sees them (fitted into `image_size`) and the packed inputs. */
class PreparedPhotos(val person: ArgbImage, val cloth: ArgbImage, val inputs: Map<String, TensorData>)

/** One predicted keypoint in pixels of the model's image (pixel j's centre is x = j). */
class PredictedKeypoint(val name: String?, val x: Float, val y: Float, val confidence: Float) {
    /** As for OpenPose points and in Python: a point with confidence 0 is missing. */
    val present: Boolean get() = confidence > 0f
}

/**
 * What the photo graph found in the person's photo.
 *
 * @property parse the predicted parse (model class ids) at image_size, when the graph outputs one.
 * @property parseLabels the label set of [parse] (names and colours).
 * @property clothMaskCoverage the share of the cloth photo's frame the predicted mask covers.
 * @property noPersonMessage null when enough keypoints were found ([PhotoPath.noPersonMessage]).
 */
class PhotoPrediction(
    val keypoints: List<PredictedKeypoint>,
    val foundKeypoints: Int,
    val parse: LabelMap?,
    val parseLabels: LabelSet?,
    val clothMaskCoverage: Double?,
    val noPersonMessage: String?
) {
    val personFound: Boolean get() = noPersonMessage == null
}

/** Packing the two photos, choosing the graph's file, and reading what the photo graph found. */
object PhotoPath {
    /** What the app says when the export has no photo graph. */
    const val NO_PHOTO_GRAPH =
        "This export has no photo graph (no graphs.photo in model_contract.json): its run had no " +
            "trained person analyzer, so every person needs a parse and keypoints. Use the bundled " +
            "samples, or train the analyzer (training/train.py --stage analyzer) and export again."

    /** The inputs the photo graph takes, both photos (`image` encoding). */
    val INPUTS: List<String> = listOf(ContractNames.PERSON, ContractNames.CLOTH)

    /**
     * Problems that stop the app from running the photo graph (empty = fine): no
     * graph, an input other than the two photos, no `tryon` or `keypoints` output
     * (the no-person check needs the keypoints), a layout the packing code does not
     * handle, labels without colours, no .tflite file listed.
     */
    fun problemsForApp(contract: ModelContract): List<String> {
        val graph = contract.photo ?: return listOf(NO_PHOTO_GRAPH)
        val photo = contract.photoContract()!!
        val problems = ArrayList<String>()
        for (spec in photo.inputs) {
            if (spec.name !in INPUTS) {
                problems.add("photo graph input '${spec.name}' is not one this app can fill (it fills $INPUTS)")
            }
        }
        for (name in INPUTS) {
            if (photo.inputOrNull(name) == null) problems.add("the photo graph has no '$name' input")
        }
        // Layouts, normalization, label colours and the tryon output, as for the try-on graph
        // (the inputs it cannot fill are reported above already).
        val fillable = photo.copy(inputs = photo.inputs.filter { it.name in INPUTS })
        for (problem in ContractCheck.problemsForApp(fillable)) problems.add("photo graph: $problem")
        val keypoints = photo.outputOrNull(ContractNames.KEYPOINTS)
        if (keypoints == null) {
            problems.add("the photo graph has no 'keypoints' output, which the no-person check needs")
        } else if (keypoints.encoding != ContractNames.ENCODING_KEYPOINTS) {
            problems.add("photo graph output 'keypoints' has encoding '${keypoints.encoding}', not 'keypoints'")
        } else if (contract.keypointNames.isNotEmpty() && keypoints.shape.size == 3 &&
            keypoints.shape[1] != contract.keypointNames.size
        ) {
            problems.add(
                "photo graph output 'keypoints' holds ${keypoints.shape[1]} keypoints but keypoint_names lists " +
                    "${contract.keypointNames.size}"
            )
        }
        if (photo.tfliteVariants().isEmpty()) {
            problems.add("graphs.photo lists no .tflite file (its files: ${graph.files.values.toList()})")
        }
        return problems
    }

    /**
     * The photo-graph file for the try-on precision [variant] (fp32, fp16, dynamic,
     * int8; null = the first available), among the files in [available] (the app's
     * assets). Like Python's `TryOn`: the same variant when present, else fp32, else
     * the first one present, with a note saying so.
     *
     * @throws IllegalArgumentException when the export has no photo graph or none
     *   of its files is available.
     */
    fun chooseFile(contract: ModelContract, variant: String?, available: Set<String>): PhotoFileChoice {
        val photo = contract.photoContract() ?: throw IllegalArgumentException(NO_PHOTO_GRAPH)
        val listed = photo.tfliteVariants()
        require(listed.isNotEmpty()) { "graphs.photo in ${ContractNames.CONTRACT_FILE} lists no .tflite file" }
        val present = listed.filter { it.second in available }
        require(present.isNotEmpty()) {
            "${ContractNames.CONTRACT_FILE} lists the photo graph as ${listed.map { it.second }}, but none is in the " +
                "app's assets. Run ./gradlew :app:copyModel -PexportDir=<export dir> and rebuild."
        }
        if (variant == null) return PhotoFileChoice(present[0].first, present[0].second, null)
        present.firstOrNull { it.first == variant }?.let { return PhotoFileChoice(it.first, it.second, null) }
        val fallback = present.firstOrNull { it.first == "fp32" } ?: present[0]
        val missing = listed.firstOrNull { it.first == variant }
        val why = if (missing != null) {
            "${missing.second} is not in the app's assets"
        } else {
            "the export has no $variant photo graph"
        }
        return PhotoFileChoice(fallback.first, fallback.second, "$why; the photo path runs ${fallback.first} (${fallback.second})")
    }

    /**
     * Fits both photos (any size and aspect; already upright, see [ExifOrientation])
     * into the photo graph's input size exactly as the Python readers do
     * ([PilResize.fitImage] = `io.fit_image`, after [PilResize.flattenOnWhite] =
     * `io.to_rgb`) and packs them with the contract's normalization.
     *
     * @throws IllegalArgumentException when the export has no photo graph, or it asks
     *   for an input other than the two photos.
     */
    fun prepare(contract: ModelContract, person: ArgbImage, cloth: ArgbImage): PreparedPhotos {
        val photo = contract.photoContract() ?: throw IllegalArgumentException(NO_PHOTO_GRAPH)
        val fitted = HashMap<String, ArgbImage>()
        val packed = LinkedHashMap<String, TensorData>()
        for (spec in photo.inputs) {
            val image = when (spec.name) {
                ContractNames.PERSON -> person
                ContractNames.CLOTH -> cloth
                else -> throw IllegalArgumentException(
                    "photo graph input '${spec.name}' is not one this app can fill (it fills $INPUTS)"
                )
            }
            require(spec.shape.size == 4 && spec.shape[0] == 1 && spec.shape[3] == 3) {
                "photo graph input '${spec.name}': expected shape (1, H, W, 3), the contract says ${spec.shape}"
            }
            val fit = PilResize.fitImage(PilResize.flattenOnWhite(image), spec.shape[1], spec.shape[2])
            fitted[spec.name] = fit
            // Already at the input's size: packImage only normalises.
            packed[spec.name] = TensorData.Floats(spec.shape, TensorPacking.packImage(spec, photo.normalizationFor(spec), fit))
        }
        val fittedPerson = fitted[ContractNames.PERSON]
            ?: throw IllegalArgumentException("the photo graph has no '${ContractNames.PERSON}' input")
        val fittedCloth = fitted[ContractNames.CLOTH]
            ?: throw IllegalArgumentException("the photo graph has no '${ContractNames.CLOTH}' input")
        return PreparedPhotos(fittedPerson, fittedCloth, packed)
    }

    /** The photo graph's inputs (`person`, `cloth`), keyed by name: [prepare]'s tensors. */
    fun packInputs(contract: ModelContract, person: ArgbImage, cloth: ArgbImage): Map<String, TensorData> =
        prepare(contract, person, cloth).inputs

    /**
     * Reads the predictions from the photo graph's [outputs]: the keypoints (named by
     * the contract's keypoint_names when the counts agree), the parse and its label
     * set, the cloth mask's coverage, and the no-person decision.
     *
     * @throws IllegalArgumentException when there is no photo graph, or its keypoints
     *   output is missing or of the wrong size.
     */
    fun readPrediction(contract: ModelContract, outputs: Map<String, TensorData>): PhotoPrediction {
        val graph = contract.photo ?: throw IllegalArgumentException(NO_PHOTO_GRAPH)
        val photo = contract.photoContract()!!
        val spec = photo.output(ContractNames.KEYPOINTS)
        val values = floats(spec, outputs[spec.name] ?: throw IllegalArgumentException("no '${spec.name}' output"))
        require(spec.shape.size == 3 && spec.shape[0] == 1 && spec.shape[2] == 3 && values.size == spec.elementCount) {
            "photo graph output '${spec.name}': expected (1, K, 3) values for shape ${spec.shape}, got ${values.size}"
        }
        val count = spec.shape[1]
        val names = if (contract.keypointNames.size == count) contract.keypointNames else null
        val keypoints = (0 until count).map { k ->
            PredictedKeypoint(names?.get(k), values[3 * k], values[3 * k + 1], values[3 * k + 2])
        }

        var parse: LabelMap? = null
        var parseLabels: LabelSet? = null
        val parseSpec = photo.outputOrNull(ContractNames.PARSE)
        val parseData = parseSpec?.let { outputs[it.name] }
        if (parseSpec != null && parseData != null) {
            require(parseSpec.shape.size == 3 && parseSpec.shape[0] == 1) {
                "photo graph output 'parse': expected (1, H, W), the contract says ${parseSpec.shape}"
            }
            val ids = when (parseData) {
                is TensorData.Ints -> parseData.values
                is TensorData.Floats -> throw IllegalArgumentException("output 'parse': expected int32 values, got float32")
            }
            parse = LabelMap(parseSpec.shape[2], parseSpec.shape[1], ids)
            parseLabels = photo.labelSetFor(parseSpec)
        }

        val maskSpec = photo.outputOrNull(ContractNames.CLOTH_MASK)
        val maskData = maskSpec?.let { outputs[it.name] }
        val coverage = if (maskSpec != null && maskData != null) {
            val mask = floats(maskSpec, maskData)
            if (mask.isEmpty()) null else mask.count { it >= 0.5f }.toDouble() / mask.size
        } else {
            null
        }
        return PhotoPrediction(
            keypoints = keypoints,
            foundKeypoints = keypoints.count { it.present },
            parse = parse,
            parseLabels = parseLabels,
            clothMaskCoverage = coverage,
            noPersonMessage = noPersonMessage(graph, values)
        )
    }

    /**
     * Null when the photo graph found a person, else the message to show: fewer
     * predicted keypoints with a confidence above 0 (the graph zeroes those below
     * `keypoint_threshold`) than the contract's `min_keypoints`. The same test as
     * Python's `TryOn._check_person_found`.
     *
     * @param keypoints the graph's `keypoints` output, (x, y, confidence) triples.
     */
    fun noPersonMessage(graph: PhotoGraph, keypoints: FloatArray): String? {
        require(keypoints.size % 3 == 0) { "keypoints hold (x, y, confidence) triples, got ${keypoints.size} values" }
        var found = 0
        for (i in 0 until keypoints.size / 3) if (keypoints[3 * i + 2] > 0f) found++
        if (found >= graph.minKeypoints) return null
        val threshold = graph.keypointThreshold?.let { " above confidence $it" } ?: ""
        return "No person found in the photo (only $found of ${keypoints.size / 3} body keypoints$threshold, " +
            "${graph.minKeypoints} needed). Use a photo of one person, upper body in view, on a plain background."
    }

    private fun floats(spec: TensorSpec, data: TensorData): FloatArray = when (data) {
        is TensorData.Floats -> data.values
        is TensorData.Ints -> throw IllegalArgumentException("output '${spec.name}': expected float32 values, got int32")
    }
}
