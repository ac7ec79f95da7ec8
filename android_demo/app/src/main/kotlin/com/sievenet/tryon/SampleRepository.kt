package com.sievenet.tryon

import android.content.Context
import android.graphics.Bitmap
import com.sievenet.tryon.core.GarmentInput
import com.sievenet.tryon.core.Npy
import com.sievenet.tryon.core.OpenPose
import com.sievenet.tryon.core.PersonInput
import com.sievenet.tryon.core.SampleEntry
import com.sievenet.tryon.core.SampleIndex
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext

/** A bundled person: the photo to show and the inputs the model reads. */
class PersonSample(val entry: SampleEntry, val photo: Bitmap, val input: PersonInput)

/** A bundled garment. */
class GarmentSample(val entry: SampleEntry, val photo: Bitmap, val input: GarmentInput)

class Samples(val index: SampleIndex, val persons: List<PersonSample>, val garments: List<GarmentSample>)

/**
 * Loads `assets/samples/` (written by android_demo/tools/make_samples.py): the
 * index, then each person (photo, parse.npy, keypoints.json) and garment
 * (photo, mask). Photos are decoded for a model of [targetWidth] x [targetHeight];
 * :core resizes them to the contract's size when packing.
 */
class SampleRepository(private val context: Context) {
    suspend fun load(targetWidth: Int, targetHeight: Int): Samples = withContext(Dispatchers.IO) {
        val assets = context.assets
        val index = SampleIndex.parse(assets.open("$ROOT/${SampleIndex.FILE}").bufferedReader().use { it.readText() })
        val persons = index.persons.map { entry ->
            val dir = "$ROOT/${entry.dir}"
            val photo = assets.decodePhoto("$dir/${SampleIndex.PERSON_PHOTO}", targetWidth, targetHeight)
            val parse = Npy.readLabelMap(
                assets.open("$dir/${SampleIndex.PARSE_IDS}").use { it.readBytes() },
                "$dir/${SampleIndex.PARSE_IDS}"
            )
            val keypoints = OpenPose.parse(
                assets.open("$dir/${SampleIndex.KEYPOINTS}").bufferedReader().use { it.readText() },
                // Keypoints are pixels of the photo file, whatever size it was decoded at.
                photo.fileWidth,
                photo.fileHeight,
                "$dir/${SampleIndex.KEYPOINTS}"
            )
            PersonSample(entry, photo.bitmap, PersonInput(photo.bitmap.toArgbImage(), parse, keypoints))
        }
        val garments = index.garments.map { entry ->
            val dir = "$ROOT/${entry.dir}"
            val photo = assets.decodePhoto("$dir/${SampleIndex.CLOTH_PHOTO}", targetWidth, targetHeight)
            val mask = assets.decodePhoto("$dir/${SampleIndex.CLOTH_MASK}", targetWidth, targetHeight)
            GarmentSample(entry, photo.bitmap, GarmentInput(photo.bitmap.toArgbImage(), mask.bitmap.toArgbImage()))
        }
        Samples(index, persons, garments)
    }

    companion object {
        const val ROOT = "samples"
    }
}
