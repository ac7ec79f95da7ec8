package com.sievenet.tryon

import android.content.res.AssetManager
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import com.sievenet.tryon.core.ArgbImage
import com.sievenet.tryon.core.PhotoDecoding

/**
 * Bitmap <-> the core's plain arrays. Everything model-related (resizing,
 * normalization, packing) happens in :core on these arrays, where it is unit-tested.
 */

/** The bitmap's pixels as ARGB ints (`getPixels`), converted to ARGB_8888 first if needed. */
fun Bitmap.toArgbImage(): ArgbImage {
    val source = if (config == Bitmap.Config.ARGB_8888) this else copy(Bitmap.Config.ARGB_8888, false)
    val pixels = IntArray(source.width * source.height)
    source.getPixels(pixels, 0, source.width, 0, 0, source.width, source.height)
    if (source !== this) source.recycle()
    return ArgbImage(source.width, source.height, pixels)
}

fun ArgbImage.toBitmap(): Bitmap = Bitmap.createBitmap(pixels, width, height, Bitmap.Config.ARGB_8888)

/** A decoded photo and the size of the file it came from (keypoints refer to that size). */
class DecodedPhoto(val bitmap: Bitmap, val fileWidth: Int, val fileHeight: Int)

/**
 * Decodes an asset image for a model of [targetWidth] x [targetHeight].
 *
 * A large photo is subsampled by the largest power of two that keeps it at
 * least as large as the target, so the bilinear resize in :core shrinks by
 * less than 2x (bilinear does not low-pass filter; see Resize in :core).
 * Palette PNGs come out as colours here, which is why parses ship as .npy.
 */
fun AssetManager.decodePhoto(path: String, targetWidth: Int, targetHeight: Int): DecodedPhoto {
    val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
    open(path).use { BitmapFactory.decodeStream(it, null, bounds) }
    require(bounds.outWidth > 0 && bounds.outHeight > 0) { "$path is not an image Android can decode" }
    val options = BitmapFactory.Options().apply {
        inSampleSize = PhotoDecoding.sampleSize(bounds.outWidth, bounds.outHeight, targetWidth, targetHeight)
        inPreferredConfig = Bitmap.Config.ARGB_8888
        inScaled = false
    }
    val bitmap = open(path).use { BitmapFactory.decodeStream(it, null, options) }
        ?: throw IllegalArgumentException("$path could not be decoded")
    return DecodedPhoto(bitmap, bounds.outWidth, bounds.outHeight)
}
