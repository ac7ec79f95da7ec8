package com.sievenet.tryon.core

/**
 * Pose keypoints of one person, in pixels of the image they were detected on.
 *
 * @property names the keypoint names in [points] order (e.g. [OpenPose.COCO18_NAMES]),
 *   or null when the order is unknown and must match the model's.
 * @property points (x, y, confidence) per keypoint; a keypoint that was not
 *   detected has confidence 0 (OpenPose writes 0, 0, 0).
 * @property imageWidth width of the image the coordinates refer to.
 * @property imageHeight height of that image.
 */
class KeypointSet(val names: List<String>?, val points: FloatArray, val imageWidth: Int, val imageHeight: Int) {
    init {
        require(points.size % 3 == 0) { "keypoints hold (x, y, confidence) triples, got ${points.size} values" }
        require(imageWidth > 0 && imageHeight > 0) { "keypoint image size must be positive, got ${imageWidth}x$imageHeight" }
        require(names == null || names.size == points.size / 3) {
            "${names?.size} keypoint names for ${points.size / 3} keypoints"
        }
    }

    val count: Int get() = points.size / 3
}

/** Reading OpenPose JSON (`{"people": [{"pose_keypoints_2d": [x, y, c, ...]}]}`). */
object OpenPose {
    /** OpenPose COCO-18 order: the model's (data/synthetic.py KEYPOINT_NAMES). */
    val COCO18_NAMES: List<String> = listOf(
        "nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow",
        "l_wrist", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle",
        "r_eye", "l_eye", "r_ear", "l_ear"
    )

    /** OpenPose BODY_25 order (VITON-HD's poses); reordered to the model's by name. */
    val BODY25_NAMES: List<String> = listOf(
        "nose", "neck", "r_shoulder", "r_elbow", "r_wrist", "l_shoulder", "l_elbow",
        "l_wrist", "mid_hip", "r_hip", "r_knee", "r_ankle", "l_hip", "l_knee", "l_ankle",
        "r_eye", "l_eye", "r_ear", "l_ear", "l_big_toe", "l_small_toe", "l_heel",
        "r_big_toe", "r_small_toe", "r_heel"
    )

    /**
     * Parses the first person of an OpenPose JSON file.
     *
     * Reads `pose_keypoints_2d` (OpenPose >= 1.2) or `pose_keypoints` (older, CP-VTON's
     * VITON files). 18 points are taken as COCO-18, 25 as BODY_25; other counts keep
     * no names.
     *
     * @param imageWidth width of the photo the keypoints were detected on.
     * @param imageHeight its height.
     */
    fun parse(text: String, imageWidth: Int, imageHeight: Int, source: String = "keypoints.json"): KeypointSet {
        val root = Json.parseObject(text, source)
        val people = root.array("people")
        if (people.size == 0) throw JsonException("$source: no person in \"people\" (OpenPose found nobody)")
        val person = people.obj(0)
        val values = (person.arrayOrNull("pose_keypoints_2d") ?: person.arrayOrNull("pose_keypoints")
            ?: throw JsonException("${person.path}: missing \"pose_keypoints_2d\" (or \"pose_keypoints\")")).doubles()
        if (values.size % 3 != 0) throw JsonException("$source: ${values.size} keypoint values is not a multiple of 3")
        val points = FloatArray(values.size) { values[it].toFloat() }
        val names = when (points.size / 3) {
            COCO18_NAMES.size -> COCO18_NAMES
            BODY25_NAMES.size -> BODY25_NAMES
            else -> null
        }
        return KeypointSet(names, points, imageWidth, imageHeight)
    }
}
