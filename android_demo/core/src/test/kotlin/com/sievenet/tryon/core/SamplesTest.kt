package com.sievenet.tryon.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Assume.assumeTrue
import org.junit.Test
import java.io.File
import javax.imageio.ImageIO

/**
 * The samples bundled in the app's assets, read the way the app reads them
 * (javax.imageio stands in for Android's BitmapFactory, test-only) and packed
 * for the tiny contract: everything the app does before the interpreter.
 */
class SamplesTest {
    private val dir = TestSupport.samplesDir()
    private val contract = TestSupport.fixture()

    private fun index(): SampleIndex {
        val file = File(dir, SampleIndex.FILE)
        assumeTrue("no samples at ${dir.absolutePath} (android_demo/tools/make_samples.py writes them)", file.isFile)
        return SampleIndex.parse(file.readText())
    }

    private fun readArgb(file: File): ArgbImage {
        val image = ImageIO.read(file) ?: throw IllegalStateException("cannot decode $file")
        val pixels = image.getRGB(0, 0, image.width, image.height, null, 0, image.width)
        return ArgbImage(image.width, image.height, pixels)
    }

    @Test
    fun indexListsPersonsAndGarmentsThatExist() {
        val index = index()
        assertTrue(index.persons.isNotEmpty())
        assertTrue(index.garments.isNotEmpty())
        for (entry in index.persons) {
            for (name in listOf(SampleIndex.PERSON_PHOTO, SampleIndex.PARSE_IDS, SampleIndex.PARSE_PREVIEW, SampleIndex.KEYPOINTS)) {
                assertTrue("${entry.dir}/$name", File(dir, "${entry.dir}/$name").isFile)
            }
        }
        for (entry in index.garments) {
            for (name in listOf(SampleIndex.CLOTH_PHOTO, SampleIndex.CLOTH_MASK)) {
                assertTrue("${entry.dir}/$name", File(dir, "${entry.dir}/$name").isFile)
            }
        }
        assertEquals(emptyList<String>(), index.problemsWith(contract))
    }

    @Test
    fun everyPersonAndGarmentPacksForTheContract() {
        val index = index()
        for ((i, entry) in index.persons.withIndex()) {
            val photo = readArgb(File(dir, "${entry.dir}/${SampleIndex.PERSON_PHOTO}"))
            val parse = Npy.readLabelMap(File(dir, "${entry.dir}/${SampleIndex.PARSE_IDS}").readBytes())
            assertEquals(photo.width, parse.width)
            assertEquals(photo.height, parse.height)
            val keypoints = OpenPose.parse(
                File(dir, "${entry.dir}/${SampleIndex.KEYPOINTS}").readText(), photo.width, photo.height
            )
            val person = PersonInput(photo, parse, keypoints)
            val garmentEntry = index.garments[i % index.garments.size]
            val garment = GarmentInput(
                readArgb(File(dir, "${garmentEntry.dir}/${SampleIndex.CLOTH_PHOTO}")),
                readArgb(File(dir, "${garmentEntry.dir}/${SampleIndex.CLOTH_MASK}"))
            )
            val packed = TryOnIO.packInputs(contract, person, garment)
            for (spec in contract.inputs) assertEquals(spec.name, spec.shape, packed.getValue(spec.name).shape)

            // The parse shows a person wearing a top; the mask covers part of the frame.
            val ids = (packed.getValue("parse") as TensorData.Ints).values
            assertTrue(entry.id, ids.any { it == 5 })
            val mask = (packed.getValue("cloth_mask") as TensorData.Floats).values
            val covered = mask.count { it == 1f }.toDouble() / mask.size
            assertTrue("${garmentEntry.id} covers $covered", covered > 0.05 && covered < 0.95)
            val kp = (packed.getValue("keypoints") as TensorData.Floats).values
            for (k in 0 until kp.size / 3) {
                if (kp[3 * k + 2] > 0f) {
                    assertTrue("x of keypoint $k", kp[3 * k] >= 0f && kp[3 * k] <= contract.imageWidth)
                    assertTrue("y of keypoint $k", kp[3 * k + 1] >= 0f && kp[3 * k + 1] <= contract.imageHeight)
                }
            }
        }
    }

    @Test
    fun samplesForAnotherLabelSetAreRefused() {
        val index = index().copy(parseLabelSet = "cihp")
        val problems = index.problemsWith(contract)
        assertEquals(1, problems.size)
        assertTrue(problems[0], problems[0].contains("'cihp'") && problems[0].contains("'lip'"))
    }
}
