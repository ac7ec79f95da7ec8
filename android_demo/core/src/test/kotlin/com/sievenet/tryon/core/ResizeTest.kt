package com.sievenet.tryon.core

import org.junit.Assert.assertArrayEquals
import org.junit.Test

/** References computed with OpenCV 4 (`cv2.resize` on float32 / uint8 arrays). */
class ResizeTest {
    // 3 x 4, one channel.
    private val src = floatArrayOf(
        0f, 13f, 21f, 37f,
        40f, 53f, 61f, 77f,
        80f, 93f, 101f, 117f
    )

    @Test
    fun bilinearUpsampleMatchesOpenCv() {
        // cv2.resize(src, (6, 5), interpolation=cv2.INTER_LINEAR)
        val expected = floatArrayOf(
            0f, 6.5f, 14.33333f, 19.66667f, 29f, 37f,
            16f, 22.5f, 30.33333f, 35.66667f, 45f, 53f,
            40f, 46.5f, 54.33333f, 59.66667f, 69f, 77f,
            64f, 70.5f, 78.33334f, 83.66666f, 93f, 101f,
            80f, 86.5f, 94.33334f, 99.66666f, 109f, 117f
        )
        assertArrayEquals(expected, Resize.bilinear(src, 3, 4, 1, 5, 6), 1e-4f)
    }

    @Test
    fun bilinearDownsampleMatchesOpenCv() {
        // cv2.resize(src, (3, 2), interpolation=cv2.INTER_LINEAR)
        val expected = floatArrayOf(12.16667f, 27f, 44.33333f, 72.16666f, 87f, 104.33334f)
        assertArrayEquals(expected, Resize.bilinear(src, 3, 4, 1, 2, 3), 1e-4f)
    }

    @Test
    fun bilinearKeepsChannelsApart() {
        // rgb = stack([src, src * 0.5, 100 - src], -1); cv2.resize(rgb, (5, 2), cv2.INTER_LINEAR)
        val rgb = FloatArray(36)
        for (i in 0 until 12) {
            rgb[3 * i] = src[i]
            rgb[3 * i + 1] = src[i] * 0.5f
            rgb[3 * i + 2] = 100f - src[i]
        }
        val expected = floatArrayOf(
            10f, 5f, 90f, 19.1f, 9.55f, 80.9f, 27f, 13.5f, 73f, 35.8f, 17.9f, 64.2f, 47f, 23.5f, 53f,
            70f, 35f, 30f, 79.1f, 39.55f, 20.9f, 87f, 43.5f, 13f, 95.8f, 47.9f, 4.2f, 107f, 53.5f, -7f
        )
        assertArrayEquals(expected, Resize.bilinear(rgb, 3, 4, 3, 2, 5), 1e-4f)
    }

    @Test
    fun nearestMatchesOpenCv() {
        val ids = IntArray(12) { it }
        // cv2.resize(ids, (6, 5), interpolation=cv2.INTER_NEAREST)
        val up = intArrayOf(
            0, 0, 1, 2, 2, 3, 0, 0, 1, 2, 2, 3, 4, 4, 5, 6, 6, 7, 4, 4, 5, 6, 6, 7, 8, 8, 9, 10, 10, 11
        )
        assertArrayEquals(up, Resize.nearest(ids, 3, 4, 5, 6))
        assertArrayEquals(intArrayOf(0, 1, 2, 4, 5, 6), Resize.nearest(ids, 3, 4, 2, 3))
    }

    @Test
    fun sameSizeIsACopy() {
        val out = Resize.bilinear(src, 3, 4, 1, 3, 4)
        assertArrayEquals(src, out, 0f)
        out[0] = 99f
        assertArrayEquals(floatArrayOf(0f), floatArrayOf(src[0]), 0f)
    }

    @Test
    fun singlePixelSpreadsEverywhere() {
        assertArrayEquals(FloatArray(6) { 7f }, Resize.bilinear(floatArrayOf(7f), 1, 1, 1, 2, 3), 0f)
        assertArrayEquals(IntArray(6) { 5 }, Resize.nearest(intArrayOf(5), 1, 1, 3, 2))
    }

    @Test
    fun wrongSizesAreRejected() {
        assertIllegalArgument("needs 12 values, got 11") { Resize.bilinear(FloatArray(11), 3, 4, 1, 2, 2) }
        assertIllegalArgument("must be positive") { Resize.nearest(IntArray(12), 3, 4, 0, 2) }
    }
}
