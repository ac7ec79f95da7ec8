package com.sievenet.tryon.core

/**
 * The export's `photo` graph (contract `graphs.photo`): the person's photo and
 * the cloth's photo in, the try-on plus the predicted parse, keypoints and
 * cloth mask out. The app's "your photo" path (gallery / camera -> try-on).
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

/** Packing the two photos and reading what the photo graph found. */
object PhotoPath {
    /**
     * The photo graph's inputs (`person`, `cloth`), keyed by name, from the two photos
     * at any size (fitted like the try-on inputs).
     *
     * @throws IllegalArgumentException when the export has no photo graph, or it asks
     *   for an input other than the two photos.
     */
    fun packInputs(contract: ModelContract, person: ArgbImage, cloth: ArgbImage): Map<String, TensorData> {
        val photo = contract.photoContract()
            ?: throw IllegalArgumentException(
                "this export has no photo graph (its run had no trained person analyzer): " +
                    "a parse and keypoints are needed for every person"
            )
        val packed = LinkedHashMap<String, TensorData>()
        for (spec in photo.inputs) {
            val image = when (spec.name) {
                ContractNames.PERSON -> person
                ContractNames.CLOTH -> cloth
                else -> throw IllegalArgumentException(
                    "photo graph input '${spec.name}' is not one this app can fill (it fills person, cloth)"
                )
            }
            packed[spec.name] = TensorData.Floats(spec.shape, TensorPacking.packImage(spec, photo.normalizationFor(spec), image))
        }
        return packed
    }

    /**
     * Null when the photo graph found a person, else the message to show: the
     * number of predicted keypoints with a confidence above 0 is below the
     * contract's `min_keypoints`.
     *
     * @param keypoints the graph's `keypoints` output, (x, y, confidence) triples.
     */
    fun noPersonMessage(graph: PhotoGraph, keypoints: FloatArray): String? {
        require(keypoints.size % 3 == 0) { "keypoints hold (x, y, confidence) triples, got ${keypoints.size} values" }
        var found = 0
        for (i in 0 until keypoints.size / 3) if (keypoints[3 * i + 2] > 0f) found++
        if (found >= graph.minKeypoints) return null
        return "No person found in the photo ($found of ${keypoints.size / 3} body points, " +
            "${graph.minKeypoints} needed). Use a photo of one person, upper body in view, on a plain background."
    }
}
