package com.sievenet.tryon.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Assume.assumeTrue
import org.junit.Test
import java.io.File
import javax.imageio.ImageIO

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
        val message = PhotoPath.noPersonMessage(graph, keypoints)!!
        assertTrue(message, message.contains("only 3 of 18 body keypoints above confidence 0.3, 4 needed"))
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

    // ---- against the exporter's graphs.photo (model_contract_tiny_photo.json)

    private val exported = TestSupport.photoFixture()
    private val allFiles = setOf(
        "sievenet_photo_fp32.tflite", "sievenet_photo_fp16.tflite", "sievenet_photo_dynamic.tflite",
        "sievenet_photo_int8.tflite"
    )

    @Test
    fun theExportersPhotoGraphIsUsableByTheApp() {
        assertEquals(emptyList<String>(), PhotoPath.problemsForApp(exported))
        val graph = exported.photo!!
        assertEquals(8, graph.minKeypoints)
        assertEquals(0.3, graph.keypointThreshold!!, 0.0)
        assertEquals("learned", graph.clothMask)
    }

    @Test
    fun anExportWithoutPhotoGraphIsOneClearProblem() {
        assertEquals(listOf(PhotoPath.NO_PHOTO_GRAPH), PhotoPath.problemsForApp(TestSupport.fixture()))
        assertIllegalArgument("no photo graph") { PhotoPath.chooseFile(TestSupport.fixture(), "fp32", allFiles) }
        assertIllegalArgument("no photo graph") { PhotoPath.readPrediction(TestSupport.fixture(), emptyMap()) }
    }

    @Test
    fun problemsNameWhatTheAppCannotDrive() {
        val graph = exported.photo!!
        val broken = exported.copy(
            photo = graph.copy(
                files = mapOf("saved_model" to "saved_model_photo"),
                inputs = graph.inputs.filter { it.name != "cloth" } +
                    TestSupport.spec("densepose", listOf(1, 64, 48, 2), encoding = "uv"),
                outputs = graph.outputs.filter { it.name != "keypoints" }
            )
        )
        val problems = PhotoPath.problemsForApp(broken).joinToString("\n")
        for (fragment in listOf("'densepose'", "no 'cloth' input", "no 'keypoints' output", "lists no .tflite")) {
            assertTrue("$fragment in:\n$problems", problems.contains(fragment))
        }
        val noColours = exported.copy(labels = exported.labels.mapValues { it.value.copy(colors = null) })
        assertTrue(PhotoPath.problemsForApp(noColours).any { it.contains("'parse'") && it.contains("no colors") })
    }

    @Test
    fun thePhotoGraphFileFollowsTheChosenPrecision() {
        assertEquals(PhotoFileChoice("int8", "sievenet_photo_int8.tflite", null), PhotoPath.chooseFile(exported, "int8", allFiles))
        assertEquals("fp32", PhotoPath.chooseFile(exported, null, allFiles).variant)
        // The int8 photo graph was not copied: fp32, and the app says why.
        val withoutInt8 = PhotoPath.chooseFile(exported, "int8", allFiles - "sievenet_photo_int8.tflite")
        assertEquals("fp32", withoutInt8.variant)
        assertTrue(withoutInt8.note!!, withoutInt8.note.contains("sievenet_photo_int8.tflite is not in the app's assets"))
        // A try-on variant the photo graph was not exported in.
        val other = PhotoPath.chooseFile(exported, "float64", allFiles)
        assertEquals("fp32", other.variant)
        assertTrue(other.note!!, other.note.contains("no float64 photo graph"))
        // Only fp16 copied: fp16 for any choice.
        assertEquals("fp16", PhotoPath.chooseFile(exported, "int8", setOf("sievenet_photo_fp16.tflite")).variant)
        assertIllegalArgument("none is in the app's assets", "copyModel") {
            PhotoPath.chooseFile(exported, "fp32", setOf("sievenet_fp32.tflite"))
        }
    }

    @Test
    fun photosAreFittedExactlyAsThePythonReadersDo() {
        // A 300 x 400 portrait and a 120 x 90 landscape garment with transparent corners.
        val person = ArgbImage(300, 400, IntArray(300 * 400) { i -> ArgbImage.argb(i % 300 % 256, i / 300 % 256, 77) })
        val clothPixels = IntArray(120 * 90) { ArgbImage.argb(200, 30, 60) }
        clothPixels[0] = 0x00000000
        val cloth = ArgbImage(120, 90, clothPixels)
        val prepared = PhotoPath.prepare(exported, person, cloth)
        assertArrayEquals(PilResize.fitImage(person, 64, 48).pixels, prepared.person.pixels)
        assertArrayEquals(PilResize.fitImage(PilResize.flattenOnWhite(cloth), 64, 48).pixels, prepared.cloth.pixels)
        assertEquals(listOf("person", "cloth"), prepared.inputs.keys.toList())
        // Normalised with the contract's scale and offset: pixel / 127.5 - 1.
        val values = (prepared.inputs.getValue("person") as TensorData.Floats).values
        val p = prepared.person.pixels[5 * 48 + 7]
        assertEquals(ArgbImage.red(p) / 127.5f - 1f, values[(5 * 48 + 7) * 3], 1e-6f)
        assertEquals(ArgbImage.blue(p) / 127.5f - 1f, values[(5 * 48 + 7) * 3 + 2], 1e-6f)
    }

    private fun outputs(present: Int, parseId: Int = 5): Map<String, TensorData> {
        val keypoints = FloatArray(54)
        for (k in 0 until present) {
            keypoints[3 * k] = 10f + k
            keypoints[3 * k + 1] = 20f + k
            keypoints[3 * k + 2] = 0.8f
        }
        val mask = FloatArray(64 * 48)
        for (i in 0 until 64 * 12) mask[i] = 1f
        return mapOf(
            "tryon" to TensorData.Floats(listOf(1, 64, 48, 3), FloatArray(64 * 48 * 3)),
            "parse" to TensorData.Ints(listOf(1, 64, 48), IntArray(64 * 48) { if (it < 48) 0 else parseId }),
            "keypoints" to TensorData.Floats(listOf(1, 18, 3), keypoints),
            "cloth_mask" to TensorData.Floats(listOf(1, 64, 48, 1), mask)
        )
    }

    @Test
    fun predictionsAreReadByName() {
        val prediction = PhotoPath.readPrediction(exported, outputs(present = 9))
        assertTrue(prediction.personFound)
        assertEquals(9, prediction.foundKeypoints)
        assertEquals(OpenPose.COCO18_NAMES, prediction.keypoints.map { it.name })
        assertEquals(12f, prediction.keypoints[2].x, 0f)
        assertEquals(22f, prediction.keypoints[2].y, 0f)
        assertFalse(prediction.keypoints[9].present)
        val parse = prediction.parse!!
        assertEquals(48, parse.width)
        assertEquals(64, parse.height)
        assertEquals(0, parse[47, 0])
        assertEquals(5, parse[0, 1])
        assertEquals("model", prediction.parseLabels!!.key)
        assertEquals(0.25, prediction.clothMaskCoverage!!, 1e-9)
    }

    @Test
    fun tooFewPredictedKeypointsIsNoPerson() {
        // min_keypoints 8 in the exported contract, as TryOn._check_person_found.
        assertTrue(PhotoPath.readPrediction(exported, outputs(present = 8)).personFound)
        val prediction = PhotoPath.readPrediction(exported, outputs(present = 7))
        assertFalse(prediction.personFound)
        val message = prediction.noPersonMessage!!
        assertTrue(message, message.startsWith("No person found"))
        assertTrue(message, message.contains("only 7 of 18 body keypoints above confidence 0.3, 8 needed"))
    }

    @Test
    fun aMissingKeypointsOutputIsAnError() {
        assertIllegalArgument("no 'keypoints' output") {
            PhotoPath.readPrediction(exported, outputs(9).filterKeys { it != "keypoints" })
        }
        val wrong = outputs(9) + mapOf("keypoints" to TensorData.Floats(listOf(1, 18, 3), FloatArray(12)))
        assertIllegalArgument("expected (1, K, 3) values") { PhotoPath.readPrediction(exported, wrong) }
    }

    @Test
    fun theBundledPhotosPackForThePhotoGraph() {
        // The samples' JPEGs (javax.imageio stands in for BitmapFactory): both photos of
        // any bundled person and garment fit the photo graph's inputs.
        val dir = TestSupport.samplesDir()
        val indexFile = File(dir, SampleIndex.FILE)
        assumeTrue("no samples at ${dir.absolutePath}", indexFile.isFile)
        val index = SampleIndex.parse(indexFile.readText())
        fun read(file: File): ArgbImage {
            val image = ImageIO.read(file) ?: throw IllegalStateException("cannot decode $file")
            return ArgbImage(image.width, image.height, image.getRGB(0, 0, image.width, image.height, null, 0, image.width))
        }
        for (person in index.persons) {
            for (garment in index.garments) {
                val prepared = PhotoPath.prepare(
                    exported,
                    read(File(dir, "${person.dir}/${SampleIndex.PERSON_PHOTO}")),
                    read(File(dir, "${garment.dir}/${SampleIndex.CLOTH_PHOTO}"))
                )
                for (spec in exported.photo!!.inputs) {
                    val values = (prepared.inputs.getValue(spec.name) as TensorData.Floats).values
                    assertEquals(spec.elementCount, values.size)
                    assertTrue(values.all { it >= -1f && it <= 1f })
                }
            }
        }
    }
}
