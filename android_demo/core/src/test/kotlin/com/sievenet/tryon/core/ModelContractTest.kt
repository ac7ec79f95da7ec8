package com.sievenet.tryon.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Test

class ModelContractTest {
    private val text = TestSupport.fixtureText()

    @Test
    fun parsesTheExportersContract() {
        val contract = ModelContract.parse(text)
        assertEquals(1, contract.formatVersion)
        assertEquals("tiny", contract.preset)
        assertEquals(64, contract.imageHeight)
        assertEquals(48, contract.imageWidth)
        assertEquals("serving_default", contract.signature)
        assertEquals(listOf("person", "parse", "keypoints", "cloth", "cloth_mask"), contract.inputs.map { it.name })
        assertEquals(
            listOf("tryon", "warped_cloth_coarse", "warped_cloth_fine", "expected_segmentation", "composition_mask"),
            contract.outputs.map { it.name }
        )
        val person = contract.input("person")
        assertEquals(listOf(1, 64, 48, 3), person.shape)
        assertEquals("float32", person.dtype)
        assertEquals("image", person.encoding)
        assertEquals(listOf(-1.0, 1.0), person.range)
        assertEquals(64 * 48 * 3, person.elementCount)
        val parse = contract.input("parse")
        assertEquals("int32", parse.dtype)
        assertEquals("lip", parse.labelSet)
        assertEquals("coco18", contract.input("keypoints").format)
        assertEquals(2.0 / 255.0, contract.normalizationFor(person).scale, 1e-15)
        assertEquals(-1.0, contract.normalizationFor(person).offset, 0.0)
        assertEquals(18, contract.keypointNames.size)
        assertEquals("nose", contract.keypointNames[0])
    }

    @Test
    fun labelSetsResolveByKeyOrByName() {
        val contract = TestSupport.fixture()
        val model = contract.labelSetFor(contract.output("expected_segmentation"))
        assertEquals("model", model.key)
        assertEquals(20, model.names.size)
        val colors = model.colors!!
        assertEquals(20, colors.size)
        assertEquals(0xFF000000.toInt(), colors[0])
        assertEquals(0xFF800000.toInt(), colors[1]) // (128, 0, 0)
        // The parse input says label_set "lip": the name of labels.parse.
        val lip = contract.labelSetFor(contract.input("parse"))
        assertEquals("parse", lip.key)
        assertEquals("lip", lip.name)
        assertNull(lip.colors)
        assertNull(contract.labelSetOrNull("cihp"))
    }

    @Test
    fun listsTfliteVariantsFloatFirst() {
        val contract = TestSupport.fixture()
        assertEquals(
            listOf("fp32" to "sievenet_fp32.tflite", "fp16" to "sievenet_fp16.tflite",
                "dynamic" to "sievenet_dynamic.tflite", "int8" to "sievenet_int8.tflite"),
            contract.tfliteVariants()
        )
        val custom = ModelContract.parse(text.replace("\"fp16\": \"sievenet_fp16.tflite\"", "\"edge\": \"m.tflite\""))
        assertEquals(listOf("fp32", "dynamic", "int8", "edge"), custom.tfliteVariants().map { it.first })
    }

    @Test
    fun rejectsAnotherFormatVersionClearly() {
        val v2 = text.replace("\"format_version\": 1", "\"format_version\": 2")
        assertIllegalArgument("format_version 2", "reads only format_version 1", "Re-export") {
            ModelContract.parse(v2)
        }
        // Even when the rest of the file no longer looks like version 1.
        assertIllegalArgument("format_version 3") {
            ModelContract.parse("""{"format_version": 3, "tensors": {}}""")
        }
        assertIllegalArgument("missing \"format_version\"") { ModelContract.parse("""{"image_size": [1, 1]}""") }
        assertIllegalArgument("format_version: expected an integer") {
            ModelContract.parse("""{"format_version": "1"}""")
        }
    }

    @Test
    fun ignoresUnknownKeys() {
        val extended = text
            .replaceFirst("{", """{"exported_at": "2026-01-01", "quantization": {"int8": {"calibration": 200}},""")
            .replace("\"encoding\": \"image\"", "\"encoding\": \"image\", \"layout\": \"NHWC\", \"extra\": [1, {\"x\": null}]")
            .replace("\"names\":", "\"aliases\": {}, \"names\":")
        val contract = ModelContract.parse(extended)
        assertEquals(TestSupport.fixture(), contract)
    }

    @Test
    fun namesTheMissingOrBrokenField() {
        assertIllegalArgument("model_contract.json: missing \"signature\"") {
            ModelContract.parse(text.replace("\"signature\": \"serving_default\",", ""))
        }
        assertIllegalArgument("model_contract.json.inputs[0].shape[1]: expected an integer, got the string \"64\"") {
            ModelContract.parse(text.replaceFirst("\"shape\": [1, 64, 48, 3]", "\"shape\": [1, \"64\", 48, 3]"))
        }
        assertIllegalArgument("inputs[1].shape: dimensions must be positive") {
            ModelContract.parse(text.replaceFirst("\"shape\": [1, 64, 48]", "\"shape\": [1, 0, 48]"))
        }
        assertIllegalArgument("image_size: expected [height, width]") {
            ModelContract.parse(text.replace("\"image_size\": [64, 48]", "\"image_size\": [64]"))
        }
        assertIllegalArgument("the name 'cloth' appears twice") {
            ModelContract.parse(text.replace("\"name\": \"person\"", "\"name\": \"cloth\""))
        }
        assertIllegalArgument("labels.model.colors[0]: expected [r, g, b]") {
            ModelContract.parse(text.replace("[0, 0, 0], [128, 0, 0]", "[0, 0], [128, 0, 0]"))
        }
        assertIllegalArgument("normalization.image.scale: must be a finite non-zero number") {
            ModelContract.parse(text.replace("\"scale\": 0.00784313725490196", "\"scale\": 0"))
        }
        assertIllegalArgument("model_contract.json: expected a JSON object") { ModelContract.parse("[]") }
        assertIllegalArgument("JSON error at line 1") { ModelContract.parse("{\"format_version\": 1,") }
    }

    @Test
    fun lookupsNameTheMissingTensor() {
        val contract = TestSupport.fixture()
        assertIllegalArgument("no input named 'densepose'", "person") { contract.input("densepose") }
        assertIllegalArgument("no output named 'alpha'", "tryon") { contract.output("alpha") }
        val noNorm = ModelContract.parse(text.replace("\"normalization\"", "\"normalisation\""))
        assertIllegalArgument("'person'", "no normalization for encoding 'image'") {
            noNorm.normalizationFor(noNorm.input("person"))
        }
        assertTrue(noNorm.normalization.isEmpty())
    }
}
