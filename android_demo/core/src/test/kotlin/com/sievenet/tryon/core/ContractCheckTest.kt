package com.sievenet.tryon.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

class ContractCheckTest {
    private val text = TestSupport.fixtureText()

    private fun problems(edited: String) = ContractCheck.problemsForApp(ModelContract.parse(edited))

    private fun assertProblem(edited: String, vararg fragments: String) {
        val found = problems(edited)
        assertTrue(
            "expected a problem mentioning ${fragments.toList()}, got $found",
            found.any { p -> fragments.all { p.contains(it) } }
        )
    }

    @Test
    fun theExportersContractIsUsable() {
        assertEquals(emptyList<String>(), ContractCheck.problemsForApp(TestSupport.fixture()))
        ContractCheck.requireUsableByApp(TestSupport.fixture())
    }

    @Test
    fun otherImageSizesAreFineWhenConsistent() {
        val paper = text.replace("[64, 48]", "[256, 192]").replace("64, 48", "256, 192")
        val contract = ModelContract.parse(paper)
        assertEquals(256, contract.imageHeight)
        assertEquals(emptyList<String>(), ContractCheck.problemsForApp(contract))
    }

    @Test
    fun shapeThatDisagreesWithImageSizeNamesTheTensor() {
        assertProblem(
            text.replaceFirst("\"shape\": [1, 64, 48, 3]", "\"shape\": [1, 64, 48, 4]"),
            "input 'person'", "[1, 64, 48, 4]", "[1, 64, 48, 3]"
        )
        assertProblem(text.replace("\"image_size\": [64, 48]", "\"image_size\": [32, 48]"), "input 'cloth'", "[1, 32, 48, 3]")
        // The first "mask" encoding is the cloth_mask input's.
        assertProblem(
            text.replaceFirst("\"encoding\": \"mask\"", "\"encoding\": \"image\""),
            "'cloth_mask' has encoding 'image'"
        )
    }

    @Test
    fun wrongDtypeNamesTheTensor() {
        assertProblem(text.replaceFirst("\"dtype\": \"int32\"", "\"dtype\": \"int64\""), "input 'parse'", "int64", "int32")
    }

    @Test
    fun unknownInputIsAProblemUnknownOutputIsNot() {
        val extraInput = text.replace(
            "\"inputs\": [",
            "\"inputs\": [{\"name\": \"densepose\", \"shape\": [1, 64, 48, 2], \"dtype\": \"float32\", \"encoding\": \"uv\"},"
        )
        assertProblem(extraInput, "input 'densepose'", "not one this app can fill")
        val extraOutput = text.replace(
            "\"outputs\": [",
            "\"outputs\": [{\"name\": \"flow\", \"shape\": [1, 64, 48, 2], \"dtype\": \"float32\", \"encoding\": \"flow\"},"
        )
        assertEquals(emptyList<String>(), problems(extraOutput))
    }

    @Test
    fun missingTryonOutputIsAProblem() {
        assertProblem(text.replace("\"name\": \"tryon\"", "\"name\": \"result\""), "no output 'tryon'")
    }

    @Test
    fun keypointCountMustMatchKeypointNames() {
        assertProblem(text.replace("\"shape\": [1, 18, 3]", "\"shape\": [1, 25, 3]"), "25 keypoints", "keypoint_names lists 18")
    }

    @Test
    fun segmentationNeedsColours() {
        assertProblem(text.replace("\"colors\"", "\"colours\""), "output 'expected_segmentation'", "no colors")
        assertProblem(text.replace(", [254, 169, 0]", ""), "19 colors for 20 classes")
        assertProblem(text.replace("\"label_set\": \"model\"", "\"label_set\": \"cihp\""), "label_set 'cihp'")
    }

    @Test
    fun requireUsableListsEveryProblem() {
        val broken = text.replace("\"name\": \"tryon\"", "\"name\": \"result\"").replace("\"colors\"", "\"colours\"")
        assertIllegalArgument("cannot drive the exported model", "no output 'tryon'", "no colors") {
            ContractCheck.requireUsableByApp(ModelContract.parse(broken))
        }
    }

    @Test
    fun layoutTemplates() {
        val image = ContractNames.layout("image")!!
        assertTrue(image.matches(listOf(1, 64, 48, 3), 64, 48))
        assertFalse(image.matches(listOf(1, 48, 64, 3), 64, 48))
        assertFalse(image.matches(listOf(2, 64, 48, 3), 64, 48))
        assertFalse(image.matches(listOf(1, 64, 48), 64, 48))
        val keypoints = ContractNames.layout("keypoints")!!
        assertTrue(keypoints.matches(listOf(1, 18, 3), 64, 48))
        assertTrue(keypoints.matches(listOf(1, 25, 3), 64, 48))
        assertEquals("[1, 64, 48, 3]", image.describe(64, 48))
        // Every input role has a layout, every layout a distinct encoding.
        for (role in ContractNames.INPUTS + ContractNames.OUTPUTS) assertTrue(role.name, ContractNames.layout(role.encoding) != null)
        assertEquals(ContractNames.LAYOUTS.size, ContractNames.LAYOUTS.map { it.encoding }.toSet().size)
    }

    @Test
    fun modelFileMustAgreeWithContract() {
        val contract = TestSupport.fixture()
        val inputs = contract.inputs.associate { it.name to TensorInfo(it.shape, it.dtype) }
        val outputs = contract.outputs.associate { it.name to TensorInfo(it.shape, it.dtype) }
        assertEquals(emptyList<String>(), ContractCheck.problemsAgainstModel(contract, inputs, outputs, "m.tflite"))

        val wrong = HashMap(inputs)
        wrong["person"] = TensorInfo(listOf(1, 256, 192, 3), "float32")
        wrong["parse"] = TensorInfo(listOf(1, 64, 48), "float32")
        wrong.remove("keypoints")
        wrong["priors"] = TensorInfo(listOf(1, 64, 48, 19), "float32")
        val found = ContractCheck.problemsAgainstModel(contract, wrong, outputs, "m.tflite")
        assertTrue(found.toString(), found.any { it.contains("input 'person': shape [1, 256, 192, 3] in m.tflite, [1, 64, 48, 3]") })
        assertTrue(found.toString(), found.any { it.contains("input 'parse': dtype float32 in m.tflite, int32") })
        assertTrue(found.toString(), found.any { it.contains("input 'keypoints' is in model_contract.json but not in m.tflite") })
        assertTrue(found.toString(), found.any { it.contains("m.tflite needs input 'priors'") })
        assertEquals(4, found.size)
    }
}
