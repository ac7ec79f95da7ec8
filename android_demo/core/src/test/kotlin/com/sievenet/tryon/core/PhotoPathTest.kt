package com.sievenet.tryon.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Test

class PhotoPathTest {
    // The exporter's graphs.photo block (sievenet_tf/export/contract.py), for the tiny preset.
    private val photoBlock = """
        "graphs": {"photo": {
          "signature": "serving_default",
          "files": {"fp32": "sievenet_photo_fp32.tflite", "int8": "sievenet_photo_int8.tflite"},
          "inputs": [
            {"name": "person", "shape": [1, 64, 48, 3], "dtype": "float32", "range": [-1.0, 1.0], "encoding": "image"},
            {"name": "cloth", "shape": [1, 64, 48, 3], "dtype": "float32", "range": [-1.0, 1.0], "encoding": "image"}
          ],
          "outputs": [
            {"name": "tryon", "shape": [1, 64, 48, 3], "dtype": "float32", "range": [-1.0, 1.0], "encoding": "image"},
            {"name": "parse", "shape": [1, 64, 48], "dtype": "int32", "range": [0, 19], "encoding": "label_ids", "label_set": "model"},
            {"name": "keypoints", "shape": [1, 18, 3], "dtype": "float32", "encoding": "keypoints", "format": "coco18"},
            {"name": "cloth_mask", "shape": [1, 64, 48, 1], "dtype": "float32", "range": [0.0, 1.0], "encoding": "mask"}
          ],
          "cloth_mask": "learned", "keypoint_threshold": 0.3, "min_keypoints": 4
        }},
    """.trimIndent()

    private val withPhoto = TestSupport.fixtureText().replaceFirst("{", "{\n$photoBlock\n")

    @Test
    fun contractsWithoutPhotoGraphStillParse() {
        assertNull(TestSupport.fixture().photo)
        assertNull(TestSupport.fixture().photoContract())
    }

    @Test
    fun photoGraphIsParsedAndSeenAsAContract() {
        val contract = ModelContract.parse(withPhoto)
        val graph = contract.photo
        assertNotNull(graph)
        assertEquals(4, graph!!.minKeypoints)
        assertEquals("learned", graph.clothMask)
        val photo = contract.photoContract()!!
        assertEquals(listOf("person", "cloth"), photo.inputs.map { it.name })
        assertEquals(listOf(Pair("fp32", "sievenet_photo_fp32.tflite"), Pair("int8", "sievenet_photo_int8.tflite")),
                     photo.tfliteVariants())
        // The try-on graph's own entries are unchanged.
        assertEquals(TestSupport.fixture().inputs, contract.inputs)
        assertEquals(TestSupport.fixture().files, contract.files)
    }

    @Test
    fun photosOfAnySizeArePackedForBothInputs() {
        val contract = ModelContract.parse(withPhoto)
        val person = ArgbImage(30, 50, IntArray(30 * 50) { 0xFF808080.toInt() })
        val cloth = ArgbImage(100, 100, IntArray(100 * 100) { 0xFFFFFFFF.toInt() })
        val packed = PhotoPath.packInputs(contract, person, cloth)
        assertEquals(listOf("person", "cloth"), packed.keys.toList())
        assertEquals(listOf(1, 64, 48, 3), packed.getValue("cloth").shape)
        val values = (packed.getValue("cloth") as TensorData.Floats).values
        assertTrue(values.all { Math.abs(it - 1.0f) < 1e-6f })
    }

    @Test
    fun predictedOutputsDecodeWithTheTryOnCode() {
        val photo = ModelContract.parse(withPhoto).photoContract()!!
        val outputs = mapOf(
            "tryon" to TensorData.Floats(listOf(1, 64, 48, 3), FloatArray(64 * 48 * 3)),
            "parse" to TensorData.Ints(listOf(1, 64, 48), IntArray(64 * 48) { 5 }),
            "keypoints" to TensorData.Floats(listOf(1, 18, 3), FloatArray(54)),
            "cloth_mask" to TensorData.Floats(listOf(1, 64, 48, 1), FloatArray(64 * 48) { 1f })
        )
        val images = TryOnIO.decodeOutputs(photo, outputs)
        // Keypoints have no picture; the predicted parse is coloured with the model's labels.
        assertEquals(listOf("tryon", "parse", "cloth_mask"), images.map { it.name })
    }

    @Test
    fun tooFewKeypointsMeansNoPerson() {
        val graph = ModelContract.parse(withPhoto).photo!!
        val keypoints = FloatArray(54)
        assertNotNull(PhotoPath.noPersonMessage(graph, keypoints))
        for (i in 0 until 4) keypoints[3 * i + 2] = 0.9f
        assertNull(PhotoPath.noPersonMessage(graph, keypoints))
        keypoints[3 * 3 + 2] = 0f
        assertTrue(PhotoPath.noPersonMessage(graph, keypoints)!!.contains("3 of 18"))
    }

    @Test
    fun anExportWithoutPhotoGraphSaysSo() {
        try {
            PhotoPath.packInputs(TestSupport.fixture(), ArgbImage(1, 1, IntArray(1)), ArgbImage(1, 1, IntArray(1)))
            fail("expected an error")
        } catch (e: IllegalArgumentException) {
            assertTrue(e.message!!.contains("no photo graph"))
        }
    }
}
