package com.sievenet.tryon.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class TryOnIOTest {
    private val contract = TestSupport.fixture()

    private fun person(width: Int = 48, height: Int = 64): PersonInput {
        val photo = ArgbImage(width, height, IntArray(width * height) { ArgbImage.argb(it % 256, 0, 255) })
        val parse = LabelMap(width, height, IntArray(width * height) { if (it % width < width / 2) 5 else 0 })
        val points = FloatArray(54) { if (it % 3 == 2) 1f else 10f }
        return PersonInput(photo, parse, KeypointSet(OpenPose.COCO18_NAMES, points, width, height))
    }

    private fun garment(width: Int = 48, height: Int = 64): GarmentInput {
        val white = ArgbImage.argb(255, 255, 255)
        return GarmentInput(
            ArgbImage(width, height, IntArray(width * height) { white }),
            ArgbImage(width, height, IntArray(width * height) { if (it < width * height / 2) white else ArgbImage.argb(0, 0, 0) })
        )
    }

    @Test
    fun packsEveryContractInputWithItsShape() {
        val packed = TryOnIO.packInputs(contract, person(), garment())
        assertEquals(contract.inputs.map { it.name }, packed.keys.toList())
        for (spec in contract.inputs) {
            val data = packed.getValue(spec.name)
            assertEquals(spec.name, spec.shape, data.shape)
            val count = when (data) {
                is TensorData.Floats -> data.values.size
                is TensorData.Ints -> data.values.size
            }
            assertEquals(spec.name, spec.elementCount, count)
        }
        assertTrue(packed.getValue("parse") is TensorData.Ints)
        val mask = (packed.getValue("cloth_mask") as TensorData.Floats).values
        assertEquals(1f, mask[0], 0f)
        assertEquals(0f, mask[mask.size - 1], 0f)
    }

    @Test
    fun sourcesOfOtherSizesAreScaledToTheContract() {
        // A 96 x 128 person (twice the model size): keypoints map half-pixel exact, (10 + 0.5) / 2 - 0.5.
        val packed = TryOnIO.packInputs(contract, person(96, 128), garment(24, 32))
        val keypoints = (packed.getValue("keypoints") as TensorData.Floats).values
        assertArrayEquals(floatArrayOf(4.75f, 4.75f, 1f), keypoints.copyOfRange(0, 3), 1e-6f)
        assertEquals(64 * 48 * 3, (packed.getValue("cloth") as TensorData.Floats).values.size)
    }

    @Test
    fun anInputTheAppCannotFillIsNamed() {
        val text = TestSupport.fixtureText().replace(
            "\"inputs\": [",
            "\"inputs\": [{\"name\": \"densepose\", \"shape\": [1, 64, 48, 2], \"dtype\": \"float32\", \"encoding\": \"uv\"},"
        )
        assertIllegalArgument("input 'densepose'", "not one this app can fill") {
            TryOnIO.packInputs(ModelContract.parse(text), person(), garment())
        }
    }

    @Test
    fun aParseWithIdsOutsideTheLabelSetIsNamed() {
        val bad = person()
        bad.parse.ids[0] = 42
        assertIllegalArgument("input 'parse'", "label 42") { TryOnIO.packInputs(contract, bad, garment()) }
    }

    @Test
    fun decodesOutputsInDisplayOrder() {
        val outputs = LinkedHashMap<String, TensorData>()
        // Give them in reverse order; the app shows the try-on first.
        for (spec in contract.outputs.reversed()) outputs[spec.name] = TensorData.zeros(spec)
        (outputs.getValue("expected_segmentation") as TensorData.Ints).values[0] = 13
        val images = TryOnIO.decodeOutputs(contract, outputs)
        assertEquals(ContractNames.OUTPUTS.map { it.name }, images.map { it.name })
        for (image in images) {
            assertEquals(48, image.image.width)
            assertEquals(64, image.image.height)
        }
        // float 0 is mid-grey in [-1, 1] images; class 13 (face) is blue; mask 0 is black.
        assertEquals(ArgbImage.argb(128, 128, 128), images[0].image.pixels[0])
        assertEquals(ArgbImage.argb(0, 0, 254), images[3].image.pixels[0])
        assertEquals(ArgbImage.argb(0, 0, 0), images[4].image.pixels[0])
    }

    @Test
    fun unknownOrMissingOutputsAreSkipped() {
        val text = TestSupport.fixtureText().replace(
            "\"outputs\": [",
            "\"outputs\": [{\"name\": \"flow\", \"shape\": [1, 64, 48, 2], \"dtype\": \"float32\", \"encoding\": \"flow\"}," +
                "{\"name\": \"rendered_person\", \"shape\": [1, 64, 48, 3], \"dtype\": \"float32\", \"encoding\": \"image\"},"
        )
        val extended = ModelContract.parse(text)
        val outputs = extended.outputs.filter { it.name != "warped_cloth_coarse" }.associate { it.name to TensorData.zeros(it) }
        val names = TryOnIO.decodeOutputs(extended, outputs).map { it.name }
        assertEquals(
            listOf("tryon", "warped_cloth_fine", "expected_segmentation", "composition_mask", "rendered_person"),
            names
        )
    }

    @Test
    fun wrongOutputTypeIsNamed() {
        val outputs = mapOf("tryon" to TensorData.Ints(listOf(1, 64, 48, 3), IntArray(64 * 48 * 3)))
        assertIllegalArgument("output 'tryon'", "expected float32") { TryOnIO.decodeOutputs(contract, outputs) }
    }
}
