package com.sievenet.tryon.core

/**
 * What this app relies on in `model_contract.json` (docs/model_contract.md).
 *
 * Everything else (image size, keypoint count, normalization, label names and
 * colours, file names, the signature key) is read from the contract at run time.
 * The names below are the roles the app knows how to fill or show: a person
 * photo goes into `person`, its parse into `parse`, and so on.
 *
 * tests/test_android_contract.py parses this file and checks it against a
 * contract freshly built by the Python exporter, so keep the declarations in
 * the simple one-line forms used here (`const val X = "..."`, `Role(A, B)`,
 * `Layout(A, "dtype", "shape")`).
 */
object ContractNames {
    /** The only contract format this app reads; any other is rejected with a clear message. */
    const val FORMAT_VERSION = 1

    /** The contract file, next to the .tflite files in the app's assets. */
    const val CONTRACT_FILE = "model_contract.json"

    // Inputs the app fills.
    const val PERSON = "person"
    const val PARSE = "parse"
    const val KEYPOINTS = "keypoints"
    const val CLOTH = "cloth"
    const val CLOTH_MASK = "cloth_mask"

    // Outputs the app shows: the result, then the intermediates.
    const val TRYON = "tryon"
    const val WARPED_CLOTH_COARSE = "warped_cloth_coarse"
    const val WARPED_CLOTH_FINE = "warped_cloth_fine"
    const val EXPECTED_SEGMENTATION = "expected_segmentation"
    const val COMPOSITION_MASK = "composition_mask"

    // Tensor encodings (the "encoding" field of a tensor in the contract).
    const val ENCODING_IMAGE = "image"
    const val ENCODING_MASK = "mask"
    const val ENCODING_LABEL_IDS = "label_ids"
    const val ENCODING_KEYPOINTS = "keypoints"

    /** The inputs this app can fill, with the encoding it packs each one in. */
    val INPUTS: List<Role> = listOf(
        Role(PERSON, ENCODING_IMAGE),
        Role(PARSE, ENCODING_LABEL_IDS),
        Role(KEYPOINTS, ENCODING_KEYPOINTS),
        Role(CLOTH, ENCODING_IMAGE),
        Role(CLOTH_MASK, ENCODING_MASK)
    )

    /** The outputs this app shows, in display order; the first is the try-on itself. */
    val OUTPUTS: List<Role> = listOf(
        Role(TRYON, ENCODING_IMAGE),
        Role(WARPED_CLOTH_COARSE, ENCODING_IMAGE),
        Role(WARPED_CLOTH_FINE, ENCODING_IMAGE),
        Role(EXPECTED_SEGMENTATION, ENCODING_LABEL_IDS),
        Role(COMPOSITION_MASK, ENCODING_MASK)
    )

    /** Outputs without which the app has nothing to show. */
    val REQUIRED_OUTPUTS: List<String> = listOf(TRYON)

    /**
     * The tensor layouts the packing code reads and writes, per encoding. In a
     * shape, H and W are the contract's image_size and K is any positive count
     * (the keypoint count, which must match keypoint_names when those are given).
     */
    val LAYOUTS: List<Layout> = listOf(
        Layout(ENCODING_IMAGE, "float32", "1,H,W,3"),
        Layout(ENCODING_MASK, "float32", "1,H,W,1"),
        Layout(ENCODING_LABEL_IDS, "int32", "1,H,W"),
        Layout(ENCODING_KEYPOINTS, "float32", "1,K,3")
    )

    fun inputRole(name: String): Role? = INPUTS.firstOrNull { it.name == name }

    fun layout(encoding: String): Layout? = LAYOUTS.firstOrNull { it.encoding == encoding }
}

/** A named tensor the app fills or shows, and the encoding it expects it in. */
data class Role(val name: String, val encoding: String)

/**
 * How one encoding is laid out: its dtype and a shape template such as
 * "1,H,W,3" (see [ContractNames.LAYOUTS]).
 */
data class Layout(val encoding: String, val dtype: String, val shape: String) {
    /** True when [shape] fits the template for an image of [height] x [width]. */
    fun matches(shape: List<Int>, height: Int, width: Int): Boolean {
        val tokens = this.shape.split(",").map { it.trim() }
        if (tokens.size != shape.size) return false
        for (i in tokens.indices) {
            val ok = when (tokens[i]) {
                "H" -> shape[i] == height
                "W" -> shape[i] == width
                "K" -> shape[i] > 0
                else -> shape[i] == tokens[i].toInt()
            }
            if (!ok) return false
        }
        return true
    }

    /** The template with H and W filled in, for error messages: "[1, 64, 48, 3]". */
    fun describe(height: Int, width: Int): String =
        shape.split(",").joinToString(", ", "[", "]") {
            when (val token = it.trim()) {
                "H" -> height.toString()
                "W" -> width.toString()
                else -> token
            }
        }
}
