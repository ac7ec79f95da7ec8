package com.sievenet.tryon

import android.content.Context
import android.graphics.Bitmap
import android.graphics.BitmapFactory
import android.net.Uri
import androidx.core.content.FileProvider
import androidx.exifinterface.media.ExifInterface
import com.sievenet.tryon.core.ArgbImage
import com.sievenet.tryon.core.ExifOrientation
import com.sievenet.tryon.core.PhotoDecoding
import java.io.File
import java.io.InputStream
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/**
 * A photo the user picked or took, decoded for the photo path: upright (its EXIF
 * orientation applied) and subsampled to what the fit needs.
 *
 * @property image the pixels :core fits into the model's input (PhotoPath.prepare).
 * @property preview the same pixels, to show.
 */
class PickedPhoto(
    val image: ArgbImage,
    val preview: Bitmap,
    val fileWidth: Int,
    val fileHeight: Int,
    val orientation: Int
) {
    /** e.g. "file 4032 x 3024, rotated 90° clockwise (EXIF); decoded upright at 756 x 1008". */
    fun describe(): String {
        val turned = ExifOrientation.describe(orientation).let { if (it.isEmpty()) "" else ", $it (EXIF)" }
        val (uprightWidth, uprightHeight) = ExifOrientation.uprightSize(fileWidth, fileHeight, orientation)
        val decoded = if (image.width != uprightWidth || image.height != uprightHeight) {
            "; decoded upright at ${image.width} x ${image.height}"
        } else {
            ""
        }
        return "file $fileWidth x $fileHeight$turned$decoded"
    }
}

/** Thrown with a message meant for the user (too small, not an image, unreadable). */
class PhotoException(message: String, cause: Throwable? = null) : Exception(message, cause)

/**
 * Reads photos from content URIs (the Photo Picker's, or the camera's FileProvider
 * file) with `BitmapFactory`, which ignores EXIF orientation: the tag is read with
 * AndroidX ExifInterface and applied in :core ([ExifOrientation]).
 */
class PhotoDecoder(private val context: Context) {
    /**
     * Decodes [uri] for a model of [targetWidth] x [targetHeight]: the size checks
     * and the `inSampleSize` are :core's ([PhotoDecoding]).
     *
     * @param what "person photo" or "garment photo", for the messages.
     * @throws PhotoException with a message to show.
     */
    suspend fun decode(uri: Uri, what: String, targetWidth: Int, targetHeight: Int): PickedPhoto =
        withContext(Dispatchers.IO) {
            try {
                val bounds = BitmapFactory.Options().apply { inJustDecodeBounds = true }
                open(uri, what).use { BitmapFactory.decodeStream(it, null, bounds) }
                PhotoDecoding.sizeProblem(bounds.outWidth, bounds.outHeight, what)?.let { throw PhotoException(it) }
                val orientation = readOrientation(uri, what)
                val options = BitmapFactory.Options().apply {
                    inSampleSize = PhotoDecoding.photoSampleSize(
                        bounds.outWidth, bounds.outHeight, orientation, targetHeight, targetWidth
                    )
                    inPreferredConfig = Bitmap.Config.ARGB_8888
                    inScaled = false
                }
                val bitmap = open(uri, what).use { BitmapFactory.decodeStream(it, null, options) }
                    ?: throw PhotoException("The $what could not be decoded (is it an image?).")
                val stored = bitmap.toArgbImage()
                val upright = ExifOrientation.apply(stored, orientation)
                val preview = if (upright === stored) {
                    bitmap
                } else {
                    bitmap.recycle()
                    upright.toBitmap()
                }
                PickedPhoto(upright, preview, bounds.outWidth, bounds.outHeight, orientation)
            } catch (e: PhotoException) {
                throw e
            } catch (e: SecurityException) {
                throw PhotoException("The app may not read this $what (${e.message}). Pick it again.", e)
            } catch (e: java.io.IOException) {
                throw PhotoException("The $what could not be read: ${e.message}", e)
            } catch (e: OutOfMemoryError) {
                throw PhotoException("The $what is too large to decode on this device.", e)
            }
        }

    /**
     * A content URI for the camera app to write a new person photo into
     * (`ActivityResultContracts.TakePicture`): `cache/camera/person.jpg`, shared
     * through the FileProvider declared in the manifest (res/xml/file_paths.xml).
     * Each photo replaces the previous one, which is decoded into memory already.
     */
    fun newCameraUri(): Uri {
        val dir = File(context.cacheDir, CAMERA_DIR)
        if (!dir.isDirectory && !dir.mkdirs()) throw PhotoException("Cannot create $dir for the camera's photo.")
        val file = File(dir, CAMERA_FILE)
        if (file.exists()) file.delete()
        return FileProvider.getUriForFile(context, "${context.packageName}$AUTHORITY_SUFFIX", file)
    }

    private fun open(uri: Uri, what: String): InputStream =
        context.contentResolver.openInputStream(uri) ?: throw PhotoException("The $what could not be opened.")

    /** The EXIF orientation, [ExifOrientation.UNDEFINED] when the file has none or it cannot be read. */
    private fun readOrientation(uri: Uri, what: String): Int = try {
        open(uri, what).use {
            ExifInterface(it).getAttributeInt(ExifInterface.TAG_ORIENTATION, ExifInterface.ORIENTATION_UNDEFINED)
        }
    } catch (e: java.io.IOException) {
        ExifOrientation.UNDEFINED
    }

    companion object {
        const val CAMERA_DIR = "camera"
        const val CAMERA_FILE = "person.jpg"

        /** Must match android:authorities in AndroidManifest.xml. */
        const val AUTHORITY_SUFFIX = ".fileprovider"
    }
}
