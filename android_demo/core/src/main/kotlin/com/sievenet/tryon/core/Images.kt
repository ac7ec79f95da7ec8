package com.sievenet.tryon.core

/**
 * An image as Android's `Bitmap.getPixels` returns it: one ARGB int per pixel
 * (0xAARRGGBB), row by row from the top-left. Plain Kotlin, so the packing code
 * runs and is tested on a JVM without Android.
 */
class ArgbImage(val width: Int, val height: Int, val pixels: IntArray) {
    init {
        require(width > 0 && height > 0) { "image size must be positive, got ${width}x$height" }
        require(pixels.size == width * height) {
            "an image of ${width}x$height needs ${width * height} pixels, got ${pixels.size}"
        }
    }

    operator fun get(x: Int, y: Int): Int = pixels[y * width + x]

    companion object {
        /** 0xFF alpha plus the three channels, each 0..255. */
        fun argb(red: Int, green: Int, blue: Int): Int =
            (0xFF shl 24) or (red shl 16) or (green shl 8) or blue

        fun red(argb: Int): Int = (argb shr 16) and 0xFF
        fun green(argb: Int): Int = (argb shr 8) and 0xFF
        fun blue(argb: Int): Int = argb and 0xFF
    }
}

/** A label map: one class id per pixel, row by row (e.g. a parse in LIP ids). */
class LabelMap(val width: Int, val height: Int, val ids: IntArray) {
    init {
        require(width > 0 && height > 0) { "label map size must be positive, got ${width}x$height" }
        require(ids.size == width * height) {
            "a label map of ${width}x$height needs ${width * height} ids, got ${ids.size}"
        }
    }

    operator fun get(x: Int, y: Int): Int = ids[y * width + x]
}

/**
 * How a source image maps into the model's frame: scaled by one factor to
 * [resizedHeight] x [resizedWidth] (aspect ratio kept), then centred and padded
 * to the target size. This is `sievenet_tf.data.io.fit_resize`, the transform
 * the training data went through, so the app feeds the model what it was
 * trained on (Python's round() is half-to-even, hence Math.rint).
 */
data class Fit(
    val sourceHeight: Int,
    val sourceWidth: Int,
    val targetHeight: Int,
    val targetWidth: Int,
    val resizedHeight: Int,
    val resizedWidth: Int,
    val padTop: Int,
    val padLeft: Int
) {
    /** Where a source pixel coordinate lands (half-pixel exact, as `scale_keypoints`). */
    fun mapX(x: Float): Float = ((x + 0.5) * resizedWidth / sourceWidth - 0.5 + padLeft).toFloat()

    fun mapY(y: Float): Float = ((y + 0.5) * resizedHeight / sourceHeight - 0.5 + padTop).toFloat()

    companion object {
        fun of(sourceHeight: Int, sourceWidth: Int, targetHeight: Int, targetWidth: Int): Fit {
            require(sourceHeight > 0 && sourceWidth > 0 && targetHeight > 0 && targetWidth > 0) {
                "sizes must be positive, got source ${sourceHeight}x$sourceWidth and target ${targetHeight}x$targetWidth"
            }
            val scale = Math.min(targetHeight.toDouble() / sourceHeight, targetWidth.toDouble() / sourceWidth)
            val height = Math.min(targetHeight, Math.max(1, Math.rint(sourceHeight * scale).toInt()))
            val width = Math.min(targetWidth, Math.max(1, Math.rint(sourceWidth * scale).toInt()))
            return Fit(
                sourceHeight, sourceWidth, targetHeight, targetWidth, height, width,
                (targetHeight - height) / 2, (targetWidth - width) / 2
            )
        }
    }
}

/** Resampling filters; both follow OpenCV's `cv2.resize` conventions (see [Resize]). */
enum class ResizeMethod { NEAREST, BILINEAR }

/**
 * Resizing of row-major, channels-last arrays; [fitBilinear] and [fitNearest]
 * add the aspect-preserving fit of [Fit].
 *
 * Conventions are OpenCV's `cv2.resize`. The Python readers use Pillow, which
 * agrees within one level (8-bit rounding) when enlarging and low-passes when
 * shrinking; [PilResize] is Pillow's filter, bit-exact, used by the photo path:
 * - bilinear (`cv2.INTER_LINEAR`): pixel centres at half-integers,
 *   `src = (dst + 0.5) * (srcSize / dstSize) - 0.5`, clamped to the edge;
 * - nearest (`cv2.INTER_NEAREST`): `src = floor(dst * srcSize / dstSize)`.
 * Bilinear does not low-pass filter: shrink by at most ~2x (decode large photos
 * with Android's inSampleSize first), as with cv2.INTER_LINEAR.
 */
object Resize {
    fun bilinear(src: FloatArray, srcHeight: Int, srcWidth: Int, channels: Int, dstHeight: Int, dstWidth: Int): FloatArray {
        checkSizes(src.size, srcHeight, srcWidth, channels, dstHeight, dstWidth)
        if (srcHeight == dstHeight && srcWidth == dstWidth) return src.copyOf()
        val xs = axis(srcWidth, dstWidth)
        val ys = axis(srcHeight, dstHeight)
        val dst = FloatArray(dstHeight * dstWidth * channels)
        for (dy in 0 until dstHeight) {
            val y0 = ys.low[dy]
            val y1 = ys.high[dy]
            val fy = ys.frac[dy]
            for (dx in 0 until dstWidth) {
                val x0 = xs.low[dx]
                val x1 = xs.high[dx]
                val fx = xs.frac[dx]
                val o = (dy * dstWidth + dx) * channels
                val a = (y0 * srcWidth + x0) * channels
                val b = (y0 * srcWidth + x1) * channels
                val c = (y1 * srcWidth + x0) * channels
                val d = (y1 * srcWidth + x1) * channels
                for (k in 0 until channels) {
                    val top = src[a + k] + (src[b + k] - src[a + k]) * fx
                    val bottom = src[c + k] + (src[d + k] - src[c + k]) * fx
                    dst[o + k] = top + (bottom - top) * fy
                }
            }
        }
        return dst
    }

    fun nearest(src: IntArray, srcHeight: Int, srcWidth: Int, dstHeight: Int, dstWidth: Int): IntArray {
        checkSizes(src.size, srcHeight, srcWidth, 1, dstHeight, dstWidth)
        if (srcHeight == dstHeight && srcWidth == dstWidth) return src.copyOf()
        val dst = IntArray(dstHeight * dstWidth)
        for (dy in 0 until dstHeight) {
            val sy = Math.min((dy.toLong() * srcHeight / dstHeight).toInt(), srcHeight - 1)
            for (dx in 0 until dstWidth) {
                val sx = Math.min((dx.toLong() * srcWidth / dstWidth).toInt(), srcWidth - 1)
                dst[dy * dstWidth + dx] = src[sy * srcWidth + sx]
            }
        }
        return dst
    }

    /** Bilinear resize to [fit]'s resized size, then padding with [fill] to its target size. */
    fun fitBilinear(src: FloatArray, fit: Fit, channels: Int, fill: Float): FloatArray {
        val resized = bilinear(src, fit.sourceHeight, fit.sourceWidth, channels, fit.resizedHeight, fit.resizedWidth)
        return pad(resized, fit, channels, fill)
    }

    /** Nearest-neighbour resize to [fit]'s resized size, then padding with [fill]. */
    fun fitNearest(src: IntArray, fit: Fit, fill: Int): IntArray {
        val resized = nearest(src, fit.sourceHeight, fit.sourceWidth, fit.resizedHeight, fit.resizedWidth)
        if (fit.resizedHeight == fit.targetHeight && fit.resizedWidth == fit.targetWidth) return resized
        val out = IntArray(fit.targetHeight * fit.targetWidth) { fill }
        for (y in 0 until fit.resizedHeight) {
            System.arraycopy(resized, y * fit.resizedWidth, out, (y + fit.padTop) * fit.targetWidth + fit.padLeft, fit.resizedWidth)
        }
        return out
    }

    private fun pad(resized: FloatArray, fit: Fit, channels: Int, fill: Float): FloatArray {
        if (fit.resizedHeight == fit.targetHeight && fit.resizedWidth == fit.targetWidth) return resized
        val out = FloatArray(fit.targetHeight * fit.targetWidth * channels) { fill }
        val row = fit.resizedWidth * channels
        for (y in 0 until fit.resizedHeight) {
            System.arraycopy(resized, y * row, out, ((y + fit.padTop) * fit.targetWidth + fit.padLeft) * channels, row)
        }
        return out
    }

    private class Axis(val low: IntArray, val high: IntArray, val frac: FloatArray)

    private fun axis(srcSize: Int, dstSize: Int): Axis {
        val low = IntArray(dstSize)
        val high = IntArray(dstSize)
        val frac = FloatArray(dstSize)
        val scale = srcSize.toDouble() / dstSize
        for (d in 0 until dstSize) {
            val s = (d + 0.5) * scale - 0.5
            var i = Math.floor(s).toInt()
            var f = s - i
            if (i < 0) {
                i = 0
                f = 0.0
            }
            if (i >= srcSize - 1) {
                i = srcSize - 1
                f = 0.0
            }
            low[d] = i
            high[d] = Math.min(i + 1, srcSize - 1)
            frac[d] = f.toFloat()
        }
        return Axis(low, high, frac)
    }

    private fun checkSizes(size: Int, srcHeight: Int, srcWidth: Int, channels: Int, dstHeight: Int, dstWidth: Int) {
        require(srcHeight > 0 && srcWidth > 0 && dstHeight > 0 && dstWidth > 0 && channels > 0) {
            "resize sizes must be positive: ${srcHeight}x$srcWidth -> ${dstHeight}x$dstWidth, $channels channels"
        }
        require(size == srcHeight * srcWidth * channels) {
            "resize: ${srcHeight}x${srcWidth}x$channels needs ${srcHeight * srcWidth * channels} values, got $size"
        }
    }
}
