package com.sievenet.tryon.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Test

class TensorPackingTest {
    private val contract = TestSupport.fixture()
    private val norm = Normalization(2.0 / 255.0, -1.0)
    private val image4x2 = TestSupport.spec("person", listOf(1, 2, 4, 3)) // H = 2, W = 4

    @Test
    fun packsRgbInNhwcOrderWithTheContractsNormalization() {
        val pixels = intArrayOf(
            ArgbImage.argb(0, 255, 128), ArgbImage.argb(10, 20, 30), ArgbImage.argb(1, 2, 3), ArgbImage.argb(4, 5, 6),
            ArgbImage.argb(7, 8, 9), ArgbImage.argb(11, 12, 13), ArgbImage.argb(14, 15, 16), ArgbImage.argb(17, 18, 19)
        )
        val packed = TensorPacking.packImage(image4x2, norm, pixels, 4, 2)
        assertEquals(2 * 4 * 3, packed.size)
        // First pixel: R, G, B in that order.
        assertEquals(-1f, packed[0], 1e-6f)
        assertEquals(1f, packed[1], 1e-6f)
        assertEquals(128 * 2f / 255f - 1f, packed[2], 1e-6f)
        // Second pixel of the first row, then the first pixel of the second row (x fastest).
        assertEquals(10 * 2f / 255f - 1f, packed[3], 1e-6f)
        assertEquals(7 * 2f / 255f - 1f, packed[4 * 3], 1e-6f)
        assertEquals(19 * 2f / 255f - 1f, packed[23], 1e-6f)
    }

    @Test
    fun alphaIsIgnored() {
        val opaque = TensorPacking.packImage(TestSupport.spec("p", listOf(1, 1, 1, 3)), norm, intArrayOf(0xFF102030.toInt()), 1, 1)
        val clear = TensorPacking.packImage(TestSupport.spec("p", listOf(1, 1, 1, 3)), norm, intArrayOf(0x00102030), 1, 1)
        assertArrayEquals(opaque, clear, 0f)
    }

    @Test
    fun otherNormalizationsComeFromTheContract() {
        val unit = Normalization(1.0 / 255.0, 0.0)
        val packed = TensorPacking.packImage(TestSupport.spec("p", listOf(1, 1, 1, 3)), unit, intArrayOf(ArgbImage.argb(255, 0, 51)), 1, 1)
        assertArrayEquals(floatArrayOf(1f, 0f, 0.2f), packed, 1e-6f)
    }

    @Test
    fun imagesOfAnotherSizeAreResized() {
        // A 2 x 1 image (black | white) stretched to 4 x 2: bilinear ramps, cv2 style.
        val packed = TensorPacking.packImage(image4x2, Normalization(1.0, 0.0), intArrayOf(ArgbImage.argb(0, 0, 0), ArgbImage.argb(255, 255, 255)), 2, 1)
        val row = floatArrayOf(0f, 63.75f, 191.25f, 255f)
        for (y in 0 until 2) for (x in 0 until 4) for (c in 0 until 3) {
            assertEquals(row[x], packed[(y * 4 + x) * 3 + c], 1e-3f)
        }
        val nearest = TensorPacking.packImage(
            image4x2, Normalization(1.0, 0.0), ArgbImage(2, 1, intArrayOf(ArgbImage.argb(0, 0, 0), ArgbImage.argb(255, 255, 255))),
            ResizeMethod.NEAREST
        )
        assertEquals(0f, nearest[3], 0f)
        assertEquals(255f, nearest[6], 0f)
    }

    @Test
    fun pixelCountMismatchNamesTheInput() {
        assertIllegalArgument("input 'person'", "7 pixels for a 4x2 image") {
            TensorPacking.packImage(image4x2, norm, IntArray(7), 4, 2)
        }
        assertIllegalArgument("input 'cloth_mask'", "3 pixels") {
            TensorPacking.packMask(TestSupport.spec("cloth_mask", listOf(1, 2, 4, 1)), IntArray(3), 2, 2)
        }
        assertIllegalArgument("input 'parse'", "5 label ids for a 2x2 map") {
            TensorPacking.packLabels(TestSupport.spec("parse", listOf(1, 2, 2), "int32", "label_ids"), IntArray(5), 2, 2)
        }
    }

    @Test
    fun specOfTheWrongRankNamesTheInput() {
        assertIllegalArgument("'cloth'", "expected shape (1, H, W, 3)", "[1, 2, 4]") {
            TensorPacking.packImage(TestSupport.spec("cloth", listOf(1, 2, 4)), norm, IntArray(8), 4, 2)
        }
        assertIllegalArgument("input 'parse'", "(1, H, W) label tensor") {
            TensorPacking.packLabels(TestSupport.spec("parse", listOf(1, 2, 2, 1), "int32", "label_ids"), LabelMap(2, 2, IntArray(4)))
        }
        assertIllegalArgument("input 'keypoints'", "(1, K, 3)") {
            TensorPacking.packKeypoints(TestSupport.spec("keypoints", listOf(1, 18, 2)), KeypointSet(null, FloatArray(54), 48, 64), emptyList(), 64, 48)
        }
    }

    @Test
    fun imageRoundTripIsExactForEveryByte() {
        val spec = contract.output("tryon")
        val h = contract.imageHeight
        val w = contract.imageWidth
        val pixels = IntArray(h * w) { i -> ArgbImage.argb(i % 256, (i * 7 + 3) % 256, 255 - i % 256) }
        val packed = TensorPacking.packImage(contract.input("person"), contract.normalizationFor(spec), pixels, w, h)
        val back = TensorPacking.unpackImage(spec, contract.normalizationFor(spec), packed)
        assertEquals(w, back.width)
        assertEquals(h, back.height)
        assertArrayEquals(pixels, back.pixels)
    }

    @Test
    fun outputImagesAreClampedAndRounded() {
        val spec = TestSupport.spec("tryon", listOf(1, 1, 2, 3))
        val image = TensorPacking.unpackImage(spec, norm, floatArrayOf(-3f, 7f, 0.004f, 1f - 1e-4f, -1f + 1e-4f, 0.5f / 255f))
        // -3 and 7 clamp; 0.004 is pixel 128.01 and 0.5 / 255 is 127.75: both round to 128.
        assertEquals(ArgbImage.argb(0, 255, 128), image.pixels[0])
        assertEquals(ArgbImage.argb(255, 0, 128), image.pixels[1])
        assertIllegalArgument("'tryon'", "got 5 values for shape [1, 1, 2, 3]") {
            TensorPacking.unpackImage(spec, norm, FloatArray(5))
        }
    }

    @Test
    fun masksAreBinarisedAfterResizing() {
        val spec = TestSupport.spec("cloth_mask", listOf(1, 1, 4, 1), encoding = "mask")
        val grey = { g: Int -> ArgbImage.argb(g, g, g) }
        val packed = TensorPacking.packMask(spec, intArrayOf(grey(0), grey(127), grey(128), grey(255)), 4, 1)
        assertArrayEquals(floatArrayOf(0f, 0f, 1f, 1f), packed, 0f)
        val soft = TensorPacking.packMask(spec, intArrayOf(grey(0), grey(51), grey(204), grey(255)), 4, 1, threshold = null)
        assertArrayEquals(floatArrayOf(0f, 0.2f, 0.8f, 1f), soft, 1e-6f)
        // Colour masks use PIL's luma, like the training reader.
        val red = TensorPacking.packMask(TestSupport.spec("m", listOf(1, 1, 1, 1)), intArrayOf(ArgbImage.argb(255, 0, 0)), 1, 1, null)
        assertEquals(0.299f, red[0], 1e-6f)
    }

    @Test
    fun maskOutputsMapTheirRangeToGrey() {
        val spec = contract.output("composition_mask")
        val values = FloatArray(spec.elementCount)
        values[1] = 1f
        values[2] = 0.5f
        values[3] = 2f
        val image = TensorPacking.unpackMask(spec, values)
        assertEquals(ArgbImage.argb(0, 0, 0), image.pixels[0])
        assertEquals(ArgbImage.argb(255, 255, 255), image.pixels[1])
        assertEquals(ArgbImage.argb(128, 128, 128), image.pixels[2])
        assertEquals(ArgbImage.argb(255, 255, 255), image.pixels[3])
    }

    @Test
    fun labelsRoundTripAndAreRangeChecked() {
        val spec = contract.input("parse")
        val h = contract.imageHeight
        val w = contract.imageWidth
        val ids = IntArray(h * w) { it % 20 }
        assertArrayEquals(ids, TensorPacking.packLabels(spec, ids, w, h))
        ids[w * 3 + 5] = 23
        assertIllegalArgument("input 'parse'", "label 23 at (x=5, y=3)", "[0, 19]", "'lip'") {
            TensorPacking.packLabels(spec, ids, w, h)
        }
        ids[w * 3 + 5] = -1
        assertIllegalArgument("label -1") { TensorPacking.packLabels(spec, ids, w, h) }
    }

    @Test
    fun labelsAreResizedWithNearestNeighbour() {
        val spec = TestSupport.spec("parse", listOf(1, 4, 4), "int32", "label_ids", listOf(0.0, 19.0))
        val packed = TensorPacking.packLabels(spec, LabelMap(2, 2, intArrayOf(1, 2, 3, 4)))
        assertArrayEquals(intArrayOf(1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4), packed)
    }

    @Test
    fun labelIdsAreColouredWithTheContractsColours() {
        val spec = contract.output("expected_segmentation")
        val set = contract.labelSetFor(spec)
        val ids = IntArray(spec.elementCount) { it % 20 }
        val image = TensorPacking.colorLabels(spec, set, ids)
        assertEquals(contract.imageWidth, image.width)
        assertEquals(ArgbImage.argb(0, 0, 0), image.pixels[0])
        assertEquals(ArgbImage.argb(128, 0, 0), image.pixels[1])
        assertEquals(ArgbImage.argb(254, 169, 0), image.pixels[19])
        ids[50] = 20
        assertIllegalArgument("'expected_segmentation'", "class id 20 at (x=2, y=1)", "has no colour") {
            TensorPacking.colorLabels(spec, set, ids)
        }
    }

    @Test
    fun keypointsAreRescaledToTheModelSize() {
        val spec = contract.input("keypoints")
        val points = FloatArray(18 * 3)
        // nose at (96, 64) with confidence 0.9 on a 192 x 256 photo; r_elbow missing.
        points[0] = 96f; points[1] = 64f; points[2] = 0.9f
        points[9] = 50f; points[10] = 70f; points[11] = 0f
        points[51] = 192f; points[52] = 256f; points[53] = 1f
        val packed = TensorPacking.packKeypoints(
            spec, KeypointSet(OpenPose.COCO18_NAMES, points, 192, 256), contract.keypointNames, 64, 48
        )
        assertEquals(54, packed.size)
        // Half-pixel exact, as io.scale_keypoints: (x + 0.5) * 0.25 - 0.5.
        assertArrayEquals(floatArrayOf(23.625f, 15.625f, 0.9f), packed.copyOfRange(0, 3), 1e-5f)
        assertArrayEquals(floatArrayOf(0f, 0f, 0f), packed.copyOfRange(9, 12), 0f)
        assertArrayEquals(floatArrayOf(47.625f, 63.625f, 1f), packed.copyOfRange(51, 54), 1e-5f)
    }

    @Test
    fun fitMatchesThePythonDataPipeline() {
        // sievenet_tf.data.io.fit_resize(source, (64, 48)): resized, pad_top, pad_left.
        val cases = listOf(
            listOf(100, 60, 64, 38, 0, 5),
            listOf(4, 4, 48, 48, 8, 0),
            listOf(128, 96, 64, 48, 0, 0),
            listOf(30, 100, 14, 48, 25, 0),
            listOf(63, 47, 64, 48, 0, 0)
        )
        for (c in cases) {
            val fit = Fit.of(c[0], c[1], 64, 48)
            assertEquals(c.toString(), listOf(c[2], c[3], c[4], c[5]), listOf(fit.resizedHeight, fit.resizedWidth, fit.padTop, fit.padLeft))
        }
        // io.scale_keypoints([[30, 50, 1], [0, 0, 0]], (100, 60), (64, 48))
        val spec = contract.input("keypoints")
        val points = FloatArray(54)
        points[0] = 30f; points[1] = 50f; points[2] = 1f
        val packed = TensorPacking.packKeypoints(spec, KeypointSet(null, points, 60, 100), emptyList(), 64, 48)
        assertArrayEquals(floatArrayOf(23.816666f, 31.82f, 1f), packed.copyOfRange(0, 3), 1e-4f)
        assertArrayEquals(floatArrayOf(0f, 0f, 0f), packed.copyOfRange(3, 6), 0f)
    }

    @Test
    fun photosOfAnotherAspectAreLetterboxedLikeTraining() {
        // A 2 x 2 black photo into 4 x 2 (H x W): resized to 2 x 2, one white row above and below.
        val spec = TestSupport.spec("person", listOf(1, 4, 2, 3))
        val black = ArgbImage(2, 2, IntArray(4) { ArgbImage.argb(0, 0, 0) })
        val packed = TensorPacking.packImage(spec, Normalization(1.0, 0.0), black)
        val rows = (0 until 4).map { y -> packed[y * 2 * 3] }
        assertEquals(listOf(255f, 0f, 0f, 255f), rows)
        val parse = TensorPacking.packLabels(
            TestSupport.spec("parse", listOf(1, 4, 2), "int32", "label_ids"), LabelMap(2, 2, intArrayOf(5, 5, 5, 5))
        )
        assertArrayEquals(intArrayOf(0, 0, 5, 5, 5, 5, 0, 0), parse)
        val white = ArgbImage(2, 2, IntArray(4) { ArgbImage.argb(255, 255, 255) })
        val mask = TensorPacking.packMask(TestSupport.spec("cloth_mask", listOf(1, 4, 2, 1)), white)
        assertArrayEquals(floatArrayOf(0f, 0f, 1f, 1f, 1f, 1f, 0f, 0f), mask, 0f)
        val nearest = TensorPacking.packImage(spec, Normalization(1.0, 0.0), black, ResizeMethod.NEAREST)
        assertArrayEquals(packed, nearest, 0f)
    }

    @Test
    fun body25PosesAreReorderedByName() {
        val spec = contract.input("keypoints")
        // BODY_25 point i at x = i, y = 100 + i, confidence 1.
        val points = FloatArray(25 * 3)
        for (i in 0 until 25) {
            points[3 * i] = i.toFloat()
            points[3 * i + 1] = 100f + i
            points[3 * i + 2] = 1f
        }
        val packed = TensorPacking.packKeypoints(
            spec, KeypointSet(OpenPose.BODY25_NAMES, points, 48, 64), contract.keypointNames, 64, 48
        )
        val body25IndexOfCoco = intArrayOf(0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)
        for (k in 0 until 18) {
            assertEquals("x of ${contract.keypointNames[k]}", body25IndexOfCoco[k].toFloat(), packed[3 * k], 0f)
            assertEquals(100f + body25IndexOfCoco[k], packed[3 * k + 1], 0f)
        }
    }

    @Test
    fun keypointCountMismatchNamesTheInput() {
        val spec = contract.input("keypoints")
        assertIllegalArgument("input 'keypoints'", "the pose has 17 keypoints, the model expects 18") {
            TensorPacking.packKeypoints(spec, KeypointSet(null, FloatArray(17 * 3), 48, 64), contract.keypointNames, 64, 48)
        }
        val names = OpenPose.COCO18_NAMES.map { if (it == "l_ear") "left_ear" else it }
        assertIllegalArgument("input 'keypoints'", "needs keypoint 'l_ear'") {
            TensorPacking.packKeypoints(spec, KeypointSet(names, FloatArray(54), 48, 64), contract.keypointNames, 64, 48)
        }
    }

    @Test
    fun tensorDataZerosFollowTheSpec() {
        val floats = TensorData.zeros(contract.output("tryon")) as TensorData.Floats
        assertEquals(64 * 48 * 3, floats.values.size)
        val ints = TensorData.zeros(contract.output("expected_segmentation")) as TensorData.Ints
        assertEquals(64 * 48, ints.values.size)
        assertIllegalArgument("'x'", "dtype uint8") { TensorData.zeros(TestSupport.spec("x", listOf(1), "uint8")) }
    }
}
