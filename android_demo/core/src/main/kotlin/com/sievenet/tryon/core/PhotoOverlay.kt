package com.sievenet.tryon.core

/** A limb of the pose skeleton between two present keypoints. */
class Limb(val from: PredictedKeypoint, val to: PredictedKeypoint)

/** A class of the predicted parse, for the overlay's legend. */
class LegendEntry(val id: Int, val name: String, val color: Int, val pixels: Int)

/**
 * What the photo path shows of its predictions: the parse blended over the fitted
 * person photo, and the keypoints and limbs to draw on top (the app draws them with
 * Compose's Canvas at the view's size, from [viewX] / [viewY]).
 */
object PhotoOverlay {
    /** How much of the class colour the parse overlay mixes in. */
    const val DEFAULT_ALPHA = 0.5f

    /** OpenPose's COCO-18 limbs, by keypoint name (OpenPose.COCO18_NAMES). */
    val COCO18_LIMBS: List<Pair<String, String>> = listOf(
        Pair("neck", "r_shoulder"), Pair("r_shoulder", "r_elbow"), Pair("r_elbow", "r_wrist"),
        Pair("neck", "l_shoulder"), Pair("l_shoulder", "l_elbow"), Pair("l_elbow", "l_wrist"),
        Pair("neck", "r_hip"), Pair("r_hip", "r_knee"), Pair("r_knee", "r_ankle"),
        Pair("neck", "l_hip"), Pair("l_hip", "l_knee"), Pair("l_knee", "l_ankle"),
        Pair("neck", "nose"), Pair("nose", "r_eye"), Pair("r_eye", "r_ear"),
        Pair("nose", "l_eye"), Pair("l_eye", "l_ear")
    )

    /** The id of the label set's background class ("background" by name, else 0); it is not tinted. */
    fun backgroundId(labels: LabelSet): Int = labels.names.indexOf("background").let { if (it >= 0) it else 0 }

    /**
     * The [parse] coloured with [labels]' colours and mixed into [photo] (both at the
     * model's size): `round((1 - alpha) * photo + alpha * colour)` per channel;
     * background pixels keep the photo.
     */
    fun blendParse(photo: ArgbImage, parse: LabelMap, labels: LabelSet, alpha: Float = DEFAULT_ALPHA): ArgbImage {
        require(photo.width == parse.width && photo.height == parse.height) {
            "the parse is ${parse.width}x${parse.height}, the photo ${photo.width}x${photo.height}"
        }
        require(alpha in 0f..1f) { "alpha must be in [0, 1], got $alpha" }
        val colors = labels.colors
            ?: throw IllegalArgumentException("label set '${labels.key}' has no colors to draw the parse with")
        val background = backgroundId(labels)
        val out = IntArray(photo.pixels.size)
        for (i in out.indices) {
            val p = photo.pixels[i]
            val id = parse.ids[i]
            out[i] = if (id == background || id < 0 || id >= colors.size) {
                ArgbImage.argb(ArgbImage.red(p), ArgbImage.green(p), ArgbImage.blue(p))
            } else {
                val c = colors[id]
                ArgbImage.argb(
                    mix(ArgbImage.red(p), ArgbImage.red(c), alpha),
                    mix(ArgbImage.green(p), ArgbImage.green(c), alpha),
                    mix(ArgbImage.blue(p), ArgbImage.blue(c), alpha)
                )
            }
        }
        return ArgbImage(photo.width, photo.height, out)
    }

    /** The classes present in [parse] other than the background, most pixels first. */
    fun legend(parse: LabelMap, labels: LabelSet): List<LegendEntry> {
        val colors = labels.colors ?: return emptyList()
        val background = backgroundId(labels)
        val counts = IntArray(Math.max(colors.size, labels.names.size))
        for (id in parse.ids) if (id >= 0 && id < counts.size) counts[id]++
        return counts.indices
            .filter { it != background && counts[it] > 0 && it < colors.size }
            .map { LegendEntry(it, labels.names.getOrElse(it) { "class $it" }.replace('_', ' '), colors[it], counts[it]) }
            .sortedByDescending { it.pixels }
    }

    /** The points to draw: present ones with finite coordinates. */
    fun visiblePoints(keypoints: List<PredictedKeypoint>): List<PredictedKeypoint> =
        keypoints.filter { it.present && isFinite(it.x) && isFinite(it.y) }

    /** The limbs of [COCO18_LIMBS] whose two ends are visible (keypoints found by name). */
    fun limbs(keypoints: List<PredictedKeypoint>): List<Limb> {
        val byName = HashMap<String, PredictedKeypoint>()
        for (point in visiblePoints(keypoints)) point.name?.let { byName[it] = point }
        return COCO18_LIMBS.mapNotNull { (a, b) ->
            val from = byName[a]
            val to = byName[b]
            if (from != null && to != null) Limb(from, to) else null
        }
    }

    /**
     * A keypoint's x as a fraction of a view showing the [width]-pixel-wide model image
     * edge to edge: pixel j covers [j, j + 1) / width, its centre (x = j) is at (j + 0.5) / width.
     */
    fun viewX(x: Float, width: Int): Float = (x + 0.5f) / width

    fun viewY(y: Float, height: Int): Float = (y + 0.5f) / height

    private fun mix(a: Int, b: Int, alpha: Float): Int {
        val v = Math.round((1f - alpha) * a + alpha * b)
        return if (v < 0) 0 else if (v > 255) 255 else v
    }

    private fun isFinite(v: Float): Boolean = !v.isNaN() && !v.isInfinite()
}
