package com.sievenet.tryon.core

/**
 * The EXIF orientation tag (TIFF tag 0x0112): how a camera's stored pixels must be
 * turned to be seen upright. Phone cameras store the sensor's rows and set this
 * tag instead of rotating the pixels; galleries apply it, Android's
 * `BitmapFactory` does not.
 *
 * Decision for the photo path: the app applies the tag ([apply]) before fitting
 * the photo into the model's input, so the model sees the person upright, the way
 * the user sees the photo. The Python readers (`io.read_image`, `TryOn.prepare`) do
 * not apply it: the datasets' photos carry no orientation. For photos without the
 * tag (or with value 1) both sides see the same pixels.
 */
object ExifOrientation {
    const val UNDEFINED = 0
    const val NORMAL = 1
    const val FLIP_HORIZONTAL = 2
    const val ROTATE_180 = 3
    const val FLIP_VERTICAL = 4
    const val TRANSPOSE = 5
    const val ROTATE_90 = 6
    const val TRANSVERSE = 7
    const val ROTATE_270 = 8

    /** True when the upright image is the stored one with width and height exchanged (values 5-8). */
    fun swapsAxes(orientation: Int): Boolean = orientation in TRANSPOSE..ROTATE_270

    /** (width, height) of the upright image for a stored [width] x [height]. */
    fun uprightSize(width: Int, height: Int, orientation: Int): Pair<Int, Int> =
        if (swapsAxes(orientation)) Pair(height, width) else Pair(width, height)

    /**
     * The upright image (what `PIL.ImageOps.exif_transpose` returns). Values outside
     * 1..8 (0 = undefined, or a corrupt tag) leave the image as stored; 1 returns [image].
     */
    fun apply(image: ArgbImage, orientation: Int): ArgbImage {
        if (orientation !in FLIP_HORIZONTAL..ROTATE_270) return image
        val w = image.width
        val h = image.height
        val (outWidth, outHeight) = uprightSize(w, h, orientation)
        val out = IntArray(w * h)
        for (y in 0 until outHeight) {
            for (x in 0 until outWidth) {
                // (sx, sy): the stored pixel shown at upright (x, y).
                val sx: Int
                val sy: Int
                when (orientation) {
                    FLIP_HORIZONTAL -> { sx = w - 1 - x; sy = y }
                    ROTATE_180 -> { sx = w - 1 - x; sy = h - 1 - y }
                    FLIP_VERTICAL -> { sx = x; sy = h - 1 - y }
                    TRANSPOSE -> { sx = y; sy = x }
                    ROTATE_90 -> { sx = y; sy = h - 1 - x }
                    TRANSVERSE -> { sx = w - 1 - y; sy = h - 1 - x }
                    else -> { sx = w - 1 - y; sy = x } // ROTATE_270
                }
                out[y * outWidth + x] = image.pixels[sy * w + sx]
            }
        }
        return ArgbImage(outWidth, outHeight, out)
    }

    /** For the user: "", "rotated 90° clockwise", "mirrored", ... */
    fun describe(orientation: Int): String = when (orientation) {
        FLIP_HORIZONTAL -> "mirrored left-right"
        ROTATE_180 -> "rotated 180°"
        FLIP_VERTICAL -> "mirrored top-bottom"
        TRANSPOSE -> "transposed"
        ROTATE_90 -> "rotated 90° clockwise"
        TRANSVERSE -> "transversed"
        ROTATE_270 -> "rotated 90° counter-clockwise"
        else -> ""
    }
}

/**
 * Sizes for decoding a photo from the gallery or the camera: what to refuse, and
 * the power-of-two subsampling (`BitmapFactory.Options.inSampleSize`) that keeps
 * enough pixels for the fit.
 */
object PhotoDecoding {
    /** A side below this is refused, as `io.MIN_IMAGE_SIDE` does. */
    const val MIN_SIDE = 8

    /**
     * The photo path decodes at least this many times the size the fit scales the photo
     * to. Pillow's filter averages over the whole photo; a decoder's power-of-two
     * subsampling first, with this much margin left, changes little (Pillow's own
     * `reducing_gap` documentation: from 3.0 on the result is "indistinguishable from
     * fair resampling in most cases").
     */
    const val REDUCING_GAP = 3.0

    /**
     * The message to show for a photo of [width] x [height] that cannot be used, or null.
     * Large photos are not refused (unlike `io.MAX_IMAGE_PIXELS` in Python): the app
     * decodes them subsampled ([photoSampleSize]), so they cost little memory.
     */
    fun sizeProblem(width: Int, height: Int, what: String): String? = when {
        width <= 0 || height <= 0 -> "The $what is not an image Android can decode."
        Math.min(width, height) < MIN_SIDE ->
            "The $what is ${width}x$height pixels: a side below $MIN_SIDE pixels is too small to use."
        else -> null
    }

    /**
     * The largest power of two that, as `inSampleSize`, keeps a [fileWidth] x
     * [fileHeight] image at least [minWidth] x [minHeight] (1 when it is smaller already).
     */
    fun sampleSize(fileWidth: Int, fileHeight: Int, minWidth: Int, minHeight: Int): Int {
        require(fileWidth > 0 && fileHeight > 0) { "image size must be positive, got ${fileWidth}x$fileHeight" }
        var size = 1
        while (size < (1 shl 20) && fileWidth / (size * 2) >= minWidth && fileHeight / (size * 2) >= minHeight) size *= 2
        return size
    }

    /**
     * `inSampleSize` for a stored [fileWidth] x [fileHeight] photo with EXIF
     * [orientation] that will be fitted into [targetHeight] x [targetWidth] (upright):
     * the decoded photo keeps at least [gap] times the size the fit scales it to.
     */
    fun photoSampleSize(
        fileWidth: Int,
        fileHeight: Int,
        orientation: Int,
        targetHeight: Int,
        targetWidth: Int,
        gap: Double = REDUCING_GAP
    ): Int {
        val (uprightWidth, uprightHeight) = ExifOrientation.uprightSize(fileWidth, fileHeight, orientation)
        val fit = Fit.of(uprightHeight, uprightWidth, targetHeight, targetWidth)
        val minWidth = Math.ceil(gap * fit.resizedWidth).toInt()
        val minHeight = Math.ceil(gap * fit.resizedHeight).toInt()
        return if (ExifOrientation.swapsAxes(orientation)) {
            sampleSize(fileWidth, fileHeight, minHeight, minWidth)
        } else {
            sampleSize(fileWidth, fileHeight, minWidth, minHeight)
        }
    }
}
