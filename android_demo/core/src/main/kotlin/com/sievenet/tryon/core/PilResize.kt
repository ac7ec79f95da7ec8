package com.sievenet.tryon.core

/**
 * Pillow's bilinear resize of 8-bit RGB images, bit-exact, and the photo readers'
 * fit built on it (`sievenet_tf.data.io.fit_image`): what the Python side does to a
 * photo of any size before the model sees it.
 *
 * Unlike [Resize.bilinear] (OpenCV's convention, no low-pass filter), Pillow's
 * filter widens with the shrink factor, so a large photo is averaged, not
 * point-sampled. The algorithm is Pillow's `ImagingResample` (libImaging/Resample.c)
 * with the bilinear filter on 8-bit data:
 * - per output pixel, the filter's centre is `(i + 0.5) * scale` and its support
 *   `max(scale, 1)`; weights `1 - |x|` over the covered input pixels, normalised
 *   to sum 1, then turned into 22-bit fixed point;
 * - one pass per axis that changes size, each rounded to 8 bits;
 * - pass order: horizontal first, except when the height shrinks, by more than
 *   twice what the width loses (`inHeight - outHeight > 2 * (inWidth - outWidth)`;
 *   a widening counts as a negative loss), then vertical first (Pillow 13; found by comparing with Pillow 13.0.0 on random
 *   sizes, see PilResizeTest). Pillow 12 and older always go horizontal first;
 *   [verticalFirstWhenTaller] = false reproduces them. The order changes some
 *   pixels by one level.
 *
 * Alpha is not resampled: photos are flattened onto white first ([flattenOnWhite]),
 * as `io.read_image` does.
 */
object PilResize {
    private const val PRECISION_BITS = 22

    /**
     * [image] resized to [outWidth] x [outHeight] exactly as
     * `PIL.Image.resize((outWidth, outHeight), Image.BILINEAR)` on its RGB pixels.
     * The result is opaque; a same-size call returns a copy.
     */
    fun bilinear(image: ArgbImage, outWidth: Int, outHeight: Int, verticalFirstWhenTaller: Boolean = true): ArgbImage {
        require(outWidth > 0 && outHeight > 0) { "resize to a positive size, got ${outWidth}x$outHeight" }
        val inWidth = image.width
        val inHeight = image.height
        var rgb = toRgb(image)
        val horizontal = outWidth != inWidth
        val vertical = outHeight != inHeight
        val verticalFirst = verticalFirstWhenTaller && outHeight < inHeight && inHeight - outHeight > 2 * (inWidth - outWidth)
        if (verticalFirst) {
            rgb = resampleVertical(rgb, inWidth, inHeight, outHeight)
            if (horizontal) rgb = resampleHorizontal(rgb, inWidth, outHeight, outWidth)
        } else {
            if (horizontal) rgb = resampleHorizontal(rgb, inWidth, inHeight, outWidth)
            if (vertical) rgb = resampleVertical(rgb, outWidth, inHeight, outHeight)
        }
        return fromRgb(rgb, outWidth, outHeight)
    }

    /**
     * `io.fit_image`: the photo scaled by one factor to fit inside [targetWidth] x
     * [targetHeight] ([Fit], the same geometry as the try-on inputs and the keypoints),
     * resized with [bilinear], centred and padded with white. A photo of the target
     * size comes back unchanged (as a copy); one that only needs padding is not resampled.
     */
    fun fitImage(image: ArgbImage, targetHeight: Int, targetWidth: Int, verticalFirstWhenTaller: Boolean = true): ArgbImage {
        val fit = Fit.of(image.height, image.width, targetHeight, targetWidth)
        val resized = if (fit.resizedHeight == image.height && fit.resizedWidth == image.width) {
            ArgbImage(image.width, image.height, image.pixels.copyOf())
        } else {
            bilinear(image, fit.resizedWidth, fit.resizedHeight, verticalFirstWhenTaller)
        }
        if (fit.resizedHeight == targetHeight && fit.resizedWidth == targetWidth) return resized
        val white = ArgbImage.argb(255, 255, 255)
        val out = IntArray(targetHeight * targetWidth) { white }
        for (y in 0 until fit.resizedHeight) {
            System.arraycopy(
                resized.pixels, y * fit.resizedWidth, out, (y + fit.padTop) * targetWidth + fit.padLeft, fit.resizedWidth
            )
        }
        return ArgbImage(targetWidth, targetHeight, out)
    }

    /**
     * Transparent pixels composited onto white, bit-exact with Pillow's
     * `Image.alpha_composite(white, rgba)` (what `io.to_rgb` does to photos with
     * transparency). Opaque images come back unchanged (the same instance).
     */
    fun flattenOnWhite(image: ArgbImage): ArgbImage {
        if (image.pixels.all { (it ushr 24) == 0xFF }) return image
        val out = IntArray(image.pixels.size)
        for (i in out.indices) {
            val p = image.pixels[i]
            val alpha = p ushr 24
            out[i] = if (alpha == 0xFF) {
                p
            } else {
                ArgbImage.argb(
                    overWhite(ArgbImage.red(p), alpha),
                    overWhite(ArgbImage.green(p), alpha),
                    overWhite(ArgbImage.blue(p), alpha)
                )
            }
        }
        return ArgbImage(image.width, image.height, out)
    }

    /** libImaging/AlphaComposite.c with an opaque white destination (7-bit fixed point). */
    private fun overWhite(value: Int, alpha: Int): Int {
        if (alpha == 0) return 255
        val tmp = 128 * (value * alpha + 255 * (255 - alpha)) + (0x80 shl 7)
        return ((((tmp shr 8) + tmp) shr 8) shr 7)
    }

    /** Interleaved r, g, b ints, row by row. */
    private fun toRgb(image: ArgbImage): IntArray {
        val rgb = IntArray(image.pixels.size * 3)
        for (i in image.pixels.indices) {
            val p = image.pixels[i]
            rgb[3 * i] = ArgbImage.red(p)
            rgb[3 * i + 1] = ArgbImage.green(p)
            rgb[3 * i + 2] = ArgbImage.blue(p)
        }
        return rgb
    }

    private fun fromRgb(rgb: IntArray, width: Int, height: Int): ArgbImage {
        val pixels = IntArray(width * height)
        for (i in pixels.indices) pixels[i] = ArgbImage.argb(rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2])
        return ArgbImage(width, height, pixels)
    }

    /** The filter taps of one axis: for output i, [count] inputs from [first], 22-bit weights. */
    private class Taps(val first: IntArray, val count: IntArray, val weights: Array<IntArray>)

    /** libImaging/Resample.c `precompute_coeffs` + `normalize_coeffs_8bpc`, bilinear filter. */
    private fun taps(inSize: Int, outSize: Int): Taps {
        val scale = inSize.toDouble() / outSize
        val filterScale = if (scale < 1.0) 1.0 else scale
        val support = 1.0 * filterScale
        val inverse = 1.0 / filterScale
        val first = IntArray(outSize)
        val count = IntArray(outSize)
        val weights = Array(outSize) { IntArray(0) }
        for (i in 0 until outSize) {
            val center = (i + 0.5) * scale
            // C casts truncate toward zero; Kotlin's toInt() does the same.
            var xmin = (center - support + 0.5).toInt()
            if (xmin < 0) xmin = 0
            var xmax = (center + support + 0.5).toInt()
            if (xmax > inSize) xmax = inSize
            xmax -= xmin
            val w = DoubleArray(xmax)
            var sum = 0.0
            for (x in 0 until xmax) {
                var t = (x + xmin - center + 0.5) * inverse
                if (t < 0.0) t = -t
                w[x] = if (t < 1.0) 1.0 - t else 0.0
                sum += w[x]
            }
            val fixed = IntArray(xmax)
            for (x in 0 until xmax) {
                val k = if (sum != 0.0) w[x] / sum else w[x]
                fixed[x] = if (k < 0) (-0.5 + k * (1 shl PRECISION_BITS)).toInt() else (0.5 + k * (1 shl PRECISION_BITS)).toInt()
            }
            first[i] = xmin
            count[i] = xmax
            weights[i] = fixed
        }
        return Taps(first, count, weights)
    }

    private fun clip8(sum: Int): Int {
        val v = sum shr PRECISION_BITS
        return if (v < 0) 0 else if (v > 255) 255 else v
    }

    private fun resampleHorizontal(rgb: IntArray, inWidth: Int, height: Int, outWidth: Int): IntArray {
        val taps = taps(inWidth, outWidth)
        val out = IntArray(outWidth * height * 3)
        val half = 1 shl (PRECISION_BITS - 1)
        for (y in 0 until height) {
            val row = y * inWidth
            for (i in 0 until outWidth) {
                val k = taps.weights[i]
                val first = taps.first[i]
                var r = half
                var g = half
                var b = half
                for (x in 0 until taps.count[i]) {
                    val s = (row + first + x) * 3
                    r += rgb[s] * k[x]
                    g += rgb[s + 1] * k[x]
                    b += rgb[s + 2] * k[x]
                }
                val o = (y * outWidth + i) * 3
                out[o] = clip8(r)
                out[o + 1] = clip8(g)
                out[o + 2] = clip8(b)
            }
        }
        return out
    }

    private fun resampleVertical(rgb: IntArray, width: Int, inHeight: Int, outHeight: Int): IntArray {
        val taps = taps(inHeight, outHeight)
        val out = IntArray(width * outHeight * 3)
        val half = 1 shl (PRECISION_BITS - 1)
        for (i in 0 until outHeight) {
            val k = taps.weights[i]
            val first = taps.first[i]
            for (x in 0 until width) {
                var r = half
                var g = half
                var b = half
                for (y in 0 until taps.count[i]) {
                    val s = ((first + y) * width + x) * 3
                    r += rgb[s] * k[y]
                    g += rgb[s + 1] * k[y]
                    b += rgb[s + 2] * k[y]
                }
                val o = (i * width + x) * 3
                out[o] = clip8(r)
                out[o + 1] = clip8(g)
                out[o + 2] = clip8(b)
            }
        }
        return out
    }
}
